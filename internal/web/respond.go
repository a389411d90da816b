package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"mashang/internal/civil"
	"mashang/internal/problem"
	"mashang/internal/store"
)

var (
	errInternal   = &problem.Error{Kind: problem.KindInternal, Code: "internal", ZH: "服务器内部错误，请稍后再试", EN: "internal error; please try again later"}
	errTooLarge   = problem.TooLarge("body_too_large", "请求体过大", "the request body is too large")
	errBadUTF8    = problem.Malformed("invalid_utf8", "请求不是有效的 UTF-8 文本", "the request is not valid UTF-8")
	errNotJSON    = problem.Malformed("malformed_json", "请求不是有效的 JSON", "the request body is not valid JSON")
	errEmptyBody  = problem.Malformed("empty_body", "请求体为空", "the request body is empty")
	errNotFound   = problem.NotFound("not_found", "未找到", "not found")
	errBadID      = problem.NotFound("not_found", "未找到：编号无效", "not found: the id is not a number")
	errNoMediaTyp = problem.Malformed("unsupported_media_type", "请以 application/json 提交", "send the body as application/json")
	errDBDown     = &problem.Error{Kind: problem.KindUnavailable, Code: "database_unavailable", ZH: "数据库暂时不可用，请稍后再试；您的请求未被保存", EN: "the database is unavailable just now; nothing of this request was stored: please try again shortly", Retry: 5 * time.Second}
)

var statusOf = map[problem.Kind]int{
	problem.KindInternal:         http.StatusInternalServerError,
	problem.KindMalformed:        http.StatusBadRequest,
	problem.KindUnauthorized:     http.StatusUnauthorized,
	problem.KindForbidden:        http.StatusForbidden,
	problem.KindNotFound:         http.StatusNotFound,
	problem.KindConflict:         http.StatusConflict,
	problem.KindTooLarge:         http.StatusRequestEntityTooLarge,
	problem.KindInvalid:          http.StatusUnprocessableEntity,
	problem.KindTooMany:          http.StatusTooManyRequests,
	problem.KindUnavailable:      http.StatusServiceUnavailable,
	problem.KindMethodNotAllowed: http.StatusMethodNotAllowed,
}

// ErrorBody is the JSON of every error answer.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail says what went wrong.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// message returns the error's text in the request's language.
func (s *Server) message(r *http.Request, pe *problem.Error) string {
	lang := Lang(r)
	m := pe.Message(lang)
	if lang == LangZhTW {
		m = s.tw.convert(m)
	}
	return m
}

