package web

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"mashang/internal/backup"
	"mashang/internal/notify"
)

type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	handler  http.Handler
}

// backupMetrics reports the scheduled backups' status at each scrape.
func backupMetrics(reg *prometheus.Registry, status func() backup.Status) {
	g := func(name, help string, f func(backup.Status) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return f(status()) })
	}
	reg.MustRegister(
		g("mashang_backup_last_success_timestamp_seconds", "When the newest good scheduled backup was written (0: none yet).", func(s backup.Status) float64 {
			if s.LastSuccess.IsZero() {
				return 0
			}
			return float64(s.LastSuccess.Unix())
		}),
		g("mashang_backup_last_ok", "1 when the last scheduled backup attempt succeeded.", func(s backup.Status) float64 {
			if s.LastOK {
				return 1
			}
			return 0
		}),
		g("mashang_backup_last_size_bytes", "Size of the newest good scheduled backup.", func(s backup.Status) float64 { return float64(s.Size) }),
		g("mashang_backup_last_duration_seconds", "How long the last scheduled backup took.", func(s backup.Status) float64 { return s.Duration.Seconds() }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "mashang_backup_failures_total", Help: "Scheduled backups that failed since the server started."},
			func() float64 { return float64(status().Failures) }),
	)
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mashang_http_requests_total", Help: "HTTP requests by route, method and status."}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "mashang_http_request_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}}, []string{"route"}),
	}
	reg.MustRegister(m.requests, m.latency, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	return m
}

func (m *metrics) observe(route, method string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route).Observe(d.Seconds())
}

// MetricsHandler serves /metrics without authentication, for a separate
// --metrics-addr listener.
func (s *Server) MetricsHandler() http.Handler { return s.metrics.handler }

// notifyMetrics reports the outbox at each scrape: its rows by status
// (failed ones wait for an admin), and what this process sent.
type notifyMetrics struct {
	count                   func(ctx context.Context) (notify.Counts, error)
	rows, sent, fails, gave *prometheus.Desc
}

func newNotifyMetrics(count func(ctx context.Context) (notify.Counts, error)) *notifyMetrics {
	return &notifyMetrics{count: count,
		rows:  prometheus.NewDesc("mashang_notifications", "Notifications in the outbox by status (failed: the tries are used up; see /staff/admin/outbox).", []string{"status"}, nil),
		sent:  prometheus.NewDesc("mashang_notifications_sent_total", "Notifications this process handed to the relay or gateway.", nil, nil),
		fails: prometheus.NewDesc("mashang_notification_failures_total", "Failed tries to send a notification by this process (each is retried with a growing pause).", nil, nil),
		gave:  prometheus.NewDesc("mashang_notifications_given_up_total", "Notifications this process left failed after the last try.", nil, nil),
	}
}

func (m *notifyMetrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.rows
	ch <- m.sent
	ch <- m.fails
	ch <- m.gave
}

func (m *notifyMetrics) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := m.count(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(m.rows, err)
		return
	}
	for _, st := range []notify.Status{notify.Pending, notify.Held, notify.Sent, notify.Failed, notify.Cancelled, notify.Digested} {
		ch <- prometheus.MustNewConstMetric(m.rows, prometheus.GaugeValue, float64(c.ByStatus[st]), string(st))
	}
	ch <- prometheus.MustNewConstMetric(m.sent, prometheus.CounterValue, float64(c.Sent))
	ch <- prometheus.MustNewConstMetric(m.fails, prometheus.CounterValue, float64(c.Failures))
	ch <- prometheus.MustNewConstMetric(m.gave, prometheus.CounterValue, float64(c.GaveUp))
}
