package audit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// A witness (`mashang audit witness`, run by a discipline commission or a
// neighbouring office on its own machine) keeps the last checkpoint it
// accepted. Each run fetches the server's newest checkpoint, checks its
// signature and a consistency proof from the kept one, and keeps the new
// one: a log rewritten, truncated or forked since the last run fails the
// check, whatever the database now says.

// WitnessState is what a witness keeps between runs: the log's verifier
// key and the last checkpoint it accepted (empty before the first run).
type WitnessState struct {
	Key        string `json:"key"`
	Checkpoint string `json:"checkpoint,omitempty"`
}

// Marshal renders the state file.
func (w WitnessState) Marshal() []byte {
	b, _ := json.MarshalIndent(w, "", "  ")
	return append(b, '\n')
}

// ParseWitnessState reads a state file.
func ParseWitnessState(b []byte) (WitnessState, error) {
	var w WitnessState
	if err := json.Unmarshal(b, &w); err != nil {
		return w, fmt.Errorf("witness state: %w", err)
	}
	if w.Key == "" {
		return w, errors.New("witness state: no key")
	}
	return w, nil
}

// WitnessError says why a witness rejected the server's log.
type WitnessError struct{ Reason string }

func (e *WitnessError) Error() string { return e.Reason }

// WitnessResult is what a run saw.
type WitnessResult struct {
	Old, New Checkpoint
	// Rotated is the new verifier key when the log moved to a new key
	// through a handover checkpoint signed by the old key.
	Rotated string
}

// Witness runs one round against the server at base and returns the new
// state to keep. It never returns a state that failed a check.
func Witness(ctx context.Context, hc *http.Client, base string, st WitnessState) (WitnessState, WitnessResult, error) {
	var res WitnessResult
	base = strings.TrimRight(base, "/")
	v, err := note.NewVerifier(st.Key)
	if err != nil {
		return st, res, fmt.Errorf("witness: key %q: %w", st.Key, err)
	}
	var old *Checkpoint
	if st.Checkpoint != "" {
		c, _, err := ParseCheckpoint([]byte(st.Checkpoint), v)
		if err != nil {
			return st, res, fmt.Errorf("witness: the kept checkpoint does not verify with the kept key: %w", err)
		}
		old, res.Old = &c, c
	}
	body, err := fetch(ctx, hc, base+"/public/log/checkpoint")
	if err != nil {
		return st, res, err
	}
	cur, _, err := ParseCheckpoint(body, v)
	var unknown *note.UnknownVerifierError
	var unverified *note.UnverifiedNoteError
	if (errors.As(err, &unknown) || errors.As(err, &unverified)) && old != nil {
		// Signed by another key: follow a handover signed by the kept key.
		nk, hand, herr := findHandover(ctx, hc, base, v, old)
		if herr != nil {
			return st, res, herr
		}
		if err := consistent(ctx, hc, base, old, &hand); err != nil {
			return st, res, err
		}
		if v, err = note.NewVerifier(nk); err != nil {
			return st, res, err
		}
		old, st.Key, res.Rotated = &hand, nk, nk
		cur, _, err = ParseCheckpoint(body, v)
	}
	if err != nil {
		return st, res, &WitnessError{fmt.Sprintf("the server's checkpoint is not signed by the log's key: %v", err)}
	}
	if old != nil && cur.Origin != old.Origin {
		return st, res, &WitnessError{fmt.Sprintf("the server's checkpoint names log %q, the kept one %q", cur.Origin, old.Origin)}
	}
	if old != nil {
		if err := consistent(ctx, hc, base, old, &cur); err != nil {
			return st, res, err
		}
	}
	res.New = cur
	st.Checkpoint = cur.Note
	return st, res, nil
}

