package org_test

import (
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"mashang/internal/org"
	"mashang/internal/problem"
)

// FuzzReadTable: any bytes read as an import file give a table or a
// problem naming what is wrong, never a panic or another error; every
// record's line is after the header's.
func FuzzReadTable(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.csv"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("code,name,parent\nMQ,\"闽清县\nx\",\n"))
	f.Add([]byte("name,unit\n\"unterminated,MQ\n"))
	f.Add([]byte("\xef\xbb\xbfcode,name\n\xd6\xd0\xb9\xfa,\xff\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tbl, err := org.ReadTable(data)
		if err != nil {
			if _, ok := problem.As(err); !ok {
				t.Fatalf("not a problem: %v", err)
			}
			return
		}
		if len(tbl.Records) != len(tbl.Lines) {
			t.Fatal("records and lines disagree")
		}
		for i, rec := range tbl.Records {
			if tbl.Lines[i] < 2 {
				t.Fatalf("record on line %d", tbl.Lines[i])
			}
			for _, field := range rec {
				if !utf8.ValidString(field) {
					t.Fatalf("field %q is not UTF-8", field)
				}
			}
		}
	})
}
