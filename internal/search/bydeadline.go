package search

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"

	"mashang/internal/textsearch"
)

// A search by deadline: the order is the running cases by deadline, then
// the cases with no running deadline (NoDeadline) by id. Neither sorting
// every match (a common word is in a tenth of a million cases) nor walking
// every running case for a rare word answers a first page quickly, so:
//   - the candidates (cases holding every token) are gathered as bitmaps
//     from the posting lists alone, cheaply, and counted;
//   - few candidates: their deadlines are read (with the list's filters)
//     and sorted, and only the page's share of them is verified on its text;
//   - many: the running cases passing the filters are read in deadline
//     order, a keyset page at a time, and those that are candidates are
//     verified, until the page is full;
//   - then the cases with no running deadline, candidates by ascending id.

// DeadlineTuning sets where a search by deadline changes its way.
type DeadlineTuning struct {
	// FewCandidates is the candidate count up to which every candidate's
	// deadline is read and sorted rather than the running cases walked in
	// deadline order (tests set 0 to walk always).
	FewCandidates int
	// WalkPage is how many ids a deadline walk reads per statement.
	WalkPage int
}

// DefaultDeadlineTuning is what New sets.
func DefaultDeadlineTuning() DeadlineTuning {
	return DeadlineTuning{FewCandidates: 4000, WalkPage: 1000}
}

// candidateSet is the cases holding every token, by posting block.
type candidateSet struct {
	blocks map[int64]*bitmap
	n      int
}

func (c candidateSet) has(id int64) bool {
	bm := c.blocks[id>>BlockBits]
	return bm != nil && bm.has(uint16(id&(BlockSize-1)))
}

