package reports

import "io"

// NewXLSXSheetRows is NewXLSX with a smaller sheet, to test the overflow
// onto further sheets without a million rows.
func NewXLSXSheetRows(w io.Writer, sheet string, header []string, rows int) (RowWriter, error) {
	rw, err := NewXLSX(w, sheet, header)
	if err == nil {
		rw.(*xlsxWriter).maxRows = rows
	}
	return rw, err
}
