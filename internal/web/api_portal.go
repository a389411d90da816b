package web

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"mashang/internal/access"
	"mashang/internal/audit"
	"mashang/internal/auth"
	"mashang/internal/catalog"
	"mashang/internal/civil"
	"mashang/internal/office"
	"mashang/internal/problem"
	"mashang/internal/publication"
	"mashang/internal/reports"
)

// Publications (staff): a director proposes, a leader approves, a director
// or leader publishes; only approved and published items reach the portal.

func (s *Server) createPublication(w http.ResponseWriter, r *http.Request) error {
	var in publication.Input
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	p, err := s.app.Publications.Propose(r.Context(), me(r), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/publications/"+strconv.FormatInt(p.ID, 10))
	writeJSON(w, http.StatusCreated, p)
	return nil
}

func (s *Server) listPublications(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	list, err := s.app.Publications.List(r.Context(), publication.Filter{Kind: q.Get("kind"), State: q.Get("state")})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"publications": list})
	return nil
}

func (s *Server) getPublication(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p, err := s.app.Publications.Get(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

// publicationStep makes the handler of one step of a publication.
func (s *Server) publicationStep(step func(ps *publication.Service, r *http.Request, id int64) (publication.Publication, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		p, err := step(s.app.Publications, r, id)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, p)
		return nil
	}
}

func approveStep(ps *publication.Service, r *http.Request, id int64) (publication.Publication, error) {
	return ps.Approve(r.Context(), me(r), id)
}

func publishStep(ps *publication.Service, r *http.Request, id int64) (publication.Publication, error) {
	return ps.Publish(r.Context(), me(r), id)
}

func withdrawStep(ps *publication.Service, r *http.Request, id int64) (publication.Publication, error) {
	return ps.Withdraw(r.Context(), me(r), id)
}

// The portal's JSON (anyone): /api/v1/public/... twins of the /public pages.

func (s *Server) publicListJSON(kind string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		list, err := s.app.Publications.Published(r.Context(), kind, 0)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"items": list})
		return nil
	}
}

func (s *Server) publicItemJSON(kind string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return errPublicNotFound
		}
		it, err := s.app.Publications.PublishedItem(r.Context(), kind, id)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, it)
		return nil
	}
}

// errPublicNotFound answers a bad id exactly like a missing or unapproved item.
var errPublicNotFound = publication.ErrNotFound

