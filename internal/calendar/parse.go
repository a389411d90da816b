package calendar

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"mashang/internal/civil"
)

// MaxImportSize is the largest calendar file ParseYear accepts (a year file is
// a few kilobytes; this only stops a wrong file from being read whole).
const MaxImportSize = 1 << 20

// MaxNameLen is the longest day name, in characters, ParseYear accepts.
const MaxNameLen = 64

// Codes of ImportError, usable as message keys (zh-CN/zh-TW/en) by callers.
const (
	CodeTooLarge      = "calendar_too_large"       // file larger than MaxImportSize
	CodeBadJSON       = "calendar_bad_json"        // not JSON, or not the expected shape
	CodeBadYear       = "calendar_bad_year"        // "year" missing, repeated, or not an integer 1900–9999
	CodeNoDays        = "calendar_no_days"         // "days" missing or empty
	CodeBadDay        = "calendar_bad_day"         // a day entry is not an object with the expected field types
	CodeBadDate       = "calendar_bad_date"        // date missing, malformed, or not a real date
	CodeYearMismatch  = "calendar_year_mismatch"   // date outside the declared year
	CodeDuplicate     = "calendar_duplicate_date"  // the same date listed twice
	CodeBadKind       = "calendar_bad_kind"        // kind missing or unknown, or contradicting isOffDay
	CodeWorkOnWeekday = "calendar_work_on_weekday" // a make-up working day that is not a Saturday or Sunday
	CodeBadName       = "calendar_bad_name"        // name longer than MaxNameLen characters
	CodeBadUTF8       = "calendar_bad_utf8"        // the file is not valid UTF-8
)

// ImportError is the one error type ParseYear returns: what is wrong with an
// import file, and where. Line is 1-based (0 when the problem has no single
// place, such as a file that is too large); Date is the date text of the entry
// concerned, as written in the file (empty when not about one entry); Code is
// one of the Code* constants, for translated messages; Msg is English text.
type ImportError struct {
	Line int
	Date string
	Code string
	Msg  string
}

// Error reads "calendar import: line 12 (2026-02-30): <problem>".
func (e *ImportError) Error() string {
	var b strings.Builder
	b.WriteString("calendar import: ")
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d", e.Line)
		if e.Date != "" {
			fmt.Fprintf(&b, " (%s)", e.Date)
		}
		b.WriteString(": ")
	} else if e.Date != "" {
		fmt.Fprintf(&b, "%s: ", e.Date)
	}
	b.WriteString(e.Msg)
	return b.String()
}

// rawDay is one entry as written, in either format.
type rawDay struct {
	Date     *string `json:"date"`
	Kind     *string `json:"kind"`
	Name     *string `json:"name"`
	IsOffDay *bool   `json:"isOffDay"`
}

