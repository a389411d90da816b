package search

import (
	"math/rand/v2"
	"net/url"
	"slices"
	"testing"
)

func TestPostingsRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, sparseMax - 1, sparseMax, sparseMax + 1, 1000, BlockSize} {
		var b bitmap
		want := map[uint16]bool{}
		for len(want) < n {
			off := uint16(r.IntN(BlockSize))
			want[off] = true
			b.add(off)
		}
		enc := b.encode()
		if len(enc) > bitmapBytes {
			t.Fatalf("n=%d: %d bytes", n, len(enc))
		}
		got, err := decode(enc)
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		if *got != b || got.count() != n {
			t.Fatalf("n=%d: round trip differs", n)
		}
		ids := got.idsDesc(3, 0)
		if !slices.IsSortedFunc(ids, func(a, b int64) int { return int(b - a) }) || len(ids) != n {
			t.Fatalf("n=%d: ids not descending", n)
		}
		for _, id := range ids {
			if id>>BlockBits != 3 || !want[uint16(id&(BlockSize-1))] {
				t.Fatalf("n=%d: id %d", n, id)
			}
		}
	}
	for _, bad := range [][]byte{{1}, make([]byte, 600), {0xff, 0xff}} {
		if _, err := decode(bad); err == nil {
			t.Errorf("decode(%x…) accepted", bad[:1])
		}
	}
}

func TestParseListQuery(t *testing.T) {
	tests := []struct {
		q  string
		ok bool
	}{
		{"", true}, {"state=open", true}, {"state=closed,review&channel=web", true}, {"state=nope", false},
		{"due=overdue&sort=deadline", true}, {"due=late", false}, {"limit=200", true}, {"limit=201", false},
		{"sort=relevance", false}, {"sort=relevance&q=x", true}, {"received_from=2026-02-30", false},
		{"received_from=2026-03-02&received_to=2026-03-01", false}, {"count=true", true}, {"count=2", false},
	}
	for _, tc := range tests {
		v, _ := url.ParseQuery(tc.q)
		_, err := ParseListQuery(v)
		if (err == nil) != tc.ok {
			t.Errorf("%q: err=%v", tc.q, err)
		}
	}
}

func FuzzCursor(f *testing.F) {
	for _, s := range []string{"", "x", cursor{Sort: "received", Key: "2026-03-01T01:02:03.000000Z", ID: 4}.encode(),
		cursor{Sort: "deadline", Key: "2026-03-01", ID: 9}.encode(), cursor{Sort: "relevance", Score: 2.5, ID: 1}.encode()} {
		f.Add(s, "received")
		f.Add(s, "deadline")
	}
	f.Fuzz(func(t *testing.T, s, sort string) {
		c, err := decodeCursor(s, sort)
		if err != nil {
			return
		}
		if s == "" {
			if c != nil {
				t.Fatal("empty cursor decoded")
			}
			return
		}
		if c.ID <= 0 || c.Sort != sort {
			t.Fatalf("accepted %+v", c)
		}
		again, err := decodeCursor(c.encode(), sort)
		if err != nil || *again != *c {
			t.Fatalf("re-encoded cursor: %v %+v", err, again)
		}
	})
}
