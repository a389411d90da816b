package web

import (
	"context"
	"net/http"
	"net/netip"
	"strings"
)

// withClientAddr works out, once per request, the address the per-address
// limits count (clientAddr). A request from a trusted proxy (the
// trusted-proxies option) is counted at the client its X-Forwarded-For
// names: the list is read from the right, past every trusted proxy, to the
// first address that is not one, since only the entries our own proxies
// appended can be believed (a client may send any X-Forwarded-For it likes,
// and a proxy appends to it). From any other peer the header is ignored.
func (s *Server) withClientAddr(next http.Handler) http.Handler {
	trusted := s.app.Config.TrustedProxies
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		addr := ClientAddr(r, trusted)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), keyClientAddr, addr)))
	})
}

// clientAddr is the address of the request's client without port, for the
// per-address limits (see withClientAddr).
func clientAddr(r *http.Request) string {
	if a, ok := r.Context().Value(keyClientAddr).(string); ok {
		return a
	}
	return ClientAddr(r, nil)
}

// ClientAddr is the client's address of r when the proxies in trusted may
// speak for it (see withClientAddr).
func ClientAddr(r *http.Request, trusted []netip.Prefix) string {
	peer, ok := parseAddr(r.RemoteAddr)
	if !ok {
		a := r.RemoteAddr
		if i := strings.LastIndexByte(a, ':'); i > 0 {
			a = a[:i]
		}
		return strings.Trim(a, "[]")
	}
	if len(trusted) == 0 || !isTrusted(peer, trusted) {
		return peer.String()
	}
	client := peer
	hops := r.Header.Values("X-Forwarded-For")
	for i := len(hops) - 1; i >= 0; i-- {
		list := strings.Split(hops[i], ",")
		for j := len(list) - 1; j >= 0; j-- {
			a, ok := parseAddr(strings.TrimSpace(list[j]))
			if !ok {
				// Not an address: whatever stands left of it is the
				// client's own say; the hop that appended it is the client.
				return client.String()
			}
			client = a
			if !isTrusted(a, trusted) {
				return a.String()
			}
		}
	}
	return client.String()
}

// parseAddr reads "1.2.3.4", "1.2.3.4:5678", "[::1]:80" or "::1".
func parseAddr(s string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	a, err := netip.ParseAddr(strings.Trim(s, "[]"))
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// behindTLSProxy reports whether r came through a trusted proxy that took
// it over HTTPS (X-Forwarded-Proto: https), so cookies are marked Secure.
func behindTLSProxy(r *http.Request, trusted []netip.Prefix) bool {
	peer, ok := parseAddr(r.RemoteAddr)
	return ok && len(trusted) > 0 && isTrusted(peer, trusted) && strings.EqualFold(strings.TrimSpace(r.Header.Get("X-Forwarded-Proto")), "https")
}