type entry struct {
	line int
	raw  rawDay
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// ParseYear reads one year of holidays and make-up working days from an
// import file, in either of two formats:
//
//	ours:        {"year": 2026, "days": [{"date": "2026-01-01", "kind": "off", "name": "元旦"}, …]}
//	holiday-cn:  {"year": 2026, "days": [{"name": "元旦", "date": "2026-01-01", "isOffDay": true}, …]}
//
// An entry may also carry both "kind" and "isOffDay" if they agree. Other
// top-level keys (holiday-cn's "$schema", "$id", "papers") and other entry
// keys are ignored; a leading UTF-8 byte-order mark is skipped.
//
// Rules: "year" is an integer 1900–9999; "days" is a non-empty list; every
// date is a real YYYY-MM-DD date inside that year and is listed once; kind is
// "off" or "work"; a "work" day (make-up working day, 调休) must be a Saturday
// or Sunday. An "off" day on a weekend is accepted and kept: the State
// Council's notices list whole breaks including their weekends, and such an
// entry changes nothing but names the day. Names are trimmed and at most
// MaxNameLen characters.
//
// The returned Year has its days sorted by date. Any failure is an
// *ImportError naming the first problem in file order.
func ParseYear(data []byte) (Year, error) {
	data = bytes.TrimPrefix(data, utf8BOM)
	if len(data) > MaxImportSize {
		return Year{}, &ImportError{Code: CodeTooLarge,
			Msg: fmt.Sprintf("file is %d bytes; a calendar file is at most %d", len(data), MaxImportSize)}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return Year{}, &ImportError{Line: 1, Code: CodeBadJSON, Msg: "file is empty"}
	}
	if !utf8.Valid(data) {
		// JSON decoding would turn the bad bytes into U+FFFD silently.
		i := 0
		for i < len(data) {
			r, n := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			i += n
		}
		return Year{}, &ImportError{Line: lineAt(data, int64(i)), Code: CodeBadUTF8,
			Msg: fmt.Sprintf("the file is not valid UTF-8 (byte %d); save it as UTF-8", i+1)}
	}
	// Syntax first, on the whole input, so that the offset is absolute.
	if err := json.Unmarshal(data, new(json.RawMessage)); err != nil {
		ie := &ImportError{Line: 1, Code: CodeBadJSON, Msg: "not valid JSON: " + strings.TrimPrefix(err.Error(), "json: ")}
		var se *json.SyntaxError
		if errors.As(err, &se) {
			ie.Line = lineAt(data, se.Offset)
		}
		return Year{}, ie
	}

	p := &parser{data: data, dec: json.NewDecoder(bytes.NewReader(data))}
	year, yearLine, entries, daysLine, err := p.walk()
	if err != nil {
		return Year{}, err
	}
	if yearLine == 0 {
		return Year{}, &ImportError{Line: 1, Code: CodeBadYear, Msg: `"year" is missing`}
	}
	if year < 1900 || year > 9999 {
		return Year{}, &ImportError{Line: yearLine, Code: CodeBadYear, Msg: fmt.Sprintf("year %d is out of range 1900–9999", year)}
	}
	if len(entries) == 0 {
		line := daysLine
		if line == 0 {
			line = 1
		}
		return Year{}, &ImportError{Line: line, Code: CodeNoDays, Msg: `"days" is missing or empty; a year file lists at least one day`}
	}
	days, err := validate(year, entries)
	if err != nil {
		return Year{}, err
	}
	return Year{Year: year, Days: days}, nil
}

type parser struct {
	data []byte
	dec  *json.Decoder
}

// lineAt is the 1-based line of byte offset off.
func lineAt(data []byte, off int64) int {
	if off < 0 {
		off = 0
	}
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	return 1 + bytes.Count(data[:off], []byte{'\n'})
}

// nextLine is the line of the next token after the decoder's position,
// skipping white space, commas and colons the decoder has not consumed yet.
func (p *parser) nextLine() int {
	off := p.dec.InputOffset()
	for off < int64(len(p.data)) {
		switch p.data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
			continue
		}
		break
	}
	return lineAt(p.data, off)
}

func (p *parser) walk() (year, yearLine int, entries []entry, daysLine int, err error) {
	line := p.nextLine()
	tok, err := p.dec.Token()
	if err != nil || tok != json.Delim('{') {
		return 0, 0, nil, 0, &ImportError{Line: line, Code: CodeBadJSON,
			Msg: `the file must be one JSON object {"year": …, "days": […]}`}
	}
	for p.dec.More() {
		keyLine := p.nextLine()
		tok, err := p.dec.Token()
		if err != nil {
			return 0, 0, nil, 0, &ImportError{Line: keyLine, Code: CodeBadJSON, Msg: "unreadable key: " + err.Error()}
		}
		key, _ := tok.(string)
		switch key {
		case "year":
			if yearLine != 0 {
				return 0, 0, nil, 0, &ImportError{Line: keyLine, Code: CodeBadYear, Msg: fmt.Sprintf(`"year" is given twice (first on line %d)`, yearLine)}
			}
			yearLine = keyLine
			if err := p.dec.Decode(&year); err != nil {
				return 0, 0, nil, 0, &ImportError{Line: keyLine, Code: CodeBadYear, Msg: `"year" must be a whole number such as 2026`}
			}
		case "days":
			if daysLine != 0 {
				return 0, 0, nil, 0, &ImportError{Line: keyLine, Code: CodeBadJSON, Msg: fmt.Sprintf(`"days" is given twice (first on line %d)`, daysLine)}
			}
			daysLine = keyLine
			entries, err = p.days(keyLine)
			if err != nil {
				return 0, 0, nil, 0, err
			}
		default:
			var skip json.RawMessage
			if err := p.dec.Decode(&skip); err != nil {
				return 0, 0, nil, 0, &ImportError{Line: keyLine, Code: CodeBadJSON, Msg: "unreadable value: " + err.Error()}
			}
		}
	}
	return year, yearLine, entries, daysLine, nil
}

