// Package pages holds the embedded material of mashang's web pages: the
// html/template files, the hand-written CSS and JavaScript, the flat locale
// files (zh-CN, zh-TW, en) and the small data files the public home shows
// (the reporting channels). Everything is compiled into the binary; nothing
// is fetched from elsewhere at run time.
package pages

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
)

//go:embed templates/*.html static/* locales/*.json
var files embed.FS

// Langs are the languages of the pages, the default first.
var Langs = []string{"zh-CN", "zh-TW", "en"}

// Static is the tree of assets served under /static/.
func Static() fs.FS {
	sub, err := fs.Sub(files, "static")
	if err != nil {
		panic(err) // the directory is embedded: cannot happen
	}
	return sub
}

// AssetVersion is a short digest of the assets under /static/. Pages link
// to them with ?v=AssetVersion, so that a new binary's CSS and script are
// fetched at once although browsers keep the assets for an hour.
func AssetVersion() string {
	h := sha256.New()
	fs.WalkDir(files, "static", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := files.ReadFile(p)
			h.Write([]byte(p))
			h.Write(b)
		}
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:10]
}

// Locales reads the flat locale files: language → key → text.
func Locales() (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	for _, l := range Langs {
		b, err := files.ReadFile("locales/" + l + ".json")
		if err != nil {
			return nil, fmt.Errorf("pages: locale %s: %w", l, err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("pages: locale %s: %w", l, err)
		}
		out[l] = m
	}
	return out, nil
}

// The layout and partials every page is parsed with.
const layoutFile = "templates/layout.html"

// PageNames lists the pages (template files other than the layout), without ".html".
func PageNames() ([]string, error) {
	ents, err := fs.ReadDir(files, "templates")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		n := e.Name()
		if n == path.Base(layoutFile) || !strings.HasSuffix(n, ".html") {
			continue
		}
		out = append(out, strings.TrimSuffix(n, ".html"))
	}
	sort.Strings(out)
	return out, nil
}

// Parse parses every page with the layout, using funcs; it fails on the
// first template that does not parse. Each page executes as "layout".
func Parse(funcs template.FuncMap) (map[string]*template.Template, error) {
	return ParseFS(files, funcs)
}

// ParseFS is Parse over another tree laid out the same way (for tests).
func ParseFS(fsys fs.FS, funcs template.FuncMap) (map[string]*template.Template, error) {
	base, err := template.New("layout").Funcs(funcs).ParseFS(fsys, layoutFile)
	if err != nil {
		return nil, fmt.Errorf("pages: layout: %w", err)
	}
	ents, err := fs.ReadDir(fsys, "templates")
	if err != nil {
		return nil, err
	}
	out := map[string]*template.Template{}
	for _, e := range ents {
		n := e.Name()
		if n == path.Base(layoutFile) || !strings.HasSuffix(n, ".html") {
			continue
		}
		t, err := base.Clone()
		if err != nil {
			return nil, err
		}
		if _, err := t.ParseFS(fsys, "templates/"+n); err != nil {
			return nil, fmt.Errorf("pages: %s: %w", n, err)
		}
		if t.Lookup("content") == nil {
			return nil, fmt.Errorf("pages: %s defines no \"content\"", n)
		}
		out[strings.TrimSuffix(n, ".html")] = t
	}
	return out, nil
}

var keyUse = regexp.MustCompile(`\{\{-?\s*(?:t|tf)\s+"([^"]+)"`)

// TemplateKeys lists the locale keys the templates use literally
// ({{t "key"}} and {{tf "key" …}}), by file.
func TemplateKeys() (map[string][]string, error) {
	ents, err := fs.ReadDir(files, "templates")
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, e := range ents {
		b, err := files.ReadFile("templates/" + e.Name())
		if err != nil {
			return nil, err
		}
		for _, m := range keyUse.FindAllSubmatch(b, -1) {
			out[e.Name()] = append(out[e.Name()], string(m[1]))
		}
	}
	return out, nil
}
