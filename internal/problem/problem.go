// Package problem is the one error vocabulary of mashang's domain packages.
// A domain function returns a *Error saying what kind of failure it is and
// why, in Chinese and English; the HTTP layer maps the kind to a status code
// once and picks the message in the caller's language (Traditional Chinese is
// converted from the Simplified text). Domain code never sees HTTP.
package problem

import (
	"errors"
	"fmt"
	"time"
)

// Kind classifies a failure.
type Kind int

// The kinds, each one HTTP status.
const (
	KindInternal     Kind = iota // 500: a fault of ours
	KindMalformed                // 400: the request cannot be read
	KindUnauthorized             // 401
	KindForbidden                // 403
	KindNotFound                 // 404
	KindConflict                 // 409: the state does not allow it, or a duplicate
	KindTooLarge                 // 413
	KindInvalid                  // 422: readable but fails validation
	KindTooMany                  // 429
	KindUnavailable              // 503
	// KindMethodNotAllowed: 405, the path exists but not for this method
	// (only the HTTP layer makes these).
	KindMethodNotAllowed
)

// Error is a domain failure with a stable snake_case code and messages.
type Error struct {
	Kind  Kind
	Code  string
	Field string // the offending field, when one is to blame
	ZH    string // message in Simplified Chinese
	EN    string // message in English
	Err   error  // the cause, for logs; never shown to callers
	// Retry says when to try again (429: Retry-After); zero: unsaid.
	Retry time.Duration
}

func (e *Error) Error() string {
	s := e.Code
	if e.Field != "" {
		s += " (" + e.Field + ")"
	}
	if e.EN != "" {
		s += ": " + e.EN
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Message picks the text for lang "en" or Chinese (zh-CN; the caller
// converts for zh-TW).
func (e *Error) Message(lang string) string {
	if lang == "en" || e.ZH == "" {
		return e.EN
	}
	return e.ZH
}

// WithField returns a copy naming the field.
func (e *Error) WithField(f string) *Error { c := *e; c.Field = f; return &c }

// RetryIn returns a copy saying when to try again.
func (e *Error) RetryIn(d time.Duration) *Error { c := *e; c.Retry = d; return &c }

// Wrap returns a copy that keeps cause for logs.
func (e *Error) Wrap(cause error) *Error { c := *e; c.Err = cause; return &c }

func mk(k Kind, code, zh, en string) *Error { return &Error{Kind: k, Code: code, ZH: zh, EN: en} }

// Malformed: 400.
func Malformed(code, zh, en string) *Error { return mk(KindMalformed, code, zh, en) }

// Invalid: 422 naming field.
func Invalid(field, code, zh, en string) *Error {
	e := mk(KindInvalid, code, zh, en)
	e.Field = field
	return e
}

// NotFound: 404.
func NotFound(code, zh, en string) *Error { return mk(KindNotFound, code, zh, en) }

// Conflict: 409.
func Conflict(code, zh, en string) *Error { return mk(KindConflict, code, zh, en) }

// Forbidden: 403.
func Forbidden(code, zh, en string) *Error { return mk(KindForbidden, code, zh, en) }

// Unauthorized: 401.
func Unauthorized(code, zh, en string) *Error { return mk(KindUnauthorized, code, zh, en) }

// TooLarge: 413.
func TooLarge(code, zh, en string) *Error { return mk(KindTooLarge, code, zh, en) }

// TooMany: 429.
func TooMany(code, zh, en string) *Error { return mk(KindTooMany, code, zh, en) }

// Required is the common 422 for a missing field.
func Required(field string) *Error {
	return Invalid(field, "required", fmt.Sprintf("缺少必填字段 %s", field), fmt.Sprintf("the field %s is required", field))
}

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var pe *Error
	if errors.As(err, &pe) {
		return pe, true
	}
	return nil, false
}

// Is reports whether err is a problem of kind k.
func Is(err error, k Kind) bool {
	pe, ok := As(err)
	return ok && pe.Kind == k
}
