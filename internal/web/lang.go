package web

import (
	"net/http"
	"strings"
)

// The languages of the pages and messages.
const (
	LangZhCN = "zh-CN"
	LangZhTW = "zh-TW"
	LangEn   = "en"
)

// normLang maps a language tag to one of ours, or "".
func normLang(tag string) string {
	t := strings.ToLower(strings.TrimSpace(tag))
	switch {
	case t == "":
		return ""
	case strings.HasPrefix(t, "zh-tw"), strings.HasPrefix(t, "zh-hk"), strings.HasPrefix(t, "zh-mo"), strings.HasPrefix(t, "zh-hant"):
		return LangZhTW
	case strings.HasPrefix(t, "zh"):
		return LangZhCN
	case strings.HasPrefix(t, "en"):
		return LangEn
	}
	return ""
}

// Lang picks the caller's language: ?lang=, then the lang cookie, then
// Accept-Language (in the order given), else Simplified Chinese.
func Lang(r *http.Request) string {
	if l := normLang(r.URL.Query().Get("lang")); l != "" {
		return l
	}
	if c, err := r.Cookie("lang"); err == nil {
		if l := normLang(c.Value); l != "" {
			return l
		}
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, _, _ := strings.Cut(part, ";")
		if l := normLang(tag); l != "" {
			return l
		}
	}
	return LangZhCN
}
