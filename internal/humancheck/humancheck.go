// Package humancheck is the public report form's self-hosted check that a
// person is typing: a picture of a few digits, drawn here (no outside
// service: intranets have none), shown as an inline PNG so the form works
// without JavaScript, answered in an ordinary form field. A challenge is a
// signed token (expiry, nonce and a keyed hash of the answer): nothing is
// stored until it is answered, and an answer is accepted once (the nonce is
// counted on the shared counter, so on every instance).
package humancheck

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/big"
	"strings"
	"time"

	"mashang/internal/ratelimit"
)

// Digits is the length of an answer.
const Digits = 5

// TTL is how long a challenge may be answered.
const TTL = 10 * time.Minute

// Checker issues and verifies challenges.
type Checker struct {
	key     []byte
	now     func() time.Time
	counter ratelimit.Counter
}

// New returns a checker signing with key, reading the time from now and
// remembering answered challenges in counter.
func New(key []byte, now func() time.Time, counter ratelimit.Counter) *Checker {
	return &Checker{key: key, now: now, counter: counter}
}

// Challenge is one check: the token to send back with the answer, and the
// picture as a data: URL for an <img>.
type Challenge struct {
	Token string
	Image string
}

// Issue makes a new challenge.
func (c *Checker) Issue() (Challenge, error) {
	var answer strings.Builder
	for range Digits {
		n, err := rand.Int(rand.Reader, big.NewInt(10))
		if err != nil {
			return Challenge{}, err
		}
		answer.WriteByte(byte('0' + n.Int64()))
	}
	var nonce [12]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return Challenge{}, err
	}
	exp := c.now().Add(TTL).Unix()
	tok := make([]byte, 8, 8+12+16)
	binary.BigEndian.PutUint64(tok, uint64(exp))
	tok = append(tok, nonce[:]...)
	tok = append(tok, c.mac(tok, answer.String())...)
	img, err := draw(answer.String())
	if err != nil {
		return Challenge{}, err
	}
	return Challenge{Token: base64.RawURLEncoding.EncodeToString(tok), Image: "data:image/png;base64," + base64.StdEncoding.EncodeToString(img)}, nil
}

func (c *Checker) mac(head []byte, answer string) []byte {
	m := hmac.New(sha256.New, c.key)
	m.Write(head)
	m.Write([]byte(answer))
	return m.Sum(nil)[:16]
}

// Verify reports whether answer solves the challenge of token: in time,
// right, and not answered before.
func (c *Checker) Verify(ctx context.Context, token, answer string) (bool, error) {
	tok, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(tok) != 8+12+16 {
		return false, nil
	}
	exp := time.Unix(int64(binary.BigEndian.Uint64(tok[:8])), 0)
	if !c.now().Before(exp) {
		return false, nil
	}
	if !hmac.Equal(tok[20:], c.mac(tok[:20], normalise(answer))) {
		return false, nil
	}
	n, _, err := c.counter.Add(ctx, "humancheck:"+base64.RawURLEncoding.EncodeToString(tok[8:20]), 2*TTL, 1)
	if err != nil {
		return false, fmt.Errorf("humancheck: remember answer: %w", err)
	}
	return n == 1, nil
}

// normalise keeps the digits of an answer, full-width ones folded.
func normalise(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= '０' && r <= '９':
			b.WriteRune('0' + r - '０')
		}
	}
	return b.String()
}

// glyphs are 5×7 bitmaps of the digits.
var glyphs = [10][7]string{
	{"01110", "10001", "10011", "10101", "11001", "10001", "01110"},
	{"00100", "01100", "00100", "00100", "00100", "00100", "01110"},
	{"01110", "10001", "00001", "00010", "00100", "01000", "11111"},
	{"11111", "00010", "00100", "00010", "00001", "10001", "01110"},
	{"00010", "00110", "01010", "10010", "11111", "00010", "00010"},
	{"11111", "10000", "11110", "00001", "00001", "10001", "01110"},
	{"00110", "01000", "10000", "11110", "10001", "10001", "01110"},
	{"11111", "00001", "00010", "00100", "01000", "01000", "01000"},
	{"01110", "10001", "10001", "01110", "10001", "10001", "01110"},
	{"01110", "10001", "10001", "01111", "00001", "00010", "01100"},
}

// draw renders the digits with a random offset each, over noise.
func draw(answer string) ([]byte, error) {
	const cell, w, h = 5, 192, 60
	img := image.NewPaletted(image.Rect(0, 0, w, h), color.Palette{color.White, color.Black, color.Gray{0xa0}})
	rnd := make([]byte, 4*len(answer)+60)
	if _, err := rand.Read(rnd); err != nil {
		return nil, err
	}
	for i := 0; i < 30; i++ { // speckles
		x, y := int(rnd[4*len(answer)+2*i])%w, int(rnd[4*len(answer)+2*i+1])%h
		for dx := range 3 {
			img.SetColorIndex(x+dx, y, 2)
		}
	}
	for i, ch := range answer {
		g := glyphs[ch-'0']
		ox := 8 + i*34 + int(rnd[4*i])%6
		oy := 6 + int(rnd[4*i+1])%12
		slant := int(rnd[4*i+2])%3 - 1
		for row, line := range g {
			for col, bit := range line {
				if bit != '1' {
					continue
				}
				for py := range cell {
					for px := range cell {
						img.SetColorIndex(ox+col*cell+px+slant*(6-row), oy+row*cell+py, 1)
					}
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Answer finds the answer of a challenge signed with key by trying every
// number (100,000 keyed hashes): for tests, which cannot read the picture.
func Answer(key []byte, token string) (string, bool) {
	tok, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(tok) != 8+12+16 {
		return "", false
	}
	c := &Checker{key: key}
	for n := range 100000 {
		a := fmt.Sprintf("%05d", n)
		if hmac.Equal(c.mac(tok[:20], a), tok[20:]) {
			return a, true
		}
	}
	return "", false
}
