package reports_test

import (
	"bytes"
	"encoding/csv"
	"reflect"
	"testing"

	"github.com/xuri/excelize/v2"

	"mashang/internal/reports"
)

var streamRows = [][]string{
	{"1", "<b>&\"x\"</b>", "=SUM(A1)"},
	{"2", "换行\n第二行", ""},
	{"3", "控制\x01字符\x7f", "ok"},
	{"4", "𠮷", "-1"},
	{"5", "tab\tin", "@x"},
}

// The streamed workbook opens in excelize with every cell as written
// (XML-special characters escaped, control characters dropped), and rows
// past a sheet's capacity go on to further sheets, each with the header.
func TestXLSXStreamSheetsAndEscaping(t *testing.T) {
	var b bytes.Buffer
	w, err := reports.NewXLSXSheetRows(&b, "案件清单", []string{"编号", "内容", "备注"}, 3)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range streamRows {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if w.Rows() != len(streamRows) {
		t.Fatalf("Rows() = %d", w.Rows())
	}
	f, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !reflect.DeepEqual(got, []string{"案件清单", "案件清单 (2)", "案件清单 (3)"}) {
		t.Fatalf("sheets %v", got)
	}
	var all [][]string
	for _, s := range f.GetSheetList() {
		rows, err := f.GetRows(s)
		if err != nil {
			t.Fatal(err)
		}
		if rows[0][0] != "编号" {
			t.Fatalf("%s has no header: %v", s, rows)
		}
		all = append(all, rows[1:]...)
	}
	want := [][]string{
		{"1", "<b>&\"x\"</b>", "=SUM(A1)"}, // inline strings are text, never formulas
		{"2", "换行\n第二行"},
		{"3", "控制字符\x7f", "ok"}, // DEL is valid XML; U+0001 is not
		{"4", "𠮷", "-1"},
		{"5", "tab\tin", "@x"},
	}
	if !reflect.DeepEqual(all, want) {
		t.Fatalf("rows\n got %q\nwant %q", all, want)
	}
}

// CSV: BOM, header, CRLF, and formula-like cells made text.
func TestCSVStream(t *testing.T) {
	var b bytes.Buffer
	w, err := reports.NewCSV(&b, []string{"编号", "内容", "备注"})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range streamRows[:1] {
		w.Write(r)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b.Bytes(), []byte("\ufeff编号,内容,备注\r\n")) {
		t.Fatalf("%q", b.String())
	}
	recs, err := csv.NewReader(bytes.NewReader(b.Bytes()[3:])).ReadAll()
	if err != nil || len(recs) != 2 || recs[1][2] != "'=SUM(A1)" {
		t.Fatalf("%q %v", recs, err)
	}
}
