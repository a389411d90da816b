package mailout

import (
	"context"
	"strings"
	"testing"
)

func TestNewRefusesBadSettings(t *testing.T) {
	for _, tc := range []struct{ relay, from, want string }{
		{"", "a@b.cn", "relay must be"},
		{"mail.example.cn:25", "a@b.cn", "relay must be"},
		{"http://mail.example.cn", "a@b.cn", "relay must be"},
		{"smtp://mail.example.cn", "not an address", "sender address"},
	} {
		if _, err := New(tc.relay, tc.from); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%q, %q): %v, want %q", tc.relay, tc.from, err, tc.want)
		}
	}
	s, err := New("smtp://user:pw@mail.example.cn", "整肃办 <jubao@example.cn>")
	if err != nil || s.relay.Host != "mail.example.cn:25" || s.from != "jubao@example.cn" {
		t.Fatalf("%+v %v", s, err)
	}
	for _, to := range [][]string{nil, {"nobody"}} {
		if err := s.Send(context.Background(), to, "x", "y"); err == nil {
			t.Errorf("Send to %v: no error", to)
		}
	}
}
