package web

import (
	"net/http"
	"net/netip"
	"testing"
)

// The address the per-address limits count, behind trusted proxies and
// not: the expected answers are written out by hand.
func TestClientAddr(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32"), netip.MustParsePrefix("::1/128")}
	for _, c := range []struct {
		name    string
		peer    string
		xff     []string
		trusted []netip.Prefix
		want    string
	}{
		{"no proxy configured: the peer, header ignored", "203.0.113.5:4000", []string{"198.51.100.1"}, nil, "203.0.113.5"},
		{"peer not a trusted proxy: header ignored", "203.0.113.5:4000", []string{"198.51.100.1"}, trusted, "203.0.113.5"},
		{"trusted proxy, one client", "10.1.2.3:4000", []string{"198.51.100.1"}, trusted, "198.51.100.1"},
		{"client's own forged entry left of the real one", "10.1.2.3:4000", []string{"1.1.1.1, 198.51.100.1"}, trusted, "198.51.100.1"},
		{"two trusted proxies in a row", "10.1.2.3:4000", []string{"198.51.100.1, 192.0.2.7"}, trusted, "198.51.100.1"},
		{"several header lines read right to left", "10.1.2.3:4000", []string{"1.1.1.1", "198.51.100.1, 10.9.9.9"}, trusted, "198.51.100.1"},
		{"trusted proxy without header: the proxy", "10.1.2.3:4000", nil, trusted, "10.1.2.3"},
		{"every hop trusted: the leftmost", "10.1.2.3:4000", []string{"10.4.4.4, 10.5.5.5"}, trusted, "10.4.4.4"},
		{"garbage right of the client: the hop that appended it", "10.1.2.3:4000", []string{"198.51.100.1, not-an-ip"}, trusted, "10.1.2.3"},
		{"garbage left of the client is the client's say", "10.1.2.3:4000", []string{"<script>, 198.51.100.1"}, trusted, "198.51.100.1"},
		{"an entry with a port", "10.1.2.3:4000", []string{"198.51.100.1:5555"}, trusted, "198.51.100.1"},
		{"IPv6 client through an IPv6 proxy", "[::1]:4000", []string{"2001:db8::5"}, trusted, "2001:db8::5"},
		{"IPv4-mapped peer", "[::ffff:10.1.2.3]:4000", []string{"198.51.100.1"}, trusted, "198.51.100.1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, _ := http.NewRequest("GET", "/", nil)
			r.RemoteAddr = c.peer
			for _, h := range c.xff {
				r.Header.Add("X-Forwarded-For", h)
			}
			if got := ClientAddr(r, c.trusted); got != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
}
