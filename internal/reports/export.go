package reports

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"mashang/internal/search"
)

// ExportHeader names the columns of a case-list export.
var ExportHeader = []string{"案件编号", "状态", "受理渠道", "收到时间", "单位代码", "单位", "情形", "类别", "受理期限", "办结期限", "期限暂定", "时限状态", "承办人", "摘要"}

// MaxExportRows bounds one export.
const MaxExportRows = 100000

// ExportRow turns a list row into the export's cells (times in loc). The
// reporter never appears, not even masked.
func ExportRow(r search.Row, loc *time.Location) []string {
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	date := func(d interface{ String() string }, ok bool) string {
		if !ok {
			return ""
		}
		return d.String()
	}
	prov := "否"
	if r.Deadlines.Provisional {
		prov = "是"
	}
	return []string{
		strconv.FormatInt(r.ID, 10), stateLabel(r.State), ChannelLabel(r.Channel), r.ReceivedAt.In(loc).Format("2006-01-02 15:04"),
		str(r.Unit), str(r.UnitName), r.Situation, r.Category,
		date(r.Deadlines.AcceptBy, r.Deadlines.AcceptBy != nil), date(r.Deadlines.FinishBy, r.Deadlines.FinishBy != nil), prov,
		dueLabel(str(r.Due)), str(r.Assignee), r.Summary,
	}
}

func stateLabel(s string) string {
	if l, ok := stateLabels[s]; ok {
		return l
	}
	return s
}

func dueLabel(s string) string {
	switch s {
	case "on_time":
		return "正常"
	case "due_soon":
		return "临期"
	case "overdue":
		return "超期"
	}
	return s
}

// safeCell keeps a spreadsheet from reading a cell as a formula.
func safeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// CSV writes rows as UTF-8 CSV with a byte-order mark, so that Excel opens
// Chinese text correctly.
func CSV(header []string, rows [][]string) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("\ufeff")
	w := csv.NewWriter(&b)
	w.UseCRLF = true
	if err := w.Write(header); err != nil {
		return nil, err
	}
	for _, r := range rows {
		out := make([]string, len(r))
		for i, c := range r {
			out[i] = safeCell(c)
		}
		if err := w.Write(out); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return b.Bytes(), w.Error()
}

// XLSX writes rows as a one-sheet workbook ("案件清单").
func XLSX(header []string, rows [][]string) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "案件清单"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return nil, err
	}
	row := func(n int, cells []string) error {
		vals := make([]any, len(cells))
		for i, c := range cells {
			vals[i] = c
		}
		cell, _ := excelize.CoordinatesToCellName(1, n)
		return sw.SetRow(cell, vals)
	}
	if err := row(1, header); err != nil {
		return nil, err
	}
	for i, r := range rows {
		if err := row(i+2, r); err != nil {
			return nil, err
		}
	}
	if err := sw.Flush(); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		return nil, fmt.Errorf("reports: write workbook: %w", err)
	}
	return b.Bytes(), nil
}
