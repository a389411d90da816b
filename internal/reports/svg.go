package reports

import (
	"fmt"
	"html"
	"html/template"
	"strings"
)

// Palette colours chart series in order.
var Palette = []string{"#b3261e", "#1f5fa8", "#2e7d32", "#f9a825", "#6a1b9a", "#00838f", "#ef6c00", "#5d4037", "#546e7a"}

// Series is one stacked series of a column chart.
type Series struct {
	Label  string
	Values []int
}

// Bar is one bar of a bar chart.
type Bar struct {
	Label string
	N     int
}

func esc(s string) string { return html.EscapeString(s) }

// StackedColumns draws columns (one per label, e.g. month) stacked by
// series, with a legend, as inline SVG using attributes only (no inline
// styles, so a strict Content-Security-Policy allows it).
func StackedColumns(title string, labels []string, series []Series) template.HTML {
	const w, h, left, top, bottom = 720, 300, 40, 20, 60
	plotH := h - top - bottom
	max := 0
	for i := range labels {
		sum := 0
		for _, s := range series {
			if i < len(s.Values) {
				sum += s.Values[i]
			}
		}
		if sum > max {
			max = sum
		}
	}
	if max == 0 {
		max = 1
	}
	var b strings.Builder
	legendRows := (len(series) + 4) / 5
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="cols" viewBox="0 0 %d %d" width="100%%" role="img" aria-label="%s"><title>%s</title>`, w, h+legendRows*18, esc(title), esc(title))
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#999"/>`, left, top+plotH, w-10, top+plotH)
	for _, f := range []float64{0.5, 1} {
		y := top + plotH - int(f*float64(plotH))
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#e0e0e0"/><text x="%d" y="%d" font-size="12" text-anchor="end" fill="#555">%d</text>`,
			left, y, w-10, y, left-4, y+4, int(f*float64(max)+0.5))
	}
	n := len(labels)
	if n == 0 {
		n = 1
	}
	slot := float64(w-left-10) / float64(n)
	bw := slot * 0.6
	for i, l := range labels {
		x := float64(left) + slot*float64(i) + (slot-bw)/2
		y := float64(top + plotH)
		total := 0
		for si, s := range series {
			if i >= len(s.Values) || s.Values[i] == 0 {
				continue
			}
			v := s.Values[i]
			total += v
			bh := float64(v) / float64(max) * float64(plotH)
			y -= bh
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s: %d</title></rect>`,
				x, y, bw, bh, Palette[si%len(Palette)], esc(l), esc(s.Label), v)
		}
		if total > 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="12" text-anchor="middle" fill="#333">%d</text>`, x+bw/2, y-3, total)
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="12" text-anchor="middle" fill="#333">%s</text>`, x+bw/2, top+plotH+16, esc(l))
	}
	for si, s := range series {
		lx := left + (si%5)*135
		ly := h - bottom + 36 + (si/5)*18
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="10" height="10" fill="%s"/><text x="%d" y="%d" font-size="12" fill="#333">%s</text>`,
			lx, ly-9, Palette[si%len(Palette)], lx+14, ly, esc(s.Label))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// HBars draws a horizontal bar chart as an HTML table of <progress> bars:
// its text keeps the page's font size at any width (a phone included) and
// needs no inline style, so a strict Content-Security-Policy allows it.
func HBars(title string, bars []Bar) template.HTML {
	max := 1
	for _, x := range bars {
		if x.N > max {
			max = x.N
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<table class="hbars" aria-label="%s"><tbody>`, esc(title))
	for _, x := range bars {
		fmt.Fprintf(&b, `<tr><th scope="row">%s</th><td class="bar"><progress max="%d" value="%d" aria-hidden="true"></progress></td><td class="n">%d</td></tr>`,
			esc(x.Label), max, x.N, x.N)
	}
	b.WriteString(`</tbody></table>`)
	return template.HTML(b.String())
}
