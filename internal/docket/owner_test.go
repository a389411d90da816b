package docket

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"mashang/internal/civil"
)

func mustDate(s string) civil.Date { return civil.MustParse(s) }

// writesRecord matches SQL that changes the case record's tables.
var writesRecord = regexp.MustCompile(`(?i)\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(cases|case_events|case_people)\b`)

// The case record has one owner: outside this package no Go code (tests
// aside, which build fixtures) writes cases, case_events or case_people,
// and none spells a state or a finding as a string of its own: they use the
// constants here, so that a renamed or added value cannot be missed.
func TestOnlyTheDocketWritesAndSpellsTheRecord(t *testing.T) {
	root := filepath.Join("..")
	exact := map[string]bool{}
	for _, s := range States {
		if s != Review { // "review" also names the reporter's request and its kind
			exact[string(s)] = true
		}
	}
	for _, f := range Findings {
		exact[string(f)] = true
	}
	var quoted []string
	for _, s := range States {
		quoted = append(quoted, "'"+string(s)+"'")
	}
	for _, f := range Findings {
		quoted = append(quoted, "'"+string(f)+"'")
	}
	for _, c := range Channels {
		quoted = append(quoted, "'"+string(c)+"'")
	}
	files := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && filepath.Base(path) == "docket" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		// mashang bench grow copies a demo database's rows by the million
		// for list benchmarks, like a test's fixture; it refuses a
		// database that mashang demo did not fill.
		if filepath.ToSlash(path) == "../demo/grow.go" {
			return nil
		}
		files++
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		tags := map[*ast.BasicLit]bool{}
		ast.Inspect(f, func(n ast.Node) bool {
			if fl, ok := n.(*ast.Field); ok && fl.Tag != nil {
				tags[fl.Tag] = true
			}
			return true
		})
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING || tags[lit] {
				return true
			}
			v, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			pos := fset.Position(lit.Pos())
			if writesRecord.MatchString(v) {
				t.Errorf("%s: writes the case record outside package docket: %.80q", pos, v)
			}
			if exact[v] {
				t.Errorf("%s: spells %q; use the docket constant", pos, v)
			}
			for _, q := range quoted {
				if strings.Contains(v, q) {
					t.Errorf("%s: SQL spells %s; use docket.SQLList or a docket constant", pos, q)
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 {
		t.Fatalf("only %d files scanned from %s", files, root)
	}
}