func (p *parser) days(keyLine int) ([]entry, error) {
	tok, err := p.dec.Token()
	if err != nil {
		return nil, &ImportError{Line: keyLine, Code: CodeNoDays, Msg: `"days" must be a list`}
	}
	if tok == nil { // "days": null
		return nil, nil
	}
	if tok != json.Delim('[') {
		return nil, &ImportError{Line: keyLine, Code: CodeNoDays, Msg: `"days" must be a list`}
	}
	var out []entry
	for p.dec.More() {
		line := p.nextLine()
		var r rawDay
		if err := p.dec.Decode(&r); err != nil {
			return nil, &ImportError{Line: line, Code: CodeBadDay, Msg: dayShapeMsg(err)}
		}
		out = append(out, entry{line: line, raw: r})
	}
	if _, err := p.dec.Token(); err != nil { // ']'
		return nil, &ImportError{Line: p.nextLine(), Code: CodeBadJSON, Msg: err.Error()}
	}
	return out, nil
}

func dayShapeMsg(err error) string {
	var ute *json.UnmarshalTypeError
	if errors.As(err, &ute) {
		switch ute.Field {
		case "date", "kind", "name":
			return fmt.Sprintf("%q must be text, not %s", ute.Field, ute.Value)
		case "isOffDay":
			return fmt.Sprintf(`"isOffDay" must be true or false, not %s`, ute.Value)
		case "":
			return fmt.Sprintf(`each day must be an object {"date": …, "kind": …, "name": …}, not %s`, ute.Value)
		}
		return fmt.Sprintf("field %q has the wrong type (%s)", ute.Field, ute.Value)
	}
	return "unreadable day entry: " + strings.TrimPrefix(err.Error(), "json: ")
}

func validate(year int, entries []entry) ([]Day, error) {
	seen := make(map[civil.Date]int, len(entries))
	days := make([]Day, 0, len(entries))
	for _, e := range entries {
		r := e.raw
		if r.Date == nil {
			return nil, &ImportError{Line: e.line, Code: CodeBadDate, Msg: `"date" is missing`}
		}
		text := *r.Date
		d, err := civil.Parse(text)
		if err != nil {
			return nil, &ImportError{Line: e.line, Date: text, Code: CodeBadDate,
				Msg: fmt.Sprintf("%q is not a real date in the form YYYY-MM-DD", text)}
		}
		if d.Year != year {
			return nil, &ImportError{Line: e.line, Date: text, Code: CodeYearMismatch,
				Msg: fmt.Sprintf("date %s is not in the file's year %d", d, year)}
		}
		if first, dup := seen[d]; dup {
			return nil, &ImportError{Line: e.line, Date: text, Code: CodeDuplicate,
				Msg: fmt.Sprintf("date %s is already listed on line %d", d, first)}
		}
		seen[d] = e.line

		kind, msg := entryKind(r)
		if msg != "" {
			return nil, &ImportError{Line: e.line, Date: text, Code: CodeBadKind, Msg: msg}
		}
		if kind == Work && !isWeekend(d) {
			return nil, &ImportError{Line: e.line, Date: text, Code: CodeWorkOnWeekday,
				Msg: fmt.Sprintf("%s is a %s; a make-up working day (work) must be a Saturday or Sunday", d, d.Weekday())}
		}
		var name string
		if r.Name != nil {
			name = strings.TrimSpace(*r.Name)
		}
		if n := utf8.RuneCountInString(name); n > MaxNameLen {
			return nil, &ImportError{Line: e.line, Date: text, Code: CodeBadName,
				Msg: fmt.Sprintf("name is %d characters; at most %d", n, MaxNameLen)}
		}
		days = append(days, Day{Date: d, Kind: kind, Name: name})
	}
	sort.Slice(days, func(i, j int) bool { return days[i].Date.Before(days[j].Date) })
	return days, nil
}

// entryKind reads kind and/or isOffDay; msg is non-empty on a problem.
func entryKind(r rawDay) (Kind, string) {
	var k Kind
	if r.Kind != nil {
		switch Kind(*r.Kind) {
		case Off, Work:
			k = Kind(*r.Kind)
		default:
			return "", fmt.Sprintf(`kind %q is unknown; use "off" (rest day or holiday) or "work" (make-up working day)`, *r.Kind)
		}
	}
	if r.IsOffDay != nil {
		k2 := Work
		if *r.IsOffDay {
			k2 = Off
		}
		if k != "" && k != k2 {
			return "", fmt.Sprintf(`kind %q contradicts "isOffDay": %t`, k, *r.IsOffDay)
		}
		k = k2
	}
	if k == "" {
		return "", `"kind" is missing; use "off" or "work" (or "isOffDay": true|false)`
	}
	return k, ""
}

func isWeekend(d civil.Date) bool {
	wd := d.Weekday()
	return wd == time.Saturday || wd == time.Sunday
}
