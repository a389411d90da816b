package publication

import (
	"strings"
	"testing"

	"mashang/internal/identity"
)

func TestRevealsIdentity(t *testing.T) {
	id := identity.Identity{Name: "李建国", Phone: "138-1234-5678", Email: "Li.JG@Example.com", IDNumber: "35012219800101123X"}
	landline := identity.Identity{Phone: "0591-22371732"}
	for _, c := range []struct {
		text string
		id   identity.Identity
		want bool
	}{
		{"经查，窗口工作人员推诿属实。", id, false},
		{"举报人李建国反映", id, true},
		{"举报人 李 建国 反映", id, true},
		{"联系电话13812345678", id, true},
		{"联系电话 138 1234 5678", id, true},
		{"联系电话１３８１２３４５６７８", id, true},
		{"联系电话+86 138-1234-5678", id, true},
		{"编号 1381234 与 5678 无关", id, false}, // digits broken by words are not a number
		{"邮箱 li.jg@example.com", id, true},
		{"身份证 35012219800101123x", id, true},
		{"电话 22371732", landline, true},
		{"电话 0591-2237 1732", landline, true},
		{"金额 2237 元", landline, false},
		{"李某反映", identity.Identity{Name: "李"}, false}, // one-character names are not checked
		{"任何文本", identity.Identity{}, false},
	} {
		if got := RevealsIdentity(c.text, c.id); got != c.want {
			t.Errorf("RevealsIdentity(%q) = %v, want %v", c.text, got, c.want)
		}
	}
}

// FuzzRevealsIdentity: a phone number put anywhere in a text, in any of the
// usual spellings, is always found, and no input panics.
func FuzzRevealsIdentity(f *testing.F) {
	f.Add("经查属实。", "13812345678")
	f.Add("", "0591-22371732")
	f.Add("电话：", "+86 139 0000 1111")
	f.Fuzz(func(t *testing.T, text, phone string) {
		id := identity.Identity{Phone: phone}
		RevealsIdentity(text, id)
		n := identity.NormalizePhone(phone)
		if len(n) < 7 || strings.ContainsAny(text, "0123456789０１２３４５６７８９ -.()+—（）") {
			return
		}
		digits := strings.TrimPrefix(n, "+")
		spaced := ""
		for i, r := range digits {
			if i > 0 && i%4 == 3 {
				spaced += " "
			}
			spaced += string(r)
		}
		for _, form := range []string{digits, spaced} {
			if !RevealsIdentity(text+"，"+form+"。", id) {
				t.Fatalf("phone %q (normalised %q) written %q in %q not found", phone, n, form, text)
			}
		}
	})
}
