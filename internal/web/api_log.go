package web

import (
	"errors"
	"net/http"
	"strconv"

	"mashang/internal/audit"
	"mashang/internal/problem"

	"golang.org/x/mod/sumdb/tlog"
)

// The public audit log (see package audit): its latest signed checkpoint,
// its verifier key, the history of checkpoints, consistency proofs between
// two sizes and inclusion proofs of an entry. They hold hashes only, so
// anyone may fetch them; a witness (`mashang audit witness`) does.

var (
	errNoCheckpoint = problem.NotFound("no_checkpoint", "公开日志尚未签署检查点，请稍后再试", "the public log has no signed checkpoint yet; try again shortly")
	errBeyondLog    = problem.Invalid("to", "beyond_log", "公开日志没有这么多条记录", "the public log does not hold that many entries")
)

func writeText(w http.ResponseWriter, b []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-cache")
	w.Write(b)
}

// queryInt reads a non-negative integer query parameter; def when absent.
func queryInt(r *http.Request, name string, def int64) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, problem.Invalid(name, "bad_number", name+" 须为非负整数", name+" must be a non-negative whole number")
	}
	return n, nil
}

func (s *Server) logCheckpoint(w http.ResponseWriter, r *http.Request) error {
	c, err := audit.Latest(r.Context(), s.app.DB.Read)
	if errors.Is(err, audit.ErrNoCheckpoint) {
		return errNoCheckpoint
	}
	if err != nil {
		return err
	}
	writeText(w, []byte(c.Note))
	return nil
}

func (s *Server) logKey(w http.ResponseWriter, r *http.Request) error {
	writeText(w, []byte(s.app.LogKey.Verifier+"\n"))
	return nil
}

func (s *Server) logProof(w http.ResponseWriter, r *http.Request) error {
	from, err := queryInt(r, "from", -1)
	if err != nil {
		return err
	}
	to, err := queryInt(r, "to", -1)
	if err != nil {
		return err
	}
	if from < 0 || to < 1 {
		return problem.Invalid("to", "proof_sizes", "请给出 from 与 to（0 ≤ from ≤ to，to ≥ 1）", "give from and to (0 ≤ from ≤ to, to ≥ 1)")
	}
	if from > to {
		return problem.Invalid("from", "proof_sizes", "from 不能大于 to", "from must not exceed to")
	}
	p, err := audit.ConsistencyProof(r.Context(), s.app.DB.Read, from, to)
	if errors.Is(err, audit.ErrBeyondLog) {
		return errBeyondLog
	}
	if err != nil {
		return err
	}
	writeText(w, audit.FormatProof(p))
	return nil
}

type inclusionView struct {
	Seq      int64       `json:"seq"`
	Index    int64       `json:"index"`
	Size     int64       `json:"size"`
	LeafHash tlog.Hash   `json:"leaf_hash"`
	Root     tlog.Hash   `json:"root"`
	Proof    []tlog.Hash `json:"proof"`
}

func (s *Server) logInclusion(w http.ResponseWriter, r *http.Request) error {
	seq, err := queryInt(r, "seq", 0)
	if err != nil {
		return err
	}
	if seq < 1 {
		return problem.Invalid("seq", "bad_number", "seq 须为正整数（日志条目序号）", "seq must be a log entry number (1 or more)")
	}
	size, err := queryInt(r, "size", 0)
	if err != nil {
		return err
	}
	if size == 0 { // the latest checkpoint's tree
		c, err := audit.Latest(r.Context(), s.app.DB.Read)
		if errors.Is(err, audit.ErrNoCheckpoint) {
			return errNoCheckpoint
		}
		if err != nil {
			return err
		}
		size = c.Size
	}
	if seq > size {
		return problem.Invalid("seq", "not_yet_signed", "该条目尚未被签署的检查点覆盖，请稍后再试", "no signed checkpoint covers that entry yet; try again shortly")
	}
	leaf, p, err := audit.InclusionProof(r.Context(), s.app.DB.Read, seq, size)
	if errors.Is(err, audit.ErrBeyondLog) {
		return errBeyondLog
	}
	if err != nil {
		return err
	}
	root, err := audit.TreeHashAt(r.Context(), s.app.DB.Read, size)
	if err != nil {
		return err
	}
	if p == nil {
		p = tlog.RecordProof{}
	}
	writeJSON(w, http.StatusOK, inclusionView{Seq: seq, Index: seq - 1, Size: size, LeafHash: leaf, Root: root, Proof: p})
	return nil
}

func (s *Server) logCheckpoints(w http.ResponseWriter, r *http.Request) error {
	before, err := queryInt(r, "before", 0)
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit", 50)
	if err != nil {
		return err
	}
	if limit < 1 || limit > 500 {
		return problem.Invalid("limit", "bad_limit", "limit 须在 1 到 500 之间", "limit must be between 1 and 500")
	}
	list, err := audit.Checkpoints(r.Context(), s.app.DB.Read, before, int(limit))
	if err != nil {
		return err
	}
	out := map[string]any{"checkpoints": list}
	if len(list) == int(limit) {
		out["next"] = strconv.FormatInt(list[len(list)-1].ID, 10)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
