package web

import (
	"net/http"
	"strings"

	"mashang/internal/problem"
)

// apiFallback is the pattern that catches every /api/ request no route
// matches (an unknown path, or a known path with a method it does not take).
const apiFallback = "/api/"

// pageFallback catches every other request no route matches.
const pageFallback = "/"

var errNoPage = problem.NotFound("page_not_found", "没有这个页面：地址可能输错了，或页面已经移走。", "There is no such page: the address may be mistyped, or the page has moved.")

var errNoMethod = &problem.Error{Kind: problem.KindMethodNotAllowed, Code: "method_not_allowed",
	ZH: "此地址不接受该请求方法", EN: "this path does not take that method"}

// probeMethods are the methods a path may be asked to take, in the order
// Allow lists them.
var probeMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// unknownAPI answers an /api/ request no route took, in the error shape: 405
// with Allow when the path exists for other methods, else 404.
func (s *Server) unknownAPI(w http.ResponseWriter, r *http.Request) {
	if allow := s.allowed(r); len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		s.writeError(w, r, errNoMethod)
		return
	}
	s.writeError(w, r, errNotFound)
}

// fallback answers a request no route took: 405 with Allow when the path
// exists for other methods (before any form check: nothing is posted to
// anything), else 404, as a page in the visitor's language; a GET gets the
// site's frame with the visitor's menu.
func (p *pageServer) fallback(w http.ResponseWriter, r *http.Request) {
	if allow := p.s.allowed(r); len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		p.renderError(w, r, nil, errNoMethod)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		p.renderError(w, r, nil, errNoPage)
		return
	}
	p.public(func(http.ResponseWriter, *http.Request, *view) error { return errNoPage })(w, r)
}

// allowed lists the methods a route takes for r's path (none when no route
// matches it whatever the method).
func (s *Server) allowed(r *http.Request) []string {
	var out []string
	for _, m := range probeMethods {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "" && pattern != apiFallback && pattern != pageFallback {
			out = append(out, m)
		}
	}
	return out
}