// ascending lists the candidates above after (0: all), ascending.
func (c candidateSet) ascending(after int64) []int64 {
	keys := make([]int64, 0, len(c.blocks))
	for k := range c.blocks {
		if (k+1)<<BlockBits > after {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var out []int64
	for _, k := range keys {
		for _, off := range c.blocks[k].offsets() {
			if id := k<<BlockBits | int64(off); id > after {
				out = append(out, id)
			}
		}
	}
	return out
}

// allCandidateSet reads every posting block of the rarest token and ands
// the other tokens' blocks, and within's (nil: every case), into it.
func (s *Service) allCandidateSet(ctx context.Context, tokens []string, within *candidateSet) (candidateSet, error) {
	c := candidateSet{blocks: map[int64]*bitmap{}}
	first, err := s.blocks(ctx, tokens[0], 0, 1<<62)
	if err != nil {
		return c, err
	}
	c.blocks = first
	for _, t := range tokens[1:] {
		if len(c.blocks) == 0 {
			break
		}
		lo, hi := int64(1<<62), int64(0)
		for k := range c.blocks {
			lo, hi = min(lo, k), max(hi, k)
		}
		other, err := s.blocks(ctx, t, lo, hi)
		if err != nil {
			return c, err
		}
		for k, bm := range c.blocks {
			if o := other[k]; o != nil {
				bm.and(o)
			}
			if o := other[k]; o == nil || bm.empty() {
				delete(c.blocks, k)
			}
		}
	}
	if within != nil {
		for k, bm := range c.blocks {
			if o := within.blocks[k]; o != nil {
				bm.and(o)
			}
			if o := within.blocks[k]; o == nil || bm.empty() {
				delete(c.blocks, k)
			}
		}
	}
	for _, bm := range c.blocks {
		c.n += bm.count()
	}
	return c, nil
}

// searchByDeadline fills page with the matches in deadline order after cur.
func (s *Service) searchByDeadline(ctx context.Context, b *builder, q ListQuery, query textsearch.Query, tokens []string, cur *cursor, page *Page) error {
	cand, err := s.allCandidateSet(ctx, tokens, b.within)
	if err != nil {
		return err
	}
	need := q.Limit + 1
	var out []Row
	// keep verifies ids (in the order wanted) and appends the matches in
	// that order; it reports whether the page is full.
	keep := func(vb *builder, ids []int64) (bool, error) {
		for start := 0; start < len(ids) && len(out) < need; {
			end := min(start+verifyStep(vb, need-len(out)), len(ids))
			rows, err := s.verified(ctx, vb, ids[start:end], query, true)
			if err != nil {
				return true, err
			}
			pos := make(map[int64]int, end-start)
			for i, id := range ids[start:end] {
				pos[id] = i
			}
			slices.SortFunc(rows, func(a, c Row) int { return pos[a.ID] - pos[c.ID] })
			out = append(out, rows...)
			start = end
		}
		return len(out) >= need, nil
	}
	if cand.n > 0 && (cur == nil || cur.Key != NoDeadline) {
		// The running cases, by deadline, after the cursor.
		rb := b.clone()
		rb.add(runningCases)
		if cur != nil {
			rb.add("(c.deadline, c.id) > (" + rb.arg(cur.Key) + ", " + rb.arg(cur.ID) + ")")
		}
		// Within a liaison's cases (b.within) the candidates are dense in
		// the walk of its units by deadline: walked unless very few.
		few := cand.n <= s.Deadline.FewCandidates
		if b.within != nil {
			few = cand.n <= s.Deadline.FewCandidates/4
		}
		var full bool
		if few {
			ids, err := s.candidatesByDeadline(ctx, rb, cand.ascending(0))
			if err != nil {
				return err
			}
			if full, err = keep(rb, ids); err != nil {
				return err
			}
		} else {
			// Walk the running cases passing the filters in deadline order.
			after := "" // keyset within the walk
			var afterID int64
			for !full {
				wb := rb.clone()
				if after != "" {
					wb.add("(c.deadline, c.id) > (" + wb.arg(after) + ", " + wb.arg(afterID) + ")")
				}
				keys, err := s.walkDeadline(ctx, wb)
				if err != nil {
					return err
				}
				var ids []int64
				for _, k := range keys {
					if cand.has(k.id) {
						ids = append(ids, k.id)
					}
				}
				if full, err = keep(rb, ids); err != nil {
					return err
				}
				if len(keys) < s.Deadline.WalkPage {
					break
				}
				after, afterID = keys[len(keys)-1].deadline, keys[len(keys)-1].id
			}
		}
		if full {
			return deadlinePage(q, query, out, page)
		}
	}
	// The cases with no running deadline, by id.
	tb := b.clone()
	tb.add("c.deadline = " + tb.arg(NoDeadline))
	var after int64
	if cur != nil && cur.Key == NoDeadline {
		after = cur.ID
	}
	if _, err := keep(tb, cand.ascending(after)); err != nil {
		return err
	}
	return deadlinePage(q, query, out, page)
}

// deadlinePage ends a search walked in deadline order (scoredPage).
func deadlinePage(q ListQuery, query textsearch.Query, out []Row, page *Page) error {
	scoredPage(q, query, out, page, func(last Row) cursor {
		return cursor{Sort: "deadline", Key: last.deadlineRaw, ID: last.ID}
	})
	return nil
}

type deadlineKey struct {
	id       int64
	deadline string
}

// walkDeadline reads the next Deadline.WalkPage running cases passing b's filters,
// in deadline order: their ids and deadlines only, from the index. Several
// units (a subtree, a liaison's units) or states are read a range each and
// merged (one range of several units' cases in deadline order is no
// index's: an engine read every case of the units and sorted them).
func (s *Service) walkDeadline(ctx context.Context, b *builder) ([]deadlineKey, error) {
	parts := b.parts()
	var out []deadlineKey
	for _, pb := range parts {
		keys, err := s.deadlineKeys(ctx, `SELECT c.id, c.deadline FROM cases c WHERE `+pb.sql()+` ORDER BY c.deadline, c.id LIMIT `+strconv.Itoa(s.Deadline.WalkPage), pb.args...)
		if err != nil {
			return nil, fmt.Errorf("search: deadline walk: %w", err)
		}
		out = append(out, keys...)
	}
	if len(parts) > 1 {
		sortKeys(out)
		out = out[:min(len(out), s.Deadline.WalkPage)]
	}
	return out, nil
}

// deadlineKeys runs a query of ids and deadlines.
func (s *Service) deadlineKeys(ctx context.Context, query string, args ...any) ([]deadlineKey, error) {
	rows, err := s.db.Read.QueryContext(ctx, query, s.db.OneShot(args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []deadlineKey
	for rows.Next() {
		var k deadlineKey
		if err := rows.Scan(&k.id, &k.deadline); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// sortKeys sorts keys by deadline and id.
func sortKeys(keys []deadlineKey) {
	slices.SortFunc(keys, func(a, c deadlineKey) int {
		if a.deadline != c.deadline {
			if a.deadline < c.deadline {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.id, c.id)
	})
}

// candidatesByDeadline returns those of ids that pass b's filters, sorted
// by deadline and id.
func (s *Service) candidatesByDeadline(ctx context.Context, b *builder, ids []int64) ([]int64, error) {
	var keys []deadlineKey
	for start := 0; start < len(ids); start += 1000 {
		chunk := ids[start:min(start+1000, len(ids))]
		k, err := s.deadlineKeys(ctx, byIDs(chunk)+`SELECT c.id, c.deadline FROM k c WHERE `+b.sql(), b.args...)
		if err != nil {
			return nil, fmt.Errorf("search: candidates' deadlines: %w", err)
		}
		keys = append(keys, k...)
	}
	sortKeys(keys)
	out := make([]int64, len(keys))
	for i, k := range keys {
		out[i] = k.id
	}
	return out, nil
}
