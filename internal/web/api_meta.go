package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"mashang/internal/audit"
	"mashang/internal/catalog"
	"mashang/internal/civil"
	"mashang/internal/problem"
)

// HealthTimeout is how long /healthz waits for the database.
const HealthTimeout = 2 * time.Second

// healthz answers 200 only when the database answers within HealthTimeout,
// and 503 otherwise: a proxy in front of several instances stops sending to
// one that has lost its database (or is overwhelmed) and sends to the others.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), HealthTimeout)
	defer cancel()
	if err := s.app.DB.Read.PingContext(ctx); err != nil {
		s.log.Warn("health check: database unavailable", "err", err)
		return errDBDown.Wrap(err)
	}
	out := map[string]any{"status": "ok"}
	if b := s.app.Backups; b != nil {
		st := b.Status()
		bk := map[string]any{"enabled": st.Enabled, "last_ok": st.LastOK, "failures": st.Failures, "keep": st.Keep}
		if !st.LastSuccess.IsZero() {
			bk["last_success"] = st.LastSuccess.UTC().Format(time.RFC3339)
			bk["age_seconds"] = int64(s.app.Clock.Now().Sub(st.LastSuccess).Seconds())
			bk["file"], bk["size"] = st.File, st.Size
		}
		if !st.LastAt.IsZero() {
			bk["last_at"] = st.LastAt.UTC().Format(time.RFC3339)
		}
		if st.Enabled {
			bk["interval_seconds"] = int64(st.Interval.Seconds())
		}
		out["backup"] = bk
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) metricsRoute(w http.ResponseWriter, r *http.Request) error {
	s.metrics.handler.ServeHTTP(w, r)
	return nil
}

// getCatalog answers the catalogue: with ?office=CODE the version that
// office judges its new cases under, with ?version=V that version; without
// either, a signed-in staff member's office's version
// (app.Catalogs.Caller), the public's the deployment's default.
func (s *Server) getCatalog(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Vary", "Accept-Language, Authorization, Cookie")
	q := r.URL.Query()
	version := strings.TrimSpace(q.Get("version"))
	code := strings.TrimSpace(q.Get("office"))
	if code == "" && version == "" {
		p, _, err := s.caller(r)
		if err != nil {
			return err
		}
		cat, err := s.app.Catalogs.Caller(r.Context(), p)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, cat.View(Lang(r), s.app.Localizer))
		return nil
	}
	if code != "" {
		if version != "" {
			return problem.Invalid("version", "office_and_version", "office 与 version 只能给一个", "give office or version, not both")
		}
		v, err := s.app.Offices.ViewOf(r.Context(), code)
		if err != nil {
			return err
		}
		version = v.CatalogVersion
	}
	cat, ok, err := s.app.Catalogs.Get(r.Context(), version)
	if err != nil {
		return err
	}
	if !ok {
		return problem.NotFound("catalog_version_not_found", "没有目录版本 "+version, "no catalogue version "+version)
	}
	writeJSON(w, http.StatusOK, cat.View(Lang(r), s.app.Localizer))
	return nil
}

// catalogVersion is one catalogue version as GET /api/v1/catalog/versions lists it.
type catalogVersion struct {
	Version       string     `json:"version"`
	EffectiveFrom civil.Date `json:"effective_from"`
	Source        string     `json:"source"`
	Situations    int        `json:"situations"`
	Sanctions     int        `json:"sanctions"`
	Default       bool       `json:"default"`
}

func catalogVersionOf(c *catalog.Catalog, def *catalog.Catalog, lang string) catalogVersion {
	return catalogVersion{Version: c.Version, EffectiveFrom: c.EffectiveFrom, Source: c.Source.In(lang), Situations: len(c.Situations),
		Sanctions: len(c.Sanctions), Default: c.Version == def.Version}
}

func (s *Server) listCatalogVersions(w http.ResponseWriter, r *http.Request) error {
	vs, err := s.app.Catalogs.Versions(r.Context())
	if err != nil {
		return err
	}
	out := make([]catalogVersion, len(vs))
	for i, v := range vs {
		out[i] = catalogVersionOf(v, s.app.Catalog, Lang(r))
	}
	writeJSON(w, http.StatusOK, map[string]any{"versions": out})
	return nil
}

// loadCatalogVersion loads the catalogue document in the body as a new
// version: 201, or 200 when that version is loaded with the same contents.
func (s *Server) loadCatalogVersion(w http.ResponseWriter, r *http.Request) error {
	data, err := readRaw(w, r, catalog.MaxSize)
	if err != nil {
		return err
	}
	cat, created, err := s.app.Catalogs.Import(r.Context(), me(r), data)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, catalogVersionOf(cat, s.app.Catalog, Lang(r)))
	return nil
}

type tokenRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
	OTP      string `json:"otp"`
}

type tokenResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	var req tokenRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.Username == "" {
		return problem.Required("username")
	}
	if req.Password == "" {
		return problem.Required("password")
	}
	tok, exp, err := s.app.Auth.Login(r.Context(), req.Username, req.Password, req.OTP, clientAddr(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, tokenResponse{Token: tok, ExpiresAt: exp})
	return nil
}

func (s *Server) deleteToken(w http.ResponseWriter, r *http.Request) error {
	tok := bearer(r)
	if tok == "" {
		return problem.Malformed("no_bearer_token", "请在 Authorization 头中提供要撤销的令牌", "send the token to revoke as Authorization: Bearer TOKEN")
	}
	if err := s.app.Auth.Revoke(r.Context(), tok); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	before, _ := strconv.ParseInt(q.Get("before"), 10, 64)
	limit, err := strconv.Atoi(q.Get("limit"))
	if q.Get("limit") == "" {
		limit, err = 100, nil
	}
	if err != nil || limit < 1 || limit > 1000 {
		return problem.Invalid("limit", "invalid_limit", "limit 应在 1 到 1000 之间", "limit must be between 1 and 1000")
	}
	es, err := audit.List(r.Context(), s.app.DB.Read, q.Get("subject"), before, limit)
	if err != nil {
		return err
	}
	if es == nil {
		es = []audit.Entry{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": es})
	return nil
}

// verifyAudit runs audit verify's whole check (chain, tree, signed
// checkpoints, cross-checks with the tables) and says the first mismatch.
func (s *Server) verifyAudit(w http.ResponseWriter, r *http.Request) error {
	rep, err := audit.Check(r.Context(), s.app.DB.Read, audit.CheckOptions{Keys: []string{s.app.LogKey.Verifier}})
	var b *audit.Break
	var m *audit.Mismatch
	switch {
	case errors.As(err, &b):
		writeJSON(w, http.StatusOK, map[string]any{"intact": false, "checked": rep.Entries, "first_bad_entry": b.Seq, "reason": b.Reason})
		return nil
	case errors.As(err, &m):
		writeJSON(w, http.StatusOK, map[string]any{"intact": false, "checked": rep.Entries, "reason": m.What})
		return nil
	case err != nil:
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"intact": true, "checked": rep.Entries, "checkpoints": rep.Checkpoints, "cross_checked": rep.CrossChecked})
	return nil
}
