package reports

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// pdfText prints html and returns the PDF's text as pdftotext extracts it.
func pdfText(t *testing.T, html string) string {
	t.Helper()
	p := &PDFPrinter{ExecPath: FindChromium(os.Getenv)}
	if !p.Available() {
		t.Skip("Chromium is not installed (scripts/test.sh installs it)")
	}
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext is not installed (scripts/test.sh installs poppler-utils)")
	}
	pdf, err := p.Print(context.Background(), []byte(html))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(pdf), "%PDF-") {
		t.Fatalf("not a PDF: %q", pdf[:min(len(pdf), 20)])
	}
	f := filepath.Join(t.TempDir(), "r.pdf")
	if err := os.WriteFile(f, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", f, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestPrintChinese(t *testing.T) {
	txt := pdfText(t, `<!doctype html><html lang="zh-CN"><meta charset="utf-8"><body><h1>整肃为官不为工作报告</h1><p>受理 12 件</p></body></html>`)
	for _, want := range []string{"整肃为官不为工作报告", "受理"} {
		if !strings.Contains(txt, want) {
			t.Errorf("PDF text lacks %q: %q", want, txt)
		}
	}
}

func TestNoChromium(t *testing.T) {
	p := &PDFPrinter{}
	if _, err := p.Print(context.Background(), []byte("<p>x</p>")); err != ErrNoChromium {
		t.Fatalf("err = %v, want ErrNoChromium", err)
	}
	if got := FindChromium(func(string) string { return "/nonexistent/chromium" }); got != "" {
		t.Fatalf("FindChromium with a missing MASHANG_CHROMIUM = %q", got)
	}
}
