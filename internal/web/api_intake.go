package web

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"mashang/internal/civil"
	"mashang/internal/docket"
	"mashang/internal/identity"
	"mashang/internal/intake"
	"mashang/internal/problem"
)

// Reports from every channel: public reports, clerk entry,
// tracking and messages, attachments, the reporter's identity.

var (
	errNoBoundary   = problem.Malformed("multipart_without_boundary", "multipart 请求缺少 boundary", "the multipart body has no boundary")
	errBadMultipart = problem.Malformed("malformed_multipart", "multipart 请求格式错误", "the multipart body is malformed")
	errTooManyFiles = problem.TooLarge("too_many_files", "附件数量超过上限", "too many attachments")
	errFileTooLarge = problem.TooLarge("attachment_too_large", "附件过大", "an attachment is too large")
	errReportLarge  = problem.TooLarge("attachments_too_large", "附件总大小超过上限", "the attachments together are too large")
	errFieldTooLong = problem.TooLarge("field_too_large", "表单字段过大", "a form field is too large")
	errReceivedAt   = problem.Invalid("received_at", civil.InvalidCode, "收到时间应为 RFC 3339 时间或 YYYY-MM-DD 日期", "received_at must be an RFC 3339 instant or a YYYY-MM-DD date")
	errPersonField  = problem.Invalid("person", "invalid_person", "person 应为人员编号或姓名", "person must be a person id or a name")
)

// reportFields are the fields of a report, public or entered by a clerk,
// in JSON or as multipart form fields.
type reportFields struct {
	Channel    string          `json:"channel"`
	ReceivedAt string          `json:"received_at"`
	Content    string          `json:"content"`
	Situation  string          `json:"situation"`
	Unit       string          `json:"unit"`
	Person     json.RawMessage `json:"person"`
	PersonID   int64           `json:"person_id"`
	Anonymous  bool            `json:"anonymous"`
	Name       string          `json:"name"`
	Phone      string          `json:"phone"`
	Email      string          `json:"email"`
	IDNumber   string          `json:"id_number"`
	Address    string          `json:"address"` // staff only: the postal address a reply by post goes to
	Reporter   *reporterIn     `json:"reporter"`
	// Notify: told of progress at the phone or e-mail given.
	Notify bool `json:"notify"`
}

type reporterIn struct {
	Name      string `json:"name"`
	Phone     string `json:"phone"`
	Email     string `json:"email"`
	IDNumber  string `json:"id_number"`
	Address   string `json:"address"`
	Anonymous bool   `json:"anonymous"`
	Notify    bool   `json:"notify"`
	// Lang is the language the reporter is told in (zh-CN, zh-TW, en).
	Lang string `json:"lang"`
}

// submission turns the fields into an intake submission.
func (s *Server) submission(f reportFields) (intake.Submission, error) {
	sub := intake.Submission{
		Channel: docket.Channel(f.Channel), Content: f.Content, Situation: f.Situation, Unit: f.Unit, PersonID: f.PersonID,
		Anonymous: f.Anonymous, Notify: f.Notify,
		Reporter: identity.Identity{Name: f.Name, Phone: f.Phone, Email: f.Email, IDNumber: f.IDNumber, Address: f.Address},
	}
	if f.Reporter != nil {
		sub.Reporter = identity.Identity{Name: f.Reporter.Name, Phone: f.Reporter.Phone, Email: f.Reporter.Email, IDNumber: f.Reporter.IDNumber,
			Address: f.Reporter.Address}
		sub.Anonymous = f.Reporter.Anonymous
		sub.Notify = sub.Notify || f.Reporter.Notify
		sub.Lang = normLang(f.Reporter.Lang)
	}
	if p := bytes.TrimSpace(f.Person); len(p) > 0 && string(p) != "null" {
		var id int64
		var name string
		switch {
		case json.Unmarshal(p, &id) == nil:
			if id <= 0 {
				return sub, errPersonField
			}
			sub.PersonID = id
		case json.Unmarshal(p, &name) == nil:
			sub.PersonText = name
		default:
			return sub, errPersonField
		}
	}
	if v := strings.TrimSpace(f.ReceivedAt); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			d, derr := civil.Parse(v)
			if derr != nil {
				return sub, errReceivedAt
			}
			t = time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, s.app.Loc)
		}
		if t.IsZero() { // 0001-01-01T00:00:00Z is a date out of range, not "now"
			return sub, civil.CheckInput("received_at", civil.Of(t), civil.In(s.app.Clock.Now(), s.app.Loc))
		}
		sub.ReceivedAt = t
	}
	return sub, nil
}

