package search

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
)

// tokenOrder returns q's tokens rarest first, or ok=false when some token
// is in no case at all (then nothing can match).
func (s *Service) tokenOrder(ctx context.Context, tokens []string) (ordered []string, ok bool, err error) {
	if len(tokens) == 0 {
		return nil, false, nil
	}
	n := map[string]int64{}
	rows, err := s.db.Read.QueryContext(ctx, `SELECT token, n FROM search_terms WHERE token IN (`+strList(tokens)+`)`)
	if err != nil {
		return nil, false, fmt.Errorf("search: read term counts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var t string
		var c int64
		if err := rows.Scan(&t, &c); err != nil {
			return nil, false, err
		}
		n[t] = c
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	for _, t := range tokens {
		if n[t] == 0 {
			return nil, false, nil
		}
	}
	ordered = append([]string(nil), tokens...)
	sort.SliceStable(ordered, func(i, j int) bool { return n[ordered[i]] < n[ordered[j]] })
	return ordered, true, nil
}

// candidates calls fn with the ids of the cases that hold every token
// (rarest first) and are in within (nil: every case), in descending id
// order, below before (0: from the top), one block at a time, until fn says
// stop. Candidates must still be verified.
func (s *Service) candidates(ctx context.Context, tokens []string, before int64, within *candidateSet, fn func(ids []int64) (stop bool, err error)) error {
	if len(tokens) == 0 {
		return nil
	}
	top := int64(1) << 62
	if before > 0 {
		top = before >> BlockBits
	}
	group := int64(4)
	for {
		// The next blocks of the rarest token.
		rows, err := s.db.Read.QueryContext(ctx, `SELECT block, ids FROM search_postings WHERE token = $1 AND block <= $2 ORDER BY block DESC LIMIT $3`, tokens[0], top, group)
		if err != nil {
			return fmt.Errorf("search: read postings: %w", err)
		}
		type blk struct {
			n  int64
			bm *bitmap
		}
		var blocks []blk
		for rows.Next() {
			var b int64
			var p []byte
			if err := rows.Scan(&b, &p); err != nil {
				rows.Close()
				return err
			}
			bm, err := decode(p)
			if err != nil {
				rows.Close()
				return err
			}
			blocks = append(blocks, blk{b, bm})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(blocks) == 0 {
			return nil
		}
		hi, lo := blocks[0].n, blocks[len(blocks)-1].n
		for _, t := range tokens[1:] {
			other, err := s.blocks(ctx, t, lo, hi)
			if err != nil {
				return err
			}
			for i := range blocks {
				if o := other[blocks[i].n]; o != nil {
					blocks[i].bm.and(o)
				} else {
					blocks[i].bm = &bitmap{}
				}
			}
		}
		if within != nil {
			for i := range blocks {
				if o := within.blocks[blocks[i].n]; o != nil {
					blocks[i].bm.and(o)
				} else {
					blocks[i].bm = &bitmap{}
				}
			}
		}
		for _, b := range blocks {
			if b.bm.empty() {
				continue
			}
			stop, err := fn(b.bm.idsDesc(b.n, before))
			if err != nil || stop {
				return err
			}
		}
		if lo == 0 {
			return nil
		}
		top = lo - 1
		group = min(group*2, 64)
	}
}

// blocks reads token's posting blocks lo..hi.
func (s *Service) blocks(ctx context.Context, token string, lo, hi int64) (map[int64]*bitmap, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT block, ids FROM search_postings WHERE token = $1 AND block BETWEEN $2 AND $3`, token, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("search: read postings: %w", err)
	}
	defer rows.Close()
	out := map[int64]*bitmap{}
	for rows.Next() {
		var b int64
		var p []byte
		if err := rows.Scan(&b, &p); err != nil {
			return nil, err
		}
		bm, err := decode(p)
		if err != nil {
			return nil, err
		}
		out[b] = bm
	}
	return out, rows.Err()
}

// allCandidates gathers every candidate id in within (nil: all), newest
// first, at most cap of them (0: no cap); capped reports that more were
// left out.
func (s *Service) allCandidates(ctx context.Context, tokens []string, limit int, within *candidateSet) (ids []int64, capped bool, err error) {
	err = s.candidates(ctx, tokens, 0, within, func(b []int64) (bool, error) {
		ids = append(ids, b...)
		if limit > 0 && len(ids) >= limit {
			capped = true
			ids = ids[:limit]
			return true, nil
		}
		return false, nil
	})
	return ids, capped, err
}

// scanner is sql.Rows or sql.Row.
type scanner interface{ Scan(dest ...any) error }

var _ scanner = (*sql.Rows)(nil)
