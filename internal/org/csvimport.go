package org

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"mashang/internal/audit"
	"mashang/internal/auth"
	"mashang/internal/office"
	"mashang/internal/problem"
)

// ImportResult counts what an import did.
type ImportResult struct {
	Kind    string `json:"kind"` // "units" or "people"
	Created int    `json:"created"`
	Updated int    `json:"updated"`
	// Offices counts the offices the office column made or gave a
	// jurisdiction.
	Offices int `json:"offices,omitempty"`
}

// MaxImportBytes bounds an import file.
const MaxImportBytes = 16 << 20

// DecodeText returns data as UTF-8: UTF-8 (with or without BOM) is kept,
// anything else is read as GB18030, the superset of GBK and GB2312 that Excel
// on a Chinese Windows writes.
func DecodeText(data []byte) ([]byte, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if utf8.Valid(data) {
		return data, nil
	}
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
	if err != nil {
		return nil, fmt.Errorf("the file is neither UTF-8 nor GBK: %w", err)
	}
	return out, nil
}

func lineErr(line int, zh, en string) error {
	return problem.Invalid("file", "import_bad_line", fmt.Sprintf("第 %d 行：%s", line, zh), fmt.Sprintf("line %d: %s", line, en))
}

// Import reads a CSV of units (header code,name,parent,kind, and optionally
// office and office_name: the office, by code, whose jurisdiction is the
// unit's subtree, made when it does not exist) or people
// (header name,unit,position,rank) in UTF-8 or GBK, and applies it in one
// transaction: every line or none. Units already present (by code) are
// updated; a parent may come after its children in the file.
func (s *Service) Import(ctx context.Context, who auth.Principal, data []byte) (ImportResult, error) {
	actor := who.Actor()
	tbl, err := ReadTable(data)
	if err != nil {
		return ImportResult{}, err
	}
	cols, records, lines := tbl.Cols, tbl.Records, tbl.Lines
	field := func(rec []string, name string) string {
		i, ok := cols[name]
		if !ok || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	_, hasCode := cols["code"]
	_, hasUnit := cols["unit"]
	_, hasName := cols["name"]
	now := s.clock.Now()
	var res ImportResult
	switch {
	case hasCode && hasName:
		res.Kind = "units"
		err = s.db.Tx(ctx, func(tx *sql.Tx) error {
			res.Created, res.Updated = 0, 0
			pending := make([]int, len(records))
			for i := range records {
				pending[i] = i
			}
			seen := map[string]int{}
			for _, i := range pending {
				c := field(records[i], "code")
				if prev, dup := seen[c]; dup {
					return lineErr(lines[i], "单位代码 "+c+" 与第 "+strconv.Itoa(prev)+" 行重复", "unit code "+c+" repeats line "+strconv.Itoa(prev))
				}
				seen[c] = lines[i]
			}
			// Insert in passes so that a parent may follow its children.
			for len(pending) > 0 {
				var next []int
				for _, i := range pending {
					rec := records[i]
					parent := field(rec, "parent")
					in := UnitInput{Code: field(rec, "code"), Name: field(rec, "name"), Parent: &parent, Kind: field(rec, "kind")}
					if err := in.validate(true); err != nil {
						pe, _ := problem.As(err)
						return lineErr(lines[i], pe.ZH, pe.EN)
					}
					if parent != "" {
						if _, _, err := lookupUnit(ctx, tx, parent); errors.Is(err, errNoUnit) {
							if _, inFile := seen[parent]; inFile {
								next = append(next, i)
								continue
							}
							return lineErr(lines[i], "上级单位 "+parent+" 不存在", "parent unit "+parent+" does not exist")
						} else if err != nil {
							return err
						}
					}
					if _, _, err := lookupUnit(ctx, tx, in.Code); err == nil {
						if err := updateUnit(ctx, tx, in.Code, in, now); err != nil {
							pe, ok := problem.As(err)
							if ok {
								return lineErr(lines[i], pe.ZH, pe.EN)
							}
							return err
						}
						res.Updated++
					} else if errors.Is(err, errNoUnit) {
						if _, err := createUnit(ctx, tx, in, now); err != nil {
							return err
						}
						res.Created++
					} else {
						return err
					}
				}
				if len(next) == len(pending) {
					return lineErr(lines[next[0]], "上级单位形成循环", "the parents form a cycle")
				}
				pending = next
			}
			// The office column: the unit's subtree is that office's
			// jurisdiction (the office is made when it does not exist).
			for i, rec := range records {
				code := field(rec, "office")
				if code == "" {
					continue
				}
				fail := func(err error) error {
					if pe, ok := problem.As(err); ok {
						return lineErr(lines[i], pe.ZH, pe.EN)
					}
					return err
				}
				if err := office.CheckCode("office", code); err != nil {
					return fail(err)
				}
				name := field(rec, "office_name")
				if name == "" {
					name = field(rec, "name") + "整肃办"
				}
				_, changed, err := office.AssignTx(ctx, tx, office.Input{Code: code, Name: name, Jurisdiction: field(rec, "code")}, actor, now)
				if err != nil {
					return fail(err)
				}
				if changed {
					res.Offices++
				}
			}
			return audit.Append(ctx, tx, now, audit.Record{Actor: actor, Action: "org.import", Subject: "units", Data: res})
		})
	case hasName && hasUnit:
		res.Kind = "people"
		err = s.db.Tx(ctx, func(tx *sql.Tx) error {
			res.Created = 0
			for i, rec := range records {
				pos, rank := field(rec, "position"), field(rec, "rank")
				in := PersonInput{Name: field(rec, "name"), Unit: field(rec, "unit"), Position: &pos, Rank: &rank}
				if in.Name == "" || in.Unit == "" {
					return lineErr(lines[i], "姓名和单位必填", "name and unit are required")
				}
				if _, err := createPerson(ctx, tx, in, now); err != nil {
					if pe, ok := problem.As(err); ok {
						return lineErr(lines[i], pe.ZH, pe.EN)
					}
					return err
				}
				res.Created++
			}
			return audit.Append(ctx, tx, now, audit.Record{Actor: actor, Action: "org.import", Subject: "people", Data: res})
		})
	default:
		return ImportResult{}, lineErr(1, "表头应为 code,name,parent,kind（单位）或 name,unit,position,rank（人员）",
			"the header must be code,name,parent,kind (units) or name,unit,position,rank (people)")
	}
	if err == nil && res.Offices > 0 && s.OfficesChanged != nil {
		s.OfficesChanged()
	}
	return res, err
}

// Table is an import file read as CSV: the header's columns (lower case,
// trimmed) and the records with their line numbers, blank lines left out.
type Table struct {
	Cols    map[string]int
	Records [][]string
	Lines   []int
}

// ReadTable reads an import file (UTF-8 or GBK) as CSV. Errors are problems
// naming the line.
func ReadTable(data []byte) (Table, error) {
	if len(data) > MaxImportBytes {
		return Table{}, problem.TooLarge("import_too_large", "导入文件过大（最大 16 MiB）", "the import file is too large (16 MiB at most)")
	}
	text, err := DecodeText(data)
	if err != nil {
		return Table{}, problem.Invalid("file", "import_bad_encoding", "文件编码无法识别（应为 UTF-8 或 GBK）", err.Error())
	}
	r := csv.NewReader(bytes.NewReader(text))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if err == io.EOF {
		return Table{}, problem.Invalid("file", "import_empty", "文件为空", "the file is empty")
	}
	if err != nil {
		return Table{}, lineErr(1, "无法读取表头", "cannot read the header: "+err.Error())
	}
	cols := map[string]int{}
	for i, h := range header {
		cols[strings.ToLower(strings.TrimSpace(h))] = i
	}
	var records [][]string
	var lines []int
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			return Table{}, lineErr(line, "CSV 格式错误", "malformed CSV: "+err.Error())
		}
		line, _ := r.FieldPos(0) // only after a record was read: it panics otherwise
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		records = append(records, rec)
		lines = append(lines, line)
	}
	return Table{Cols: cols, Records: records, Lines: lines}, nil
}
