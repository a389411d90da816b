package reports

import (
	"bytes"
	"fmt"

	"github.com/xuri/excelize/v2"
)

// Sheet names of the summary workbook (a test reads them back).
const (
	SheetOverview = "概况"
	SheetChannel  = "受理渠道"
	SheetCategory = "问题类别"
	SheetOverdue  = "超期单位"
	SheetFindings = "查处结果"
	SheetDecision = "问责决定"
)

// OverviewRows lists the overview sheet's rows: label and value, in order.
func OverviewRows(s Summary) [][2]any {
	return [][2]any{
		{"统计期间", fmt.Sprintf("%s 至 %s", s.From, s.To)},
		{"收到举报（件）", s.Received},
		{"已受理（件）", s.Accepted},
		{"按期受理（件）", s.AcceptedOnTime},
		{"平均受理用时（天）", round1(s.AvgDaysToAccept)},
		{"办结（件）", s.Concluded},
		{"按期办结（件）", s.ConcludedOnTime},
		{"平均办理用时（天）", round1(s.AvgDaysToConclude)},
		{"超期未办结（件）", s.Overdue},
		{"问责决定（件）", s.Decisions},
		{"检查计划（次）", s.Inspections.Plans},
		{"其中暗访（次）", s.Inspections.Covert},
		{"走访（次）", s.Inspections.Visits},
		{"发现问题（个）", s.Inspections.Findings},
		{"发现问题立案（件）", s.Inspections.CasesOpened},
		{"评价答复（件）", s.Rated},
		{"满意及基本满意（件）", s.Satisfied},
		{"其中举报人自评（件）", s.RatedByReporter},
		{"其中回访所得（件）", s.RatedByCallback},
	}
}

func round1(f float64) float64 { return float64(int(f*10+0.5)) / 10 }

// SummaryXLSX writes the summary as a workbook: an overview sheet and one
// sheet per breakdown.
func SummaryXLSX(s Summary) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", SheetOverview); err != nil {
		return nil, err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Color: []string{"#EEEEEE"}, Pattern: 1}})
	if err != nil {
		return nil, err
	}
	title := fmt.Sprintf("整肃“为官不为”工作报告（%s 至 %s）", s.From, s.To)
	set := func(sheet string, row int, vals ...any) error {
		for i, v := range vals {
			cell, _ := excelize.CoordinatesToCellName(i+1, row)
			if err := f.SetCellValue(sheet, cell, v); err != nil {
				return err
			}
		}
		return nil
	}
	if err := set(SheetOverview, 1, title); err != nil {
		return nil, err
	}
	if err := set(SheetOverview, 2, "项目", "数值"); err != nil {
		return nil, err
	}
	f.SetCellStyle(SheetOverview, "A2", "B2", bold)
	for i, r := range OverviewRows(s) {
		if err := set(SheetOverview, i+3, r[0], r[1]); err != nil {
			return nil, err
		}
	}
	f.SetColWidth(SheetOverview, "A", "A", 24)
	f.SetColWidth(SheetOverview, "B", "B", 28)
	table := func(sheet string, head []any, rows [][]any) error {
		if _, err := f.NewSheet(sheet); err != nil {
			return err
		}
		if err := set(sheet, 1, head...); err != nil {
			return err
		}
		end, _ := excelize.CoordinatesToCellName(len(head), 1)
		f.SetCellStyle(sheet, "A1", end, bold)
		for i, r := range rows {
			if err := set(sheet, i+2, r...); err != nil {
				return err
			}
		}
		f.SetColWidth(sheet, "A", "B", 22)
		return nil
	}
	countRows := func(cs []Count) [][]any {
		out := [][]any{}
		for _, c := range cs {
			out = append(out, []any{c.Key, c.Label, c.N})
		}
		return out
	}
	if err := table(SheetChannel, []any{"代码", "渠道", "件数"}, countRows(s.ByChannel)); err != nil {
		return nil, err
	}
	if err := table(SheetCategory, []any{"代码", "类别", "件数"}, countRows(s.ByCategory)); err != nil {
		return nil, err
	}
	var ov [][]any
	for _, u := range s.OverdueByUnit {
		ov = append(ov, []any{u.Unit, u.Name, u.Overdue, u.Open})
	}
	if err := table(SheetOverdue, []any{"单位代码", "单位", "超期（件）", "未办结（件）"}, ov); err != nil {
		return nil, err
	}
	fr := countRows(s.Findings)
	for _, c := range s.Satisfaction {
		fr = append(fr, []any{c.Key, "群众评价：" + c.Label, c.N})
	}
	if err := table(SheetFindings, []any{"代码", "结果", "件数"}, fr); err != nil {
		return nil, err
	}
	dr := countRows(s.DecisionsByType)
	for _, c := range s.Sanctions {
		dr = append(dr, []any{c.Key, "　" + c.Label, c.N})
	}
	if err := table(SheetDecision, []any{"代码", "问责方式", "件数"}, dr); err != nil {
		return nil, err
	}
	f.SetActiveSheet(0)
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		return nil, fmt.Errorf("reports: write workbook: %w", err)
	}
	return b.Bytes(), nil
}
