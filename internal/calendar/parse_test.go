package calendar

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBothFormatsEqualEmbedded2026(t *testing.T) {
	ours, err := ParseYear(readTestdata(t, "2026.json"))
	if err != nil {
		t.Fatalf("our format: %v", err)
	}
	community, err := ParseYear(readTestdata(t, "2026.holiday-cn.json"))
	if err != nil {
		t.Fatalf("holiday-cn format: %v", err)
	}
	ys, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	var emb Year
	for _, y := range ys {
		if y.Year == 2026 {
			emb = y
		}
	}
	if len(ours.Days) != 39 {
		t.Errorf("2026 has %d listed days, want 39", len(ours.Days))
	}
	if !reflect.DeepEqual(ours, community) {
		t.Errorf("holiday-cn 2026 differs from our 2026:\n%+v\n%+v", community, ours)
	}
	if !reflect.DeepEqual(ours, emb) {
		t.Errorf("embedded 2026 differs from the fixture")
	}
}

func TestParseYearAcceptsVariants(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Year
	}{
		{"unsorted input comes out sorted; weekend off allowed",
			`{"year":2026,"days":[{"date":"2026-10-10","kind":"work","name":"国庆节"},{"date":"2026-10-03","kind":"off","name":" 国庆节 "}]}`,
			Year{2026, []Day{{d("2026-10-03"), Off, "国庆节"}, {d("2026-10-10"), Work, "国庆节"}}}},
		{"holiday-cn extra keys ignored, days before year",
			"\ufeff" + `{"$schema":"x","days":[{"name":"元旦","date":"2026-01-04","isOffDay":false}],"papers":["a"],"year":2026}`,
			Year{2026, []Day{{d("2026-01-04"), Work, "元旦"}}}},
		{"kind and isOffDay agreeing",
			`{"year":2026,"days":[{"date":"2026-01-01","kind":"off","isOffDay":true}]}`,
			Year{2026, []Day{{d("2026-01-01"), Off, ""}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseYear([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseYearErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		line int
		date string
		code string
		msg  string // a fragment of Msg
	}{
		{"empty file", "  \n", 1, "", CodeBadJSON, "empty"},
		{"syntax error on line 3", "{\n \"year\": 2026,\n \"days\": [,]\n}", 3, "", CodeBadJSON, "invalid"},
		{"trailing garbage", "{\"year\":2026,\"days\":[]}\n\nx", 3, "", CodeBadJSON, "invalid"},
		{"top level array", "[1]", 1, "", CodeBadJSON, "one JSON object"},
		{"year missing", `{"days":[{"date":"2026-01-01","kind":"off"}]}`, 1, "", CodeBadYear, "missing"},
		{"year a string", "{\n\"year\": \"2026\", \"days\": []}", 2, "", CodeBadYear, "whole number"},
		{"year out of range", `{"year": 26, "days":[{"date":"0026-01-01","kind":"off"}]}`, 1, "", CodeBadYear, "out of range"},
		{"year twice", "{\"year\":2026,\n\"year\":2027}", 2, "", CodeBadYear, "twice"},
		{"days missing", `{"year":2026}`, 1, "", CodeNoDays, "missing or empty"},
		{"days empty", "{\"year\":2026,\n\"days\":[]}", 2, "", CodeNoDays, "missing or empty"},
		{"days null", `{"year":2026,"days":null}`, 1, "", CodeNoDays, "missing or empty"},
		{"days an object", `{"year":2026,"days":{}}`, 1, "", CodeNoDays, "must be a list"},
		{"day a number", "{\"year\":2026,\"days\":[\n1]}", 2, "", CodeBadDay, "object"},
		{"date a number", "{\"year\":2026,\"days\":[\n{\"date\":20260101,\"kind\":\"off\"}]}", 2, "", CodeBadDay, `"date" must be text`},
		{"isOffDay a string", "{\"year\":2026,\"days\":[\n{\"date\":\"2026-01-01\",\"isOffDay\":\"yes\"}]}", 2, "", CodeBadDay, "true or false"},
		{"date missing", "{\"year\":2026,\"days\":[\n{\"kind\":\"off\"}]}", 2, "", CodeBadDate, "missing"},
		{"bad date", "{\"year\":2026,\"days\":[\n{\"date\":\"2026-01-01\",\"kind\":\"off\"},\n{\"date\":\"2026-02-30\",\"kind\":\"off\"}]}", 3, "2026-02-30", CodeBadDate, "not a real date"},
		{"bad date form", "{\"year\":2026,\"days\":[{\"date\":\"2026/1/1\",\"kind\":\"off\"}]}", 1, "2026/1/1", CodeBadDate, "YYYY-MM-DD"},
		{"year mismatch", "{\"year\":2026,\"days\":[\n\n{\"date\":\"2025-12-31\",\"kind\":\"off\"}]}", 3, "2025-12-31", CodeYearMismatch, "not in the file's year 2026"},
		{"duplicate", "{\"year\":2026,\"days\":[\n{\"date\":\"2026-01-01\",\"kind\":\"off\"},\n{\"date\":\"2026-01-01\",\"kind\":\"off\"}]}", 3, "2026-01-01", CodeDuplicate, "already listed on line 2"},
		{"unknown kind", "{\"year\":2026,\"days\":[\n{\"date\":\"2026-01-01\",\"kind\":\"holiday\"}]}", 2, "2026-01-01", CodeBadKind, "unknown"},
		{"kind missing", "{\"year\":2026,\"days\":[\n{\"date\":\"2026-01-01\"}]}", 2, "2026-01-01", CodeBadKind, "missing"},
		{"kind contradicts isOffDay", "{\"year\":2026,\"days\":[\n{\"date\":\"2026-01-01\",\"kind\":\"work\",\"isOffDay\":true}]}", 2, "2026-01-01", CodeBadKind, "contradicts"},
		{"work on a weekday", "{\"year\":2026,\"days\":[\n{\"date\":\"2026-01-05\",\"kind\":\"work\"}]}", 2, "2026-01-05", CodeWorkOnWeekday, "Monday"},
		{"holiday-cn work on a weekday", "{\"year\":2026,\"days\":[\n{\"date\":\"2026-01-05\",\"isOffDay\":false}]}", 2, "2026-01-05", CodeWorkOnWeekday, "Saturday or Sunday"},
		{"name too long", "{\"year\":2026,\"days\":[\n{\"date\":\"2026-01-01\",\"kind\":\"off\",\"name\":\"" + strings.Repeat("节", 65) + "\"}]}", 2, "2026-01-01", CodeBadName, "65 characters"},
		{"first problem in file order wins", "{\"year\":2026,\"days\":[\n{\"date\":\"2026-01-05\",\"kind\":\"work\"},\n{\"date\":\"bad\",\"kind\":\"off\"}]}", 2, "2026-01-05", CodeWorkOnWeekday, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseYear([]byte(tt.in))
			var ie *ImportError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v (%T) is not an *ImportError", err, err)
			}
			if ie.Line != tt.line || ie.Date != tt.date || ie.Code != tt.code || !strings.Contains(ie.Msg, tt.msg) {
				t.Errorf("got %+v; want line %d date %q code %s msg ~%q", *ie, tt.line, tt.date, tt.code, tt.msg)
			}
			if !strings.HasPrefix(ie.Error(), "calendar import: ") {
				t.Errorf("Error() = %q", ie.Error())
			}
		})
	}
}

func TestParseYearTooLarge(t *testing.T) {
	big := make([]byte, MaxImportSize+1)
	_, err := ParseYear(big)
	var ie *ImportError
	if !errors.As(err, &ie) || ie.Code != CodeTooLarge {
		t.Fatalf("got %v", err)
	}
}

func TestImportErrorText(t *testing.T) {
	e := &ImportError{Line: 12, Date: "2026-02-30", Code: CodeBadDate, Msg: "bad"}
	if got, want := e.Error(), "calendar import: line 12 (2026-02-30): bad"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	e = &ImportError{Code: CodeTooLarge, Msg: "too big"}
	if got, want := e.Error(), "calendar import: too big"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func FuzzParseYear(f *testing.F) {
	f.Add(readTestdataF(f, "2026.json"))
	f.Add(readTestdataF(f, "2026.holiday-cn.json"))
	f.Add([]byte(`{"year":2026,"days":[{"date":"2026-01-04","kind":"work","name":"<b>&</b>"}]}`))
	f.Add([]byte(`{"year":2026,"days":[{"date":"2026-01-01","isOffDay":true,"kind":"off"}],"year":1}`))
	f.Add([]byte("{\"year\":2026,\"days\":[{\"date\":\"2026-02-30\"}]}"))
	f.Add([]byte(`[]`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, data []byte) {
		y, err := ParseYear(data)
		if err != nil {
			var ie *ImportError
			if !errors.As(err, &ie) {
				t.Fatalf("error is %T, not *ImportError: %v", err, err)
			}
			return
		}
		out, err := json.Marshal(y)
		if err != nil {
			t.Fatalf("marshal accepted year: %v", err)
		}
		again, err := ParseYear(out)
		if err != nil {
			t.Fatalf("accepted year does not re-parse: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(y, again) {
			t.Fatalf("round trip changed the year:\n%+v\n%+v", y, again)
		}
	})
}

func readTestdataF(f *testing.F, name string) []byte {
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		f.Fatal(err)
	}
	return b
}