func (s *Server) publicStatsJSON(w http.ResponseWriter, r *http.Request) error {
	st, err := s.publicStatsFor(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

// The Atom feed of published exposures and exemplars.

type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Lang    string      `xml:"xml:lang,attr"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Author  atomPerson  `xml:"author"`
	Links   []atomLink  `xml:"link"`
	Entries []atomEntry `xml:"entry"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Href string `xml:"href,attr"`
	Type string `xml:"type,attr,omitempty"`
}

type atomEntry struct {
	ID        string   `xml:"id"`
	Title     string   `xml:"title"`
	Updated   string   `xml:"updated"`
	Published string   `xml:"published"`
	Category  atomCat  `xml:"category"`
	Link      atomLink `xml:"link"`
	Content   atomText `xml:"content"`
}

type atomCat struct {
	Term  string `xml:"term,attr"`
	Label string `xml:"label,attr"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

// baseURL is the configured public address, or the request's own.
func (s *Server) baseURL(r *http.Request) string {
	if b := strings.TrimRight(s.app.Config.PublicBaseURL, "/"); b != "" {
		return b
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *Server) publicFeed(w http.ResponseWriter, r *http.Request) error {
	items, err := s.app.Publications.Published(r.Context(), "", 100)
	if err != nil {
		return err
	}
	base := s.baseURL(r)
	host := strings.TrimPrefix(strings.TrimPrefix(base, "https://"), "http://")
	if i := strings.IndexAny(host, ":/"); i >= 0 {
		host = host[:i]
	}
	updated := time.Date(2015, 4, 21, 0, 0, 0, 0, time.UTC)
	f := atomFeed{Lang: "zh-CN", ID: base + "/public/feed.atom", Title: "整肃“为官不为”：曝光台与“马上就办”典型",
		Author: atomPerson{Name: "整肃“为官不为”领导小组办公室"},
		Links:  []atomLink{{Rel: "self", Href: base + "/public/feed.atom", Type: "application/atom+xml"}, {Rel: "alternate", Href: base + "/public/exposures", Type: "text/html"}}}
	for _, it := range items {
		if it.PublishedAt.After(updated) {
			updated = it.PublishedAt
		}
		path, label := "/public/exposures/", "曝光台"
		if it.Kind == publication.KindExemplar {
			path, label = "/public/exemplars/", "“马上就办”典型"
		}
		at := it.PublishedAt.UTC().Format(time.RFC3339)
		f.Entries = append(f.Entries, atomEntry{
			ID:    fmt.Sprintf("tag:%s,%s:publication/%d", host, it.PublishedAt.UTC().Format("2006-01-02"), it.ID),
			Title: it.Title, Updated: at, Published: at,
			Category: atomCat{Term: it.Kind, Label: label},
			Link:     atomLink{Rel: "alternate", Href: base + path + strconv.FormatInt(it.ID, 10), Type: "text/html"},
			Content:  atomText{Type: "text", Body: it.Body},
		})
	}
	// The public log's signed checkpoints, so that subscribers keep copies.
	cps, err := audit.Checkpoints(r.Context(), s.app.DB.Read, 0, 20)
	if err != nil {
		return err
	}
	for _, c := range cps {
		if c.At.After(updated) {
			updated = c.At
		}
		at := c.At.UTC().Format(time.RFC3339)
		f.Entries = append(f.Entries, atomEntry{
			ID:    fmt.Sprintf("tag:%s,%s:log/checkpoint/%d", host, c.At.UTC().Format("2006-01-02"), c.ID),
			Title: fmt.Sprintf("公开日志检查点：%d 条记录", c.Size), Updated: at, Published: at,
			Category: atomCat{Term: "log-checkpoint", Label: "公开日志"},
			Link:     atomLink{Rel: "alternate", Href: base + "/public/log", Type: "text/html"},
			Content:  atomText{Type: "text", Body: c.Note},
		})
	}
	f.Updated = updated.UTC().Format(time.RFC3339)
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", " ")
	if err := enc.Encode(f); err != nil {
		return fmt.Errorf("atom: %w", err)
	}
	h := w.Header()
	h.Set("Content-Type", "application/atom+xml; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "public, max-age=300")
	w.Write(b.Bytes())
	return nil
}

// publicStatsFor is shared by the stats page and its JSON: the whole
// deployment, or with ?office=CODE that office and the offices below it;
// either with a breakdown by the offices directly below (each with its own
// lower offices) when there are any. An unknown office is 404.
func (s *Server) publicStatsFor(r *http.Request) (reports.PublicStats, error) {
	ctx := r.Context()
	t, err := s.app.Offices.Tree(ctx)
	if err != nil {
		return reports.PublicStats{}, err
	}
	code := strings.TrimSpace(r.URL.Query().Get("office"))
	if code == "" {
		names, err := s.publicNames(ctx, "")
		if err != nil {
			return reports.PublicStats{}, err
		}
		st, err := s.app.Reports.PublicStats(ctx, names, 12)
		if err != nil || len(t.All()) < 2 {
			return st, err
		}
		return st, s.byLowerOffice(r, t, t.Home(), access.PublicFigures(), &st)
	}
	o, ok := t.ByCode(code)
	if !ok {
		return reports.PublicStats{}, problem.NotFound("office_not_found", "整肃办 "+code+" 不存在", "no office "+code)
	}
	ids := []int64{o.ID}
	for _, b := range t.Below(o.ID) {
		ids = append(ids, b.ID)
	}
	f := access.PublicFigures().InOffices(ids)
	names, err := s.publicNames(ctx, o.Code)
	if err != nil {
		return reports.PublicStats{}, err
	}
	st, err := s.app.Reports.PublicStatsIn(ctx, names, 12, f)
	if err != nil {
		return st, err
	}
	st.Office, st.OfficeName = o.Code, o.Name
	return st, s.byLowerOffice(r, t, o, f, &st)
}

// publicNames is the catalogue the public figures of office code ("": the
// whole deployment) are named from: that office's version, then its lower
// offices', then any other (app.Catalogs.Public).
func (s *Server) publicNames(ctx context.Context, code string) (*catalog.Catalog, error) {
	if code == "" {
		return s.app.Catalogs.Public(ctx, 0, nil)
	}
	t, err := s.app.Offices.Tree(ctx)
	if err != nil {
		return nil, err
	}
	o, ok := t.ByCode(code)
	if !ok {
		return s.app.Catalogs.Public(ctx, 0, nil)
	}
	var below []int64
	for _, b := range t.Below(o.ID) {
		below = append(below, b.ID)
	}
	return s.app.Catalogs.Public(ctx, o.ID, below)
}

// byLowerOffice adds to st the cases received by office o's own and by
// each office directly below it with its lower offices.
func (s *Server) byLowerOffice(r *http.Request, t *office.Tree, o office.Office, f access.CaseFilter, st *reports.PublicStats) error {
	by, err := s.lowerOffices(r, t, o, f, st.From, st.To)
	st.ByOffice = by
	return err
}

// lowerOffices counts the cases f admits received from..to by office o's
// own and by each office directly below it with its lower offices (nil
// when none is below it).
func (s *Server) lowerOffices(r *http.Request, t *office.Tree, o office.Office, f access.CaseFilter, from, to civil.Date) ([]reports.OfficeCount, error) {
	children := t.Children(o.ID)
	if len(children) == 0 {
		return nil, nil
	}
	n, err := s.app.Reports.ReceivedByOffice(r.Context(), from, to, f)
	if err != nil {
		return nil, err
	}
	out := []reports.OfficeCount{{Office: o.Code, Name: o.Name, Own: true, Received: n[o.ID]}}
	for _, c := range children {
		sum := n[c.ID]
		for _, b := range t.Below(c.ID) {
			sum += n[b.ID]
		}
		out = append(out, reports.OfficeCount{Office: c.Code, Name: c.Name, Received: sum})
	}
	return out, nil
}

// officeScope narrows p to the office ?office=CODE names, with all the
// offices below it, for the figures (the overview, the leading group's
// report): an office p reads (its own or one below it); another, or an
// unknown one, answers 404 as a missing office. Without ?office, p's own
// office. It returns the narrowed principal, the office and the tree.
func (s *Server) officeScope(r *http.Request, p auth.Principal) (auth.Principal, office.Office, *office.Tree, error) {
	t, err := s.app.Offices.Tree(r.Context())
	if err != nil {
		return p, office.Office{}, nil, err
	}
	code := strings.TrimSpace(r.URL.Query().Get("office"))
	own, ok := t.ByID(p.OfficeID)
	if !ok {
		own = t.Home()
	}
	if code == "" || code == own.Code {
		return p, own, t, nil
	}
	o, ok := t.ByCode(code)
	if !ok || p.OfficeID != 0 && !t.IsAbove(p.OfficeID, o.ID) {
		return p, office.Office{}, nil, problem.NotFound("office_not_found", "整肃办 "+code+" 不存在", "no office "+code)
	}
	q := p
	q.OfficeID, q.OfficeCode, q.OfficePath, q.OfficeAll = o.ID, o.Code, o.Path, false
	q.Offices = []int64{o.ID}
	for _, b := range t.Below(o.ID) {
		q.Offices = append(q.Offices, b.ID)
	}
	return q, o, t, nil
}
