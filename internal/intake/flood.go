package intake

import (
	"context"
	"fmt"

	"mashang/internal/docket"
	"mashang/internal/problem"
	"mashang/internal/ratelimit"
)

// FloodLimits keep the public doors open under a flood: each address (or
// e-mail sender) may file so many reports and make so many tracking
// requests in a period, and the public as a whole so many reports, so that
// a flood from one address neither fills the database nor crowds out the
// others. An address over its own limit is refused before it is counted
// against the whole.
type FloodLimits struct {
	PerAddress ratelimit.Rate // reports per address or e-mail sender
	Global     ratelimit.Rate // reports from the public in all
	Track      ratelimit.Rate // tracking requests per address
	// HumanCheckAfter is how many reports one address may file within
	// PerAddress's period before the web form asks for the human check
	// (0: never).
	HumanCheckAfter int
	// Off turns every flood limit off (load tests on loopback).
	Off bool
}

var (
	errTooManyReports = problem.TooMany("too_many_reports", "此地址提交的举报过多，请稍后再试；紧急情况请拨打举报电话",
		"too many reports from this address; please try again later, or call the hotline if it is urgent")
	errIntakeBusy = problem.TooMany("intake_busy", "举报受理繁忙，请稍后再试；紧急情况请拨打举报电话",
		"the office is receiving too many reports just now; please try again later, or call the hotline if it is urgent")
	errTooManyLookups = problem.TooMany("too_many_requests", "查询过于频繁，请稍后再试", "too many requests from this address; please try again later")
)

// floodKey is the key the limits count a submission under: a keyed hash of
// the client's address (web), or of the sender's address (e-mail received
// from the public); "" for the staff's entries and the system's own cases,
// which are not limited.
func (s *Service) floodKey(sub Submission) string {
	switch {
	case sub.ClientAddr != "":
		return "addr:" + s.d.Vault.KeyedHash("flood-addr", sub.ClientAddr)
	case sub.Channel == docket.Email && sub.Actor == ActorEmail && sub.Reporter.Email != "":
		return "mail:" + s.d.Vault.EmailHash(sub.Reporter.Email)
	}
	return ""
}

// admitReport counts a report at its address and then in all, and refuses
// it (429, with when to try again) past either limit.
func (s *Service) admitReport(ctx context.Context, key string) error {
	f := s.d.Flood
	if f.Off || key == "" || s.d.Counter == nil {
		return nil
	}
	if f.PerAddress.N > 0 {
		n, left, err := s.d.Counter.Add(ctx, "report:"+key, f.PerAddress.Per, 1)
		if err != nil {
			return err
		}
		if n > int64(f.PerAddress.N) {
			return errTooManyReports.RetryIn(left)
		}
	}
	if f.Global.N > 0 {
		n, left, err := s.d.Counter.Add(ctx, "report:*", f.Global.Per, 1)
		if err != nil {
			return err
		}
		if n > int64(f.Global.N) {
			return errIntakeBusy.RetryIn(left)
		}
	}
	return nil
}

// admitTrack counts a tracking request (a look-up, a message, a review
// request, a rating) from addr and refuses it past the limit.
func (s *Service) admitTrack(ctx context.Context, addr string) error {
	f := s.d.Flood
	if f.Off || f.Track.N == 0 || s.d.Counter == nil || addr == "" {
		return nil
	}
	n, left, err := s.d.Counter.Add(ctx, "track:"+s.d.Vault.KeyedHash("flood-addr", addr), f.Track.Per, 1)
	if err != nil {
		return err
	}
	if n > int64(f.Track.N) {
		return errTooManyLookups.RetryIn(left)
	}
	return nil
}

// HumanCheckNeeded reports whether the web form must ask addr for the human
// check: it has filed HumanCheckAfter reports or more in the period.
func (s *Service) HumanCheckNeeded(ctx context.Context, addr string) (bool, error) {
	f := s.d.Flood
	if f.Off || f.HumanCheckAfter == 0 || f.PerAddress.N == 0 || s.d.Counter == nil || addr == "" {
		return false, nil
	}
	n, _, err := s.d.Counter.Count(ctx, "report:addr:"+s.d.Vault.KeyedHash("flood-addr", addr), f.PerAddress.Per)
	if err != nil {
		return false, fmt.Errorf("intake: count reports: %w", err)
	}
	return n >= int64(f.HumanCheckAfter), nil
}

// Admissible checks, without counting, that a report from addr would not be
// refused by the flood limits: the web answers 429 before reading a body
// whose files would only be thrown away.
func (s *Service) Admissible(ctx context.Context, addr string) error {
	f := s.d.Flood
	if f.Off || s.d.Counter == nil || addr == "" {
		return nil
	}
	key := s.floodKey(Submission{ClientAddr: addr})
	for _, c := range []struct {
		key  string
		rate ratelimit.Rate
		err  *problem.Error
	}{{"report:" + key, f.PerAddress, errTooManyReports}, {"report:*", f.Global, errIntakeBusy}} {
		if c.rate.N == 0 {
			continue
		}
		n, left, err := s.d.Counter.Count(ctx, c.key, c.rate.Per)
		if err != nil {
			return err
		}
		if n >= int64(c.rate.N) {
			return c.err.RetryIn(left)
		}
	}
	return nil
}

// isFlood reports whether err is the flood limits refusing a report.
func isFlood(err error) bool {
	pe, ok := problem.As(err)
	return ok && (pe.Code == errTooManyReports.Code || pe.Code == errIntakeBusy.Code)
}
