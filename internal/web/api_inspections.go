package web

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"mashang/internal/inspection"
	"mashang/internal/problem"
)

func (s *Server) createInspection(w http.ResponseWriter, r *http.Request) error {
	var in inspection.PlanInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	p, err := s.app.Inspections.Plan(r.Context(), me(r), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/inspections/"+strconv.FormatInt(p.ID, 10))
	writeJSON(w, http.StatusCreated, p)
	return nil
}

func (s *Server) listInspections(w http.ResponseWriter, r *http.Request) error {
	list, err := s.app.Inspections.List(r.Context(), me(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"inspections": list})
	return nil
}

func (s *Server) getInspection(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	in, err := s.app.Inspections.Get(r.Context(), me(r), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, in)
	return nil
}

func (s *Server) inspectionDone(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	in, err := s.app.Inspections.Done(r.Context(), me(r), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, in)
	return nil
}

var errVisitFileType = problem.Invalid("attachment", "unsupported_file_type", "只接受照片、视频、录音或 PDF 文件", "only photos, videos, sound recordings and PDF files are accepted")

// createVisit takes a visit as JSON, or as multipart/form-data with the
// visit's JSON in the field "visit" and photos and videos in files named
// "attachment" (or "photo", "video"). Files keep their location metadata:
// they are the inspectors' evidence.
func (s *Server) createVisit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	// The plan must be visible (and exist) before any file is stored.
	if _, err := s.app.Inspections.Get(r.Context(), me(r), id); err != nil {
		return err
	}
	var in inspection.VisitInput
	var files []inspection.Upload
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "multipart/form-data" {
		in, files, err = s.readVisitMultipart(w, r)
		if err != nil {
			return err
		}
	} else if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	v, err := s.app.Inspections.RecordVisit(r.Context(), me(r), id, in, files)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, v)
	return nil
}

func (s *Server) readVisitMultipart(w http.ResponseWriter, r *http.Request) (inspection.VisitInput, []inspection.Upload, error) {
	var in inspection.VisitInput
	cfg := s.app.Config
	r.Body = http.MaxBytesReader(w, r.Body, cfg.MaxReportBytes())
	mr, err := r.MultipartReader()
	if err != nil {
		return in, nil, problem.Malformed("malformed_multipart", "multipart 请求格式有误", "the multipart body is malformed").Wrap(err)
	}
	if s.app.Files == nil {
		return in, nil, &problem.Error{Kind: problem.KindUnavailable, Code: "files_unavailable", ZH: "附件存储不可用", EN: "the attachment store is unavailable"}
	}
	var files []inspection.Upload
	budget := s.newBudget(true)
	sawVisit := false
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return in, nil, problem.Malformed("malformed_multipart", "multipart 请求格式有误", "the multipart body is malformed").Wrap(err)
		}
		name := part.FormName()
		switch {
		case name == "visit":
			b, err := io.ReadAll(io.LimitReader(part, cfg.MaxBodyBytes+1))
			if err != nil {
				return in, nil, problem.Malformed("malformed_multipart", "multipart 请求格式有误", "the multipart body is malformed").Wrap(err)
			}
			if int64(len(b)) > cfg.MaxBodyBytes {
				return in, nil, errTooLarge
			}
			if err := decodeStrict(b, &in); err != nil {
				return in, nil, err
			}
			sawVisit = true
		case name == "attachment" || name == "photo" || name == "video":
			b, err := budget.put(r.Context(), part)
			if err != nil {
				return in, nil, err
			}
			if !visitFileType(b.ContentType) {
				return in, nil, errVisitFileType
			}
			files = append(files, inspection.Upload{Filename: inspFilename(part.FileName()), Blob: b})
		default:
			return in, nil, problem.Invalid(name, "unknown_field", "未知字段 "+name, "unknown field "+name)
		}
	}
	if !sawVisit {
		return in, nil, problem.Required("visit")
	}
	return in, files, nil
}

func visitFileType(ct string) bool {
	return strings.HasPrefix(ct, "image/") || strings.HasPrefix(ct, "video/") || strings.HasPrefix(ct, "audio/") || ct == "application/pdf"
}

// inspFilename keeps the last path element of a client's file name, bounded.
func inspFilename(n string) string {
	if i := strings.LastIndexAny(n, `/\`); i >= 0 {
		n = n[i+1:]
	}
	n = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, n)
	if r := []rune(n); len(r) > 200 {
		n = string(r[:200])
	}
	return n
}

func (s *Server) getInspectionAttachment(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	aid, err := pathID(r, "aid")
	if err != nil {
		return err
	}
	a, err := s.app.Inspections.Attachment(r.Context(), me(r), id, aid)
	if err != nil {
		return err
	}
	if s.app.Files == nil {
		return errNotFound
	}
	f, err := s.app.Files.Open(r.Context(), a.SHA256)
	if err != nil {
		return fmt.Errorf("inspection attachment %d: %w", a.ID, err)
	}
	defer f.Close()
	w.Header().Set("Content-Type", a.ContentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": a.Filename}))
	http.ServeContent(w, r, "", s.app.Clock.Now(), f)
	return nil
}

// inspectionReport answers the inspection report as HTML, or as PDF with
// ?format=pdf (503 when Chromium is not installed).
func (s *Server) inspectionReport(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	format, err := reportFormat(r, "html", "html", "pdf")
	if err != nil {
		return err
	}
	in, err := s.app.Inspections.Get(r.Context(), me(r), id)
	if err != nil {
		return err
	}
	page, err := s.app.Reports.InspectionHTML(in)
	if err != nil {
		return err
	}
	return s.writeReport(w, r, format, page, fmt.Sprintf("inspection-%d", id))
}
