package web

import (
	"errors"
	"net/http"

	"mashang/internal/audit"
)

type portalLogPage struct {
	Key     string
	Base    string
	Latest  *audit.Checkpoint
	History []audit.Checkpoint
}

// portalLog explains the public log in plain words and shows its key, its
// latest checkpoint and the recent ones.
func (p *pageServer) portalLog(w http.ResponseWriter, r *http.Request, v *view) error {
	d := portalLogPage{Key: p.s.app.LogKey.Verifier, Base: p.s.baseURL(r)}
	c, err := audit.Latest(r.Context(), p.s.app.DB.Read)
	switch {
	case err == nil:
		d.Latest = &c
	case !errors.Is(err, audit.ErrNoCheckpoint):
		return err
	}
	if d.History, err = audit.Checkpoints(r.Context(), p.s.app.DB.Read, 0, 10); err != nil {
		return err
	}
	v.Title = p.T(v.Lang, "portal.log")
	return p.render(w, http.StatusOK, v, "portal_log", d)
}
