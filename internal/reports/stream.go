package reports

import (
	"archive/zip"
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// RowWriter writes a table one row at a time, so that an export of any
// length is sent as it is read, in constant memory. Close finishes the file
// (for XLSX: the workbook parts after the rows). A caller that fails midway
// must not present what was written as a whole file (the web export aborts
// the response).
type RowWriter interface {
	Write(cells []string) error
	Close() error
	// Rows is the number of rows written after the header.
	Rows() int
}

// NewCSV starts a CSV file on w: UTF-8 with a byte-order mark (so that
// Excel opens Chinese text correctly), CRLF line ends, the header first.
// Cells that a spreadsheet would read as a formula are quoted as text.
func NewCSV(w io.Writer, header []string) (RowWriter, error) {
	bw := bufio.NewWriterSize(w, 32<<10)
	bw.WriteString("\ufeff")
	c := &csvWriter{bw: bw, w: csv.NewWriter(bw)}
	c.w.UseCRLF = true
	if err := c.w.Write(header); err != nil {
		return nil, err
	}
	return c, nil
}

type csvWriter struct {
	bw   *bufio.Writer
	w    *csv.Writer
	rows int
	buf  []string
}

func (c *csvWriter) Write(cells []string) error {
	c.buf = c.buf[:0]
	for _, s := range cells {
		c.buf = append(c.buf, safeCell(s))
	}
	c.rows++
	return c.w.Write(c.buf)
}

func (c *csvWriter) Rows() int { return c.rows }

func (c *csvWriter) Close() error {
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		return err
	}
	return c.bw.Flush()
}

// xlsxMaxRows is the most rows one worksheet holds (Excel's limit); the
// stream continues on a new sheet rather than stopping.
const xlsxMaxRows = 1 << 20

// NewXLSX starts a workbook on w whose rows are streamed into the sheet
// named sheet (then "sheet (2)", "sheet (3)" … past Excel's 1,048,576 rows
// per sheet, each with the header again). It writes the ZIP container
// directly, with inline strings, so memory does not grow with the rows;
// the workbook parts that list the sheets follow the rows, as ZIP allows.
func NewXLSX(w io.Writer, sheet string, header []string) (RowWriter, error) {
	x := &xlsxWriter{zw: zip.NewWriter(w), name: sheet, header: header, maxRows: xlsxMaxRows}
	if err := x.startSheet(); err != nil {
		return nil, err
	}
	return x, nil
}

type xlsxWriter struct {
	zw     *zip.Writer
	bw     *bufio.Writer
	name   string
	header []string
	// maxRows is the rows per sheet, header included (xlsxMaxRows).
	maxRows int
	sheets  int
	row     int // rows in the current sheet, header included
	rows    int
	cell    []byte
}

func (x *xlsxWriter) startSheet() error {
	if x.bw != nil {
		if err := x.endSheet(); err != nil {
			return err
		}
	}
	x.sheets++
	f, err := x.zw.Create(fmt.Sprintf("xl/worksheets/sheet%d.xml", x.sheets))
	if err != nil {
		return err
	}
	x.bw = bufio.NewWriterSize(f, 32<<10)
	x.bw.WriteString(xml + `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	x.row = 0
	return x.writeRow(x.header)
}

func (x *xlsxWriter) endSheet() error {
	x.bw.WriteString(`</sheetData></worksheet>`)
	return x.bw.Flush()
}

func (x *xlsxWriter) Write(cells []string) error {
	if x.row >= x.maxRows {
		if err := x.startSheet(); err != nil {
			return err
		}
	}
	x.rows++
	return x.writeRow(cells)
}

func (x *xlsxWriter) Rows() int { return x.rows }

func (x *xlsxWriter) writeRow(cells []string) error {
	x.row++
	b := x.cell[:0]
	b = append(b, `<row r="`...)
	b = strconv.AppendInt(b, int64(x.row), 10)
	b = append(b, `">`...)
	for i, c := range cells {
		if c == "" {
			continue
		}
		name, _ := excelize.CoordinatesToCellName(i+1, x.row)
		b = append(b, `<c r="`...)
		b = append(b, name...)
		b = append(b, `" t="inlineStr"><is><t xml:space="preserve">`...)
		b = appendXMLText(b, c)
		b = append(b, `</t></is></c>`...)
	}
	b = append(b, `</row>`...)
	x.cell = b
	_, err := x.bw.Write(b)
	return err
}

// appendXMLText escapes s for XML text and drops what XML 1.0 cannot carry
// (control characters other than tab and line breaks, invalid UTF-8).
func appendXMLText(b []byte, s string) []byte {
	for _, r := range s {
		switch {
		case r == '<':
			b = append(b, "&lt;"...)
		case r == '>':
			b = append(b, "&gt;"...)
		case r == '&':
			b = append(b, "&amp;"...)
		case r == utf8.RuneError, r < 0x20 && r != '\t' && r != '\n' && r != '\r', r == 0xFFFE, r == 0xFFFF:
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return b
}

const xml = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"

func (x *xlsxWriter) Close() error {
	if err := x.endSheet(); err != nil {
		return err
	}
	var sheets, rels, types strings.Builder
	for i := 1; i <= x.sheets; i++ {
		name := x.name
		if i > 1 {
			name = fmt.Sprintf("%s (%d)", x.name, i)
		}
		fmt.Fprintf(&sheets, `<sheet name="%s" sheetId="%d" r:id="rId%d"/>`, string(appendXMLText(nil, name)), i, i)
		fmt.Fprintf(&rels, `<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet%d.xml"/>`, i, i)
		fmt.Fprintf(&types, `<Override PartName="/xl/worksheets/sheet%d.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`, i)
	}
	parts := []struct{ name, body string }{
		{"xl/workbook.xml", xml + `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>` + sheets.String() + `</sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", xml + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` + rels.String() + `</Relationships>`},
		{"_rels/.rels", xml + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"[Content_Types].xml", xml + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` + types.String() + `</Types>`},
	}
	for _, p := range parts {
		f, err := x.zw.Create(p.name)
		if err != nil {
			return err
		}
		if _, err := io.WriteString(f, p.body); err != nil {
			return err
		}
	}
	return x.zw.Close()
}
