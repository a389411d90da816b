package receipt

import (
	"crypto/rand"
	"errors"
	"testing"
)

func TestCheck(t *testing.T) {
	code, _ := NewCode(rand.Reader)
	key, _ := NewKey(rand.Reader)
	other, _ := NewKey(rand.Reader)
	unknown, _ := NewCode(rand.Reader)
	stored := map[string][]byte{code: HashKey(code, key)}
	calls := 0
	lookup := func(c string) ([]byte, bool, error) {
		calls++
		h, ok := stored[c]
		return h, ok, nil
	}
	typedAsSpoken := code[:4] + " " + code[5:] // a dash missing, a space added
	for _, tc := range []struct {
		name, code, key string
		ok              bool
	}{
		{"right pair", code, key, true},
		{"typed loosely", typedAsSpoken, key, true},
		{"wrong key", code, other, false},
		{"unknown receipt", unknown, key, false},
		{"misheard receipt (check symbol fails)", "AAAA-AAA-AAA", key, false},
		{"unreadable receipt", "???", key, false},
	} {
		got, ok, err := Check(tc.code, tc.key, lookup)
		if err != nil || ok != tc.ok || (ok && got != code) {
			t.Errorf("%s: %q %v %v", tc.name, got, ok, err)
		}
	}
	if calls != 4 {
		t.Errorf("lookup called %d times; an unreadable code must not reach it", calls)
	}
	boom := errors.New("db down")
	if _, _, err := Check(code, key, func(string) ([]byte, bool, error) { return nil, false, boom }); !errors.Is(err, boom) {
		t.Fatalf("lookup error: %v", err)
	}
}
