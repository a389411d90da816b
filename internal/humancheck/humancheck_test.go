package humancheck

import (
	"bytes"
	"context"
	"encoding/base64"
	"image/png"
	"strings"
	"testing"
	"time"

	"mashang/internal/clock"
	"mashang/internal/ratelimit"
)

func answerOf(t *testing.T, c *Checker, token string) string {
	t.Helper()
	a, ok := Answer(c.key, token)
	if !ok {
		t.Fatal("no answer")
	}
	return a
}

func TestChallenge(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFixed(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	c := New([]byte("a key of thirty-two bytes, more.."), clk.Now, ratelimit.NewMemory(clk.Now))
	ch, err := c.Issue()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(ch.Image, "data:image/png;base64,"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil || img.Bounds().Dx() < 100 || len(raw) > 4096 {
		t.Fatalf("picture: %v %v, %d bytes", err, img.Bounds(), len(raw))
	}
	answer := answerOf(t, c, ch.Token)
	wrong := []byte(answer)
	wrong[0] = '0' + (wrong[0]-'0'+1)%10
	for _, a := range []string{string(wrong), "", "abcde"} {
		if ok, _ := c.Verify(ctx, ch.Token, a); ok {
			t.Fatalf("%q accepted", a)
		}
	}
	if ok, _ := c.Verify(ctx, ch.Token[:10], answer); ok {
		t.Fatal("a cut token accepted")
	}
	// Full-width digits and spaces are read as the digits.
	fw := ""
	for _, r := range answer {
		fw += string('０'+r-'0') + " "
	}
	if ok, err := c.Verify(ctx, ch.Token, fw); !ok || err != nil {
		t.Fatalf("the right answer: %v", err)
	}
	if ok, _ := c.Verify(ctx, ch.Token, answer); ok {
		t.Fatal("an answer accepted twice")
	}
	ch2, _ := c.Issue()
	clk.Advance(TTL)
	if ok, _ := c.Verify(ctx, ch2.Token, answerOf(t, c, ch2.Token)); ok {
		t.Fatal("an expired challenge accepted")
	}
	other := New([]byte("another key entirely, 32 bytes.."), clk.Now, ratelimit.NewMemory(clk.Now))
	ch3, _ := c.Issue()
	if ok, _ := other.Verify(ctx, ch3.Token, answerOf(t, c, ch3.Token)); ok {
		t.Fatal("a token of another key accepted")
	}
}
