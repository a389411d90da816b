package web_test

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"

	"mashang/internal/auth"
	"mashang/internal/intake"
	"mashang/internal/web/webtest"
)

// The desk's postal address by keyboard alone: hidden (and not sent) for a
// call, shown for a letter picked with Alt+2, typed after the e-mail and
// saved with Alt+S, sealed with the reporter's name.
func TestBrowserDeskPostalAddress(t *testing.T) {
	h := webtest.New(t, "")
	if _, err := h.App.Auth.AddUser(context.Background(), auth.System("test"), "postclerk", "test password 123", auth.Clerk, ""); err != nil {
		t.Fatal(err)
	}
	c := newChrome(t, h.URL)
	c.signIn("postclerk")
	c.open("/staff/desk")
	shown := func() bool {
		v, err := chromedp.Run(c.ctx, chromedp.Evaluate[bool](`!document.getElementById("address-field").hidden && !document.getElementById("address").disabled`))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if shown() {
		t.Fatal("the address is asked for a call")
	}
	c.do(chromedp.KeyEvent("2", chromedp.KeyModifiers(chromedp.ModifierAlt)))
	if !shown() {
		t.Fatal("Alt+2 (letter) does not show the address")
	}
	c.do(chromedp.Focus(chromedp.CSS("#content")), chromedp.KeyEvent("来信反映梅溪镇便民服务中心推诿。"),
		chromedp.Click(chromedp.CSS("#anonymous")), chromedp.Focus(chromedp.CSS("#name")), chromedp.KeyEvent("张三"),
		chromedp.Focus(chromedp.CSS("#email")), chromedp.KeyEvent("\t"), chromedp.KeyEvent("福建省福州市闽清县梅城镇解放大街88号"))
	if v, _ := chromedp.Run(c.ctx, chromedp.Evaluate[string](`document.activeElement.id`)); v != "address" {
		t.Errorf("Tab after the e-mail reaches %q, want the address", v)
	}
	c.check("desk with the postal address")
	c.do(chromedp.KeyEvent("s", chromedp.KeyModifiers(chromedp.ModifierAlt)), chromedp.WaitVisible(chromedp.CSS("#receipt-code")))
	var sealed []byte
	var receipt string
	h.App.DB.Read.QueryRow(`SELECT identity, receipt FROM cases ORDER BY id DESC LIMIT 1`).Scan(&sealed, &receipt)
	who, err := h.App.Vault.OpenIdentity(sealed, intake.IdentityAAD(receipt))
	if err != nil || who.Name != "张三" || who.Address != "福建省福州市闽清县梅城镇解放大街88号" {
		t.Fatalf("registered: %+v %v", who, err)
	}
}
