// Package web is mashang's HTTP surface: the JSON API under /api/v1, the
// public pages and the staff pages. All routes are listed in routes.go;
// handlers are thin and leave the work to the domain packages, whose
// problem errors are mapped to status codes once, in respond.go.
package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"mashang/internal/app"
	"mashang/internal/auth"
)

// Server serves mashang over HTTP.
type Server struct {
	app     *app.App
	log     *slog.Logger
	mux     *http.ServeMux
	routes  []Route
	metrics *metrics
	tw      *traditional
	// Registry holds this server's Prometheus metrics.
	Registry *prometheus.Registry
}

// Route is one registered pattern, for the OpenAPI check.
type Route struct {
	Method string
	Path   string
	API    bool
}

// New builds the server and its routes.
func New(a *app.App) *Server {
	s := &Server{app: a, log: a.Log, mux: http.NewServeMux(), Registry: prometheus.NewRegistry(), tw: &traditional{l: a.Localizer}}
	s.metrics = newMetrics(s.Registry)
	if a.Backups != nil {
		backupMetrics(s.Registry, a.Backups.Status)
	}
	s.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "mashang_group_commit_queued",
		Help: "Writes waiting for the group commit's next shared transaction."}, func() float64 { return float64(a.DB.QueueLen()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "mashang_group_commit_abandoned_total",
			Help: "Writes whose client went away while they waited for the group commit (each still committed or skipped, never half done)."},
			func() float64 { return float64(a.DB.Abandoned()) }))
	if a.Notify != nil {
		s.Registry.MustRegister(newNotifyMetrics(a.Notify.Count))
	}
	s.registerRoutes()
	s.mux.HandleFunc(apiFallback, s.unknownAPI)
	return s
}

// Routes lists every registered route.
func (s *Server) Routes() []Route { return s.routes }

// Handler is the whole server with its middleware.
func (s *Server) Handler() http.Handler {
	return s.withRequestID(s.withClientAddr(s.withLog(s.withRecover(s.mux))))
}

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyPrincipal
	keyRoute
	keyClientAddr
)

func (s *Server) withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if id == "" || len(id) > 64 || strings.ContainsAny(id, "\r\n") {
			b := make([]byte, 8)
			rand.Read(b)
			id = hex.EncodeToString(b)
		}
		w.Header().Set("X-Request-ID", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), keyRequestID, id)))
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(c int) {
	if w.status == 0 {
		w.status = c
	}
	w.ResponseWriter.WriteHeader(c)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = 200
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// withLog writes the access log. Only the path is logged, never the query
// or body (reporters' details never travel in URLs, but be safe).
func (s *Server) withLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		holder := &routeHolder{}
		r = r.WithContext(context.WithValue(r.Context(), keyRoute, holder))
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = 200
		}
		d := time.Since(start)
		route := holder.pattern
		if route == "" {
			route = "unmatched"
		}
		s.metrics.observe(route, r.Method, sw.status, d)
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "http",
			slog.String("id", requestID(r)), slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", sw.status), slog.Int64("bytes", sw.bytes), slog.Duration("took", d))
	})
}

type routeHolder struct{ pattern string }

// routePattern is the pattern of the route serving r ("" outside one).
func routePattern(r *http.Request) string {
	if h, ok := r.Context().Value(keyRoute).(*routeHolder); ok {
		return h.pattern
	}
	return ""
}

func (s *Server) withRecover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("panic", "id", requestID(r), "panic", p, "stack", string(debug.Stack()))
				s.writeError(w, r, errInternal)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func requestID(r *http.Request) string {
	id, _ := r.Context().Value(keyRequestID).(string)
	return id
}

// principal returns the signed-in staff member, if any.
func principal(r *http.Request) (auth.Principal, bool) {
	p, ok := r.Context().Value(keyPrincipal).(auth.Principal)
	return p, ok
}

// WithPrincipal is for tests and pages that authenticate by cookie.
func WithPrincipal(ctx context.Context, p auth.Principal) context.Context {
	return context.WithValue(ctx, keyPrincipal, p)
}
