package web

import (
	"net/http"

	"mashang/internal/letters"
	"mashang/internal/profile"
)

// The office's own words: its letterhead, contacts and public texts
// (profile), the texts of its formal notices, the first-start checklist, and
// the print queue of notices that go by post.

// getProfile: GET /api/v1/offices/{code}/profile.
func (s *Server) getProfile(w http.ResponseWriter, r *http.Request) error {
	pr, err := s.app.Profile.ByCode(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pr)
	return nil
}

// putProfile: PUT /api/v1/offices/{code}/profile (admin); parts left out
// are unchanged, parts given empty are inherited again.
func (s *Server) putProfile(w http.ResponseWriter, r *http.Request) error {
	var in profile.Input
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	pr, err := s.app.Profile.Save(r.Context(), me(r), r.PathValue("code"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pr)
	return nil
}

// getSetup: GET /api/v1/setup — the first-start checklist of the caller's office.
func (s *Server) getSetup(w http.ResponseWriter, r *http.Request) error {
	id, err := s.officeOf(r)
	if err != nil {
		return err
	}
	steps, done, err := s.app.Profile.Checklist(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"steps": steps, "complete": done})
	return nil
}

// officeOf is the caller's office (the top office for one of no office).
func (s *Server) officeOf(r *http.Request) (int64, error) {
	if id := me(r).OfficeID; id != 0 {
		return id, nil
	}
	t, err := s.app.Offices.Tree(r.Context())
	if err != nil {
		return 0, err
	}
	return t.Home().ID, nil
}

// officeID resolves the office named by the path's {code} (404 when unknown).
func (s *Server) officeID(r *http.Request) (int64, error) {
	pr, err := s.app.Profile.ByCode(r.Context(), r.PathValue("code"))
	if err != nil {
		return 0, err
	}
	return pr.Office.ID, nil
}

// noticeTemplate is one kind of notice's text as the API shows it.
type noticeTemplate struct {
	Kind     letters.Kind `json:"kind"`
	Title    string       `json:"title"`
	Template string       `json:"template"`
	// From is the office whose text applies ("": the shipped one).
	From    string `json:"from"`
	Shipped bool   `json:"shipped"`
}

func (s *Server) noticeTemplates(r *http.Request, officeID int64) ([]noticeTemplate, error) {
	out := []noticeTemplate{}
	for _, k := range letters.Kinds {
		text, from, err := s.app.Letters.Template(r.Context(), officeID, k)
		if err != nil {
			return nil, err
		}
		out = append(out, noticeTemplate{Kind: k, Title: k.Title(), Template: text, From: from, Shipped: from == ""})
	}
	return out, nil
}

// listNoticeTemplates: GET /api/v1/offices/{code}/notice-templates.
func (s *Server) listNoticeTemplates(w http.ResponseWriter, r *http.Request) error {
	id, err := s.officeID(r)
	if err != nil {
		return err
	}
	list, err := s.noticeTemplates(r, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"templates": list, "fields": letters.FieldNames()})
	return nil
}

type templateBody struct {
	Template string `json:"template"`
}

// templateTarget checks the office (one the caller runs) and the kind.
func (s *Server) templateTarget(r *http.Request) (int64, letters.Kind, error) {
	t, err := s.app.Offices.Tree(r.Context())
	if err != nil {
		return 0, "", err
	}
	id, err := s.officeID(r)
	if err != nil {
		return 0, "", err
	}
	if !t.Governs(me(r), id) {
		return 0, "", profile.ErrNotYours(r.PathValue("code"))
	}
	k, err := letters.ParseKind(r.PathValue("kind"))
	return id, k, err
}

// putNoticeTemplate: PUT /api/v1/offices/{code}/notice-templates/{kind}.
func (s *Server) putNoticeTemplate(w http.ResponseWriter, r *http.Request) error {
	id, k, err := s.templateTarget(r)
	if err != nil {
		return err
	}
	var in templateBody
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.app.Letters.SetTemplate(r.Context(), me(r), id, k, in.Template); err != nil {
		return err
	}
	return s.listNoticeTemplates(w, r)
}

