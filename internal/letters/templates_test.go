package letters

import (
	"strings"
	"testing"
	"unicode/utf8"

	"mashang/internal/problem"
)

// FuzzTemplateParse: whatever an admin types, parse answers a template that
// renders the sample or a refusal in the problem shape, never a panic.
func FuzzTemplateParse(f *testing.F) {
	for _, k := range Kinds {
		text, err := Shipped(k)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(text)
	}
	for _, s := range []string{"", "{{", "{{.Nope}}", "{{define \"a\"}}{{template \"a\"}}{{end}}{{template \"a\"}}", "{{range .Receipt}}x{{end}}",
		"{{call .Office}}", "{{index .Office 99}}", "{{printf \"%s\" .Reason}}", "<p>{{.Receipt}}</p>", "{{template \"x\"}}", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		tmpl, err := parse(text)
		if err != nil {
			if _, ok := problem.As(err); !ok {
				t.Fatalf("%q: not a problem: %v", text, err)
			}
			return
		}
		if !utf8.ValidString(text) || strings.TrimSpace(text) == "" {
			t.Fatalf("%q accepted", text)
		}
		var b strings.Builder
		if err := tmpl.Execute(&b, sample); err != nil {
			t.Fatalf("%q accepted but fails on the sample: %v", text, err)
		}
	})
}

// Refusals name what is wrong, in both languages.
func TestTemplateRefusals(t *testing.T) {
	for _, tc := range []struct{ text, zh, en string }{
		{"{{.Nope}}", "没有字段 Nope", "no field Nope"},
		{"{{if .Receipt}}", "模板有误", "not valid"},
		{`{{define "a"}}x{{end}}`, "define", "define"},
		{strings.Repeat("字", MaxTemplate+1), "过长", "longer than"},
		{"a\xffb", "不是有效的文本", "not valid text"},
	} {
		_, err := parse(tc.text)
		pe, ok := problem.As(err)
		if !ok || pe.Code != "invalid_template" || !strings.Contains(pe.Message("zh-CN"), tc.zh) || !strings.Contains(pe.Message("en"), tc.en) {
			t.Errorf("%.20q: %v", tc.text, err)
		}
	}
	if _, err := parse("<p>{{.Receipt}} {{.ReviewDays}}</p>"); err != nil {
		t.Errorf("a good text refused: %v", err)
	}
}
