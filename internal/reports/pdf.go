package reports

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// ErrNoChromium is returned by PrintPDF when no Chromium is installed.
var ErrNoChromium = errors.New("reports: Chromium is not installed (looked for chromium, chromium-browser, google-chrome)")

// FindChromium returns the path of a Chromium (or Chrome) binary, or "".
// MASHANG_CHROMIUM, when set, names it.
func FindChromium(getenv func(string) string) string {
	if getenv != nil {
		if p := getenv("MASHANG_CHROMIUM"); p != "" {
			if _, err := os.Stat(p); err == nil {
				return p
			}
			return ""
		}
	}
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	return ""
}

// PDFPrinter prints our own HTML to PDF with headless Chromium (CJK text is
// rendered by the system's fonts, fonts-noto-cjk).
type PDFPrinter struct {
	// ExecPath is the Chromium binary; "" means not installed.
	ExecPath string
	// Timeout bounds one print (default 60 s).
	Timeout time.Duration
}

// Available reports whether a Chromium was found.
func (p *PDFPrinter) Available() bool { return p != nil && p.ExecPath != "" }

// Print renders html (a whole document, A4) to PDF. Each call starts a
// fresh browser with a fresh profile directory, removed afterwards; the page
// is loaded from a file in that directory, so nothing leaves the machine.
func (p *PDFPrinter) Print(ctx context.Context, html []byte) ([]byte, error) {
	if !p.Available() {
		return nil, ErrNoChromium
	}
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	dir, err := os.MkdirTemp("", "mashang-pdf-")
	if err != nil {
		return nil, fmt.Errorf("reports: temporary profile: %w", err)
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "report.html")
	if err := os.WriteFile(file, html, 0o600); err != nil {
		return nil, fmt.Errorf("reports: write page: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	actx, acancel := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(p.ExecPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(filepath.Join(dir, "profile")),
	)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()
	if err := chromedp.Do(bctx, chromedp.Navigate("file://"+file)); err != nil {
		return nil, fmt.Errorf("reports: Chromium: load page: %w", err)
	}
	t := true
	margin := 0.5
	res, err := chromedp.Call(bctx, page.PrintToPDF, page.PrintToPDFParams{
		PrintBackground:   &t,
		PreferCSSPageSize: &t,
		PaperWidth:        8.27,
		PaperHeight:       11.69,
		MarginTop:         &margin,
		MarginBottom:      &margin,
		MarginLeft:        &margin,
		MarginRight:       &margin,
	})
	if err != nil {
		return nil, fmt.Errorf("reports: Chromium: print: %w", err)
	}
	return res.Data, nil
}
