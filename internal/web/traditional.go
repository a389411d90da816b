package web

import "mashang/internal/catalog"

// traditional converts messages written in Simplified Chinese to Traditional
// for zh-TW callers, with the same converter as the rest of the system
// (characters, then the office's glossary: catalog.Localizer), so that an
// error message, a page and the catalogue use the same words.
type traditional struct {
	l *catalog.Localizer
}

func (t *traditional) convert(s string) string {
	if t == nil || t.l == nil {
		return s
	}
	v, err := t.l.Traditional(s)
	if err != nil {
		return s
	}
	return v
}