// readReport reads a report body: JSON, or multipart/form-data whose files
// (named "attachment") are streamed into the attachment store, within the
// configured limits, before anything is written to the database. Files of a
// request refused later stay in the store unreferenced (content-addressed,
// harmless; a sweep may remove them).
func (s *Server) readReport(w http.ResponseWriter, r *http.Request, source string) (reportFields, []intake.File, error) {
	var f reportFields
	ct := r.Header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if ct == "" || err == nil && (mt == "application/json" || mt == "application/x-www-form-urlencoded") {
		// decodeJSON also takes JSON labelled as a form (curl -d) and refuses real form bodies.
		return f, nil, s.decodeJSON(w, r, &f)
	}
	if err != nil || mt != "multipart/form-data" {
		if strings.HasPrefix(strings.ToLower(ct), "multipart/") {
			return f, nil, errNoBoundary
		}
		return f, nil, problem.Malformed("unsupported_media_type", "请以 application/json 或 multipart/form-data 提交", "send the body as application/json or multipart/form-data")
	}
	if params["boundary"] == "" {
		return f, nil, errNoBoundary
	}
	cfg := s.app.Config
	body := http.MaxBytesReader(w, r.Body, cfg.AttachReportMax+cfg.MaxBodyBytes+(1<<20))
	mr := multipart.NewReader(body, params["boundary"])
	var files []intake.File
	budget := s.newBudget(false)
	fields := map[string]string{}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return f, nil, multipartErr(err)
		}
		name := part.FormName()
		if name == "attachment" || part.FileName() != "" {
			br := bufio.NewReader(part)
			if _, err := br.Peek(1); err == io.EOF {
				part.Close()
				continue // an empty file input
			}
			blob, err := budget.put(r.Context(), br)
			if err != nil {
				if _, ok := problem.As(err); !ok && strings.Contains(err.Error(), "reading content") {
					return f, nil, multipartErr(err)
				}
				return f, nil, err
			}
			fn := part.FileName()
			if !utf8.ValidString(fn) {
				fn = strings.ToValidUTF8(fn, "_")
			}
			files = append(files, intake.File{Blob: blob, Filename: fn, Source: source})
			part.Close()
			continue
		}
		b, err := io.ReadAll(io.LimitReader(part, 256<<10+1))
		part.Close()
		if err != nil {
			return f, nil, multipartErr(err)
		}
		if len(b) > 256<<10 {
			return f, nil, errFieldTooLong
		}
		if !utf8.Valid(b) {
			return f, nil, errBadUTF8
		}
		fields[name] = string(b)
	}
	f.Channel = fields["channel"]
	f.ReceivedAt = fields["received_at"]
	f.Content = fields["content"]
	f.Situation = fields["situation"]
	f.Unit = fields["unit"]
	f.Name, f.Phone, f.Email, f.IDNumber, f.Address = fields["name"], fields["phone"], fields["email"], fields["id_number"], fields["address"]
	f.Anonymous, f.Notify = formBool(fields["anonymous"]), formBool(fields["notify"])
	if v := strings.TrimSpace(fields["person_id"]); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return f, nil, problem.Invalid("person_id", "invalid_person", "person_id 应为人员编号", "person_id must be a person id")
		}
		f.PersonID = id
	}
	if v := strings.TrimSpace(fields["person"]); v != "" {
		b, _ := json.Marshal(v)
		f.Person = b
	}
	return f, files, nil
}

// formBool reads a form's yes/no field: empty, false, 0, off and no are no.
func formBool(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "false", "0", "off", "no":
		return false
	}
	return true
}

func multipartErr(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errReportLarge
	}
	return errBadMultipart.Wrap(err)
}

// createReport: POST /api/v1/reports (anyone).
func (s *Server) createReport(w http.ResponseWriter, r *http.Request) error {
	if err := s.app.Intake.Admissible(r.Context(), clientAddr(r)); err != nil {
		return err
	}
	f, files, err := s.readReport(w, r, intake.SourceReporter)
	if err != nil {
		return err
	}
	if f.Channel != "" || f.ReceivedAt != "" || f.Reporter != nil || f.Address != "" {
		field := "channel"
		if f.ReceivedAt != "" {
			field = "received_at"
		} else if f.Reporter != nil {
			field = "reporter"
		} else if f.Address != "" {
			field = "address" // replies to the web go online, never by post
		}
		return problem.Invalid(field, "unknown_field", "未知字段 "+field, "unknown field "+field)
	}
	sub, err := s.submission(f)
	if err != nil {
		return err
	}
	sub.Channel, sub.Actor, sub.Files, sub.ClientAddr, sub.Lang = docket.Web, "reporter", files, clientAddr(r), Lang(r)
	rc, err := s.app.Intake.Submit(r.Context(), sub)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{
		"receipt": rc.Receipt,
		"key":     rc.Key,
		"note":    s.message(r, problem.Invalid("", "", "请记下受理编号和查询密码：查询密码只显示这一次，我们不保存它，遗失后无法找回。", "Write down the receipt and the key: the key is shown only this once; it is not stored and cannot be recovered.")),
	})
	return nil
}