// deleteNoticeTemplate: DELETE …/notice-templates/{kind} — back to the
// inherited or shipped text.
func (s *Server) deleteNoticeTemplate(w http.ResponseWriter, r *http.Request) error {
	id, k, err := s.templateTarget(r)
	if err != nil {
		return err
	}
	if err := s.app.Letters.ResetTemplate(r.Context(), me(r), id, k); err != nil {
		return err
	}
	return s.listNoticeTemplates(w, r)
}

// previewNoticeTemplate: POST …/notice-templates/{kind}/preview — the
// letter as the text would print it, with sample values; nothing stored.
func (s *Server) previewNoticeTemplate(w http.ResponseWriter, r *http.Request) error {
	id, k, err := s.templateTarget(r)
	if err != nil {
		return err
	}
	var in templateBody
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	b, err := s.app.Letters.Preview(r.Context(), id, k, in.Template)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b)
	return nil
}

// listToPost: GET /api/v1/letters/post — notices of letter reports to print and post.
func (s *Server) listToPost(w http.ResponseWriter, r *http.Request) error {
	list, err := s.app.Letters.ToPost(r.Context(), me(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"notices": list})
	return nil
}

// markPosted: POST /api/v1/letters/post/{nid} — the notice went by post.
func (s *Server) markPosted(w http.ResponseWriter, r *http.Request) error {
	nid, err := pathID(r, "nid")
	if err != nil {
		return err
	}
	if err := s.app.Letters.MarkPosted(r.Context(), me(r), nid); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// trackNoticeItem is a formal notice as its reporter sees it listed.
type trackNoticeItem struct {
	ID       int64        `json:"id"`
	Kind     letters.Kind `json:"kind"`
	Title    string       `json:"title"`
	Number   string       `json:"number"`
	IssuedOn string       `json:"issued_on"`
}

// reporterNotices lists the formal notices of the report with receipt and
// key (a wrong pair answers as Track does).
func (s *Server) reporterNotices(r *http.Request, receipt, key string) (int64, []trackNoticeItem, error) {
	v, err := s.app.Intake.Track(r.Context(), clientAddr(r), receipt, key, intakeLang(r))
	if err != nil {
		return 0, nil, err
	}
	list, err := s.app.Letters.ForReporter(r.Context(), v.CaseID)
	if err != nil {
		return 0, nil, err
	}
	out := []trackNoticeItem{}
	for _, n := range list {
		out = append(out, trackNoticeItem{ID: n.ID, Kind: n.Kind, Title: n.Title, Number: n.Number, IssuedOn: n.IssuedOn.String()})
	}
	return v.CaseID, out, nil
}

// trackNotices: POST /api/v1/track/notices {"receipt","key"}.
func (s *Server) trackNotices(w http.ResponseWriter, r *http.Request) error {
	var in trackIn
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	_, list, err := s.reporterNotices(r, in.Receipt, in.Key)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"notices": list})
	return nil
}

// trackNotice: POST /api/v1/track/notices/{nid} {"receipt","key"} — the
// letter as HTML, without any name (the pair does not prove who holds it).
func (s *Server) trackNotice(w http.ResponseWriter, r *http.Request) error {
	nid, err := pathID(r, "nid")
	if err != nil {
		return err
	}
	var in trackIn
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	return s.writeReporterNotice(w, r, in.Receipt, in.Key, nid)
}

func (s *Server) writeReporterNotice(w http.ResponseWriter, r *http.Request, receipt, key string, nid int64) error {
	v, err := s.app.Intake.Track(r.Context(), clientAddr(r), receipt, key, intakeLang(r))
	if err != nil {
		return err
	}
	b, n, err := s.app.Letters.ReporterHTML(r.Context(), v.CaseID, nid)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Disposition", `inline; filename="notice-`+string(n.Kind)+`.html"`)
	w.Write(b)
	return nil
}
