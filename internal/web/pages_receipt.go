package web

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	"mashang/internal/civil"
	"mashang/internal/problem"
)

// The report form is safe to post twice. Each form carries a token; the
// report is filed with it (as a Message-ID), so the same form posted again
// finds the first case instead of filing a second. The POST's answer is a
// redirect to GET /report/receipt, which shows the receipt and key from a
// cookie sealed with the vault: reloading the receipt page files nothing.

const (
	receiptCookie = "mashang_receipt"
	receiptPath   = "/report/receipt"
	receiptTTL    = time.Hour
	// formTokenPrefix marks a web form's token among the Message-IDs.
	formTokenPrefix = "form:"
	receiptAAD      = "receipt page v1"
	recentMax       = 10000
)

var errReceiptGone = problem.NotFound("receipt_page_gone",
	"这里只在提交举报后的一小时内显示受理编号和查询密码。如已记下，请到「查询进度」页查询；如未提交成功，请重新填写举报。",
	"This page shows the receipt and key only within an hour of sending a report. If you wrote them down, follow your report on the tracking page; if the report was not sent, please fill in the form again.")

// newFormToken draws the token of one report form.
func newFormToken() string { return rand.Text() }

// formToken is the posted token when it looks like one of ours.
func formToken(r *http.Request) string {
	t := r.PostFormValue("form_token")
	if len(t) < 16 || len(t) > 64 || strings.Trim(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != "" {
		return ""
	}
	return t
}

// shownReceipt is what the receipt page shows, sealed in its cookie.
type shownReceipt struct {
	Receipt string    `json:"r"`
	Key     string    `json:"k"`
	At      time.Time `json:"t"`
}

// recentReceipts remembers, for an hour, the sealed receipt of each form
// token, so that a second post of the same form (a double click whose first
// answer never arrived) still shows the key. Bounded: past recentMax
// entries the expired ones go, then the oldest half.
type recentReceipts struct {
	mu sync.Mutex
	m  map[string]recentReceipt
}

type recentReceipt struct {
	sealed  string
	expires time.Time
}

func (rr *recentReceipts) put(token, sealed string, now time.Time) {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	if rr.m == nil {
		rr.m = map[string]recentReceipt{}
	}
	if len(rr.m) >= recentMax {
		for k, v := range rr.m {
			if now.After(v.expires) {
				delete(rr.m, k)
			}
		}
		for k := range rr.m {
			if len(rr.m) < recentMax/2 {
				break
			}
			delete(rr.m, k)
		}
	}
	rr.m[token] = recentReceipt{sealed: sealed, expires: now.Add(receiptTTL)}
}

func (rr *recentReceipts) get(token string, now time.Time) (string, bool) {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	e, ok := rr.m[token]
	if !ok || now.After(e.expires) {
		return "", false
	}
	return e.sealed, true
}

// sealReceipt seals what the receipt page shows for its cookie.
func (p *pageServer) sealReceipt(sr shownReceipt) (string, error) {
	b, err := json.Marshal(sr)
	if err != nil {
		return "", err
	}
	ct, err := p.s.app.Vault.Seal(string(b), receiptAAD)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(ct), nil
}

func (p *pageServer) openReceipt(v string) (shownReceipt, bool) {
	ct, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return shownReceipt{}, false
	}
	pt, err := p.s.app.Vault.Open(ct, receiptAAD)
	if err != nil {
		return shownReceipt{}, false
	}
	var sr shownReceipt
	if json.Unmarshal([]byte(pt), &sr) != nil || sr.Receipt == "" {
		return shownReceipt{}, false
	}
	if now := p.s.app.Clock.Now(); now.After(sr.At.Add(receiptTTL)) {
		return shownReceipt{}, false
	}
	return sr, true
}

// toReceipt answers a report form's POST: the receipt in a cookie, and a
// redirect to the page that shows it.
func (p *pageServer) toReceipt(w http.ResponseWriter, r *http.Request, sealed string) {
	http.SetCookie(w, &http.Cookie{Name: receiptCookie, Value: sealed, Path: receiptPath, MaxAge: int(receiptTTL / time.Second),
		HttpOnly: true, Secure: p.secure(r), SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, receiptPath, http.StatusSeeOther)
}

// receiptPage shows the receipt of the report just sent (GET after the
// POST's redirect): reloading or printing it files nothing.
func (p *pageServer) receipt(w http.ResponseWriter, r *http.Request, v *view) error {
	c, err := r.Cookie(receiptCookie)
	if err != nil {
		return errReceiptGone
	}
	sr, ok := p.openReceipt(c.Value)
	if !ok {
		return errReceiptGone
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	rp := newReceiptPage(sr.Receipt, sr.Key, civil.In(sr.At, p.s.app.Loc))
	rp.TrackURL = p.trackURL(r)
	return p.render(w, http.StatusOK, v, "receipt", rp)
}