// writeError answers err in the JSON error format. Anything that is not a
// problem is an internal error: logged with the request id, never shown.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	if clientGone(r, err) {
		w.WriteHeader(StatusClientClosed) // for the access log and metrics; nobody reads it
		return
	}
	pe := s.answer(r, "request failed", err)
	st := statusOf[pe.Kind]
	if pe.Kind == problem.KindUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="mashang"`)
	}
	if pe.Kind == problem.KindTooMany || pe.Kind == problem.KindUnavailable {
		w.Header().Set("Retry-After", retryAfter(pe))
	}
	writeJSON(w, st, ErrorBody{Error: ErrorDetail{Code: pe.Code, Message: s.message(r, pe), Field: pe.Field}})
}

// StatusClientClosed is the status logged for a request whose client went
// away before it was answered (nginx's 499): not a failure of ours.
const StatusClientClosed = 499

// clientGone reports whether err is the request's own context ending
// because its client went away (closed the connection).
func clientGone(r *http.Request, err error) bool {
	return errors.Is(err, context.Canceled) && r.Context().Err() != nil
}

// answer is the problem that answers err: a problem as it is; a body over
// its limit 413; the database out of reach (restarting, a connection cut)
// 503, logged as a warning; anything else an internal error, logged with
// the request id and never shown.
func (s *Server) answer(r *http.Request, what string, err error) *problem.Error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errTooLarge
	}
	pe, ok := problem.As(err)
	switch {
	case ok && pe.Kind != problem.KindInternal:
		return pe
	case store.IsUnavailable(err):
		s.log.Warn(what+": database unavailable", "id", requestID(r), "method", r.Method, "path", r.URL.Path, "err", err)
		return errDBDown
	}
	s.log.Error(what, "id", requestID(r), "method", r.Method, "path", r.URL.Path, "err", err)
	return errInternal
}

// retryAfter is the Retry-After of a 429 or 503 in whole seconds (at least 1;
// 60 when the problem does not say).
func retryAfter(pe *problem.Error) string {
	if pe.Retry <= 0 {
		return "60"
	}
	return strconv.Itoa(int((pe.Retry + time.Second - 1) / time.Second))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, `{"error":{"code":"internal","message":"encoding failed"}}`, http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// readBody reads at most limit bytes of the body (413 beyond) and checks it
// is UTF-8 (400 otherwise).
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errTooLarge
		}
		return nil, problem.Malformed("unreadable_body", "无法读取请求体", "the request body could not be read").Wrap(err)
	}
	if !utf8.Valid(b) {
		return nil, errBadUTF8
	}
	return b, nil
}

// decodeJSON reads the body into v strictly: malformed JSON is 400, a field
// of the wrong type or an unknown field is 422 naming the field.
func (s *Server) decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	ct := strings.ToLower(r.Header.Get("Content-Type"))
	// curl -d sends JSON labelled as a form; take it when it is a JSON object.
	formLabel := strings.HasPrefix(ct, "application/x-www-form-urlencoded")
	if ct != "" && !strings.HasPrefix(ct, "application/json") && !formLabel {
		return errNoMediaTyp
	}
	b, err := readBody(w, r, s.app.Config.MaxBodyBytes)
	if err != nil {
		return err
	}
	if formLabel && !bytes.HasPrefix(bytes.TrimSpace(b), []byte("{")) {
		return errNoMediaTyp
	}
	if err := decodeStrict(b, v); err != nil {
		return err
	}
	return checkDates(reflect.ValueOf(v), "", civil.In(s.app.Clock.Now(), s.app.Loc))
}

func decodeStrict(b []byte, v any) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return errEmptyBody
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if dec.More() {
			return errNotJSON
		}
		if _, err := dec.Token(); err != io.EOF {
			return errNotJSON
		}
		return nil
	}
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	var de *civil.ParseError
	switch {
	case errors.As(err, &de):
		return civil.NotADate(badDateField(b, reflect.TypeOf(v)))
	case errors.As(err, &te):
		f := te.Field
		if f == "" {
			return problem.Malformed("malformed_json", "请求应为 JSON 对象", "the body must be a JSON object")
		}
		return problem.Invalid(f, "invalid_type", fmt.Sprintf("字段 %s 的类型不对（应为 %s）", f, jsType(te.Type.Kind().String())), fmt.Sprintf("the field %s must be %s", f, jsType(te.Type.Kind().String())))
	case errors.As(err, &se), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return errNotJSON
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return problem.Invalid(f, "unknown_field", "未知字段 "+f, "unknown field "+f)
	}
	// Errors from a field's own UnmarshalJSON: their text is ours, not the caller's.
	return problem.Invalid("", "invalid_value", "字段值无效", "a field has an invalid value").Wrap(err)
}

func jsType(kind string) string {
	switch kind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "array"
	case "map", "struct":
		return "object"
	}
	return "number"
}

// pathID reads an integer path value; anything else is 404 (no such thing).
func pathID(r *http.Request, name string) (int64, error) {
	n, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || n <= 0 {
		return 0, errBadID
	}
	return n, nil
}

// queryDate reads a YYYY-MM-DD query parameter: absent gives the zero date,
// anything that is not a date is the one bad-date answer (422 invalid_date).
func queryDate(r *http.Request, name string) (civil.Date, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return civil.Date{}, nil
	}
	d, err := civil.Parse(v)
	if err != nil {
		return civil.Date{}, civil.NotADate(name)
	}
	return d, nil
}

// readRaw reads a bounded raw body (a CSV upload, say) without the UTF-8 check.
func readRaw(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errTooLarge
		}
		return nil, problem.Malformed("unreadable_body", "无法读取请求体", "the request body could not be read").Wrap(err)
	}
	return b, nil
}