// createIntake: POST /api/v1/intake (clerk).
func (s *Server) createIntake(w http.ResponseWriter, r *http.Request) error {
	f, files, err := s.readReport(w, r, intake.SourceStaff)
	if err != nil {
		return err
	}
	if strings.TrimSpace(f.Channel) == "" {
		return problem.Required("channel")
	}
	sub, err := s.submission(f)
	if err != nil {
		return err
	}
	sub.Actor, sub.Files, sub.Office = me(r).Actor(), files, me(r).OfficeID
	rc, err := s.app.Intake.Submit(r.Context(), sub)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/cases/"+strconv.FormatInt(rc.CaseID, 10))
	writeJSON(w, http.StatusCreated, map[string]any{"case_id": rc.CaseID, "receipt": rc.Receipt, "key": rc.Key})
	return nil
}

type trackIn struct {
	Receipt string `json:"receipt"`
	Key     string `json:"key"`
	Body    string `json:"body"`
}

func intakeLang(r *http.Request) string {
	switch Lang(r) {
	case LangEn:
		return intake.LangEn
	case LangZhTW:
		return intake.LangZhTW
	}
	return intake.LangZhCN
}

// track: POST /api/v1/track (the reporter, with receipt and key).
func (s *Server) track(w http.ResponseWriter, r *http.Request) error {
	var in trackIn
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.Body != "" {
		return problem.Invalid("body", "unknown_field", "未知字段 body", "unknown field body")
	}
	v, err := s.app.Intake.Track(r.Context(), clientAddr(r), in.Receipt, in.Key, intakeLang(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// trackMessage: POST /api/v1/track/messages.
func (s *Server) trackMessage(w http.ResponseWriter, r *http.Request) error {
	var in trackIn
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.app.Intake.ReporterWrite(r.Context(), clientAddr(r), in.Receipt, in.Key, in.Body); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"ok": true})
	return nil
}

// listCaseMessages: GET /api/v1/cases/{id}/messages.
func (s *Server) listCaseMessages(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ms, err := s.app.Intake.Messages(r.Context(), me(r), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"messages": ms})
	return nil
}

// createCaseMessage: POST /api/v1/cases/{id}/messages (to the reporter).
func (s *Server) createCaseMessage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		Body string `json:"body"`
	}
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	m, err := s.app.Intake.WriteToReporter(r.Context(), me(r), id, in.Body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, m)
	return nil
}

// listCaseAttachments: GET /api/v1/cases/{id}/attachments.
func (s *Server) listCaseAttachments(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	as, err := s.app.Intake.Attachments(r.Context(), me(r), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"attachments": as})
	return nil
}

// getAttachment: GET /api/v1/attachments/{id} (the file).
func (s *Server) getAttachment(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	a, f, err := s.app.Intake.OpenAttachment(r.Context(), me(r), id)
	if err != nil {
		return err
	}
	defer f.Close()
	name := a.Filename
	if name == "" {
		name = "attachment-" + strconv.FormatInt(a.ID, 10)
	}
	disp := mime.FormatMediaType("attachment", map[string]string{"filename": name})
	if disp == "" {
		disp = mime.FormatMediaType("attachment", map[string]string{"filename": "attachment-" + strconv.FormatInt(a.ID, 10)})
	}
	h := w.Header()
	h.Set("Content-Type", a.ContentType)
	h.Set("Content-Disposition", disp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, no-store")
	h.Set("ETag", `"`+a.SHA256+`"`)
	http.ServeContent(w, r, "", time.Time{}, f)
	return nil
}

// getReporter: GET /api/v1/cases/{id}/reporter (masked).
func (s *Server) getReporter(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	v, err := s.app.Intake.Reporter(r.Context(), me(r), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// revealReporter: POST /api/v1/cases/{id}/reporter/reveal {reason}.
func (s *Server) revealReporter(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	who := me(r)
	ident, err := s.app.Intake.Reveal(r.Context(), who, id, in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"identity": ident, "revealed_by": who.Actor(), "revealed_at": s.app.Clock.Now().In(s.app.Loc), "reason": strings.TrimSpace(in.Reason)})
	return nil
}

// getRepeatReporter: GET /api/v1/cases/{id}/repeat-reporter.
func (s *Server) getRepeatReporter(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	v, err := s.app.Intake.RepeatReporter(r.Context(), me(r), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}