// consistent checks that cur extends old, asking the server for a proof.
func consistent(ctx context.Context, hc *http.Client, base string, old, cur *Checkpoint) error {
	switch {
	case cur.Size < old.Size:
		return &WitnessError{fmt.Sprintf("the log shrank from %d to %d entries: it was truncated or rewritten", old.Size, cur.Size)}
	case cur.Size == old.Size:
		if cur.Root != old.Root {
			return &WitnessError{fmt.Sprintf("the log of %d entries now has root %s, the kept checkpoint %s: it was rewritten or forked", cur.Size, cur.Root, old.Root)}
		}
		return nil
	}
	body, err := fetch(ctx, hc, fmt.Sprintf("%s/public/log/proof?from=%d&to=%d", base, old.Size, cur.Size))
	if err != nil {
		return err
	}
	proof, err := ParseProof(body)
	if err != nil {
		return &WitnessError{fmt.Sprintf("the server's consistency proof is malformed: %v", err)}
	}
	if err := tlog.CheckTree(proof, cur.Size, cur.Root, old.Size, old.Root); err != nil {
		return &WitnessError{fmt.Sprintf("the log of %d entries does not extend the kept checkpoint of %d entries (%v): it was rewritten or forked", cur.Size, old.Size, err)}
	}
	return nil
}

// findHandover looks through the server's checkpoints for one signed by
// the kept key that names a new key, and is signed by it too.
func findHandover(ctx context.Context, hc *http.Client, base string, v note.Verifier, old *Checkpoint) (string, Checkpoint, error) {
	before := int64(0)
	for page := 0; page < 100; page++ {
		u := base + "/public/log/checkpoints?limit=100"
		if before > 0 {
			u += "&before=" + strconv.FormatInt(before, 10)
		}
		body, err := fetch(ctx, hc, u)
		if err != nil {
			return "", Checkpoint{}, err
		}
		var list struct {
			Checkpoints []Checkpoint `json:"checkpoints"`
		}
		if err := json.Unmarshal(body, &list); err != nil {
			return "", Checkpoint{}, fmt.Errorf("witness: checkpoints list: %w", err)
		}
		for _, c := range list.Checkpoints {
			if c.Size < old.Size {
				return "", Checkpoint{}, &WitnessError{"the server's checkpoint is signed by an unknown key, and no handover signed by the kept key introduces it"}
			}
			_, n, err := ParseCheckpoint([]byte(c.Note), v)
			if err != nil {
				continue
			}
			nk := HandoverKey(n)
			if nk == "" {
				continue
			}
			nv, err := note.NewVerifier(nk)
			if err != nil {
				continue
			}
			hand, _, err := ParseCheckpoint([]byte(c.Note), nv)
			if err != nil {
				continue
			}
			return nk, hand, nil
		}
		if len(list.Checkpoints) == 0 {
			break
		}
		before = list.Checkpoints[len(list.Checkpoints)-1].ID
	}
	return "", Checkpoint{}, &WitnessError{"the server's checkpoint is signed by an unknown key, and no handover signed by the kept key introduces it"}
}

// ParseProof reads a proof served as one base64 hash per line.
func ParseProof(b []byte) ([]tlog.Hash, error) {
	var out []tlog.Hash
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(line)
		if err != nil || len(raw) != tlog.HashSize {
			return nil, fmt.Errorf("line %q is not a base64 hash", line)
		}
		var h tlog.Hash
		copy(h[:], raw)
		out = append(out, h)
	}
	return out, sc.Err()
}

// FormatProof renders a proof as one base64 hash per line.
func FormatProof(p []tlog.Hash) []byte {
	var b bytes.Buffer
	for _, h := range p {
		b.WriteString(base64.StdEncoding.EncodeToString(h[:]))
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func fetch(ctx context.Context, hc *http.Client, u string) ([]byte, error) {
	if _, err := url.Parse(u); err != nil {
		return nil, fmt.Errorf("witness: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("witness: %w", err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("witness: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("witness: reading %s: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("witness: %s answered %s: %s", u, resp.Status, strings.TrimSpace(string(b[:min(len(b), 200)])))
	}
	return b, nil
}
