package reports

import (
	"strconv"
	"strings"
	"time"

	"mashang/internal/docket"
	"mashang/internal/search"
)

// ExportHeader names the columns of a case-list export.
var ExportHeader = []string{"案件编号", "状态", "受理渠道", "收到时间", "单位代码", "单位", "情形", "类别", "受理期限", "办结期限", "期限暂定", "时限状态", "承办人", "摘要"}

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
	due := ""
	if r.Due != nil {
		due = r.Due.Label(docket.LangZhCN)
	}
	return []string{
		strconv.FormatInt(r.ID, 10), r.State.Label(docket.LangZhCN), r.Channel.Label(docket.LangZhCN), r.ReceivedAt.In(loc).Format("2006-01-02 15:04"),
		str(r.Unit), str(r.UnitName), r.Situation, r.Category,
		date(r.Deadlines.AcceptBy, r.Deadlines.AcceptBy != nil), date(r.Deadlines.FinishBy, r.Deadlines.FinishBy != nil), prov,
		due, str(r.Assignee), r.Summary,
	}
}

// safeCell keeps a spreadsheet from reading a cell as a formula.
func safeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// ExportSheet names the sheet of a case-list export.
const ExportSheet = "案件清单"
