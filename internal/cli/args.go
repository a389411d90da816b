package cli

import (
	"flag"
	"fmt"
	"sort"
	"strings"
)

// parseArgs parses args on fs with flags allowed before, between and after
// the positional arguments (`calendar import 2027.json --data DIR`), as most
// command-line tools read them. A lone "--" ends the flags: everything after
// it is positional. Afterwards fs.Args() holds the positional arguments in
// order, so commands read them with fs.NArg and fs.Arg as usual.
func parseArgs(fs *flag.FlagSet, args []string) error {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			pos = append(pos, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		f := fs.Lookup(name)
		if f == nil {
			continue // flag.Parse names it below
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			continue
		}
		if i+1 < len(args) {
			flags = append(flags, args[i+1])
			i++
		}
	}
	return fs.Parse(append(append(flags, "--"), pos...))
}

// unknownFlag turns flag's "flag provided but not defined: -x" into a
// message naming the flag and the nearest known one.
func unknownFlag(fs *flag.FlagSet, err error) error {
	const prefix = "flag provided but not defined: "
	msg := err.Error()
	if !strings.HasPrefix(msg, prefix) {
		return err
	}
	name := strings.TrimLeft(strings.TrimPrefix(msg, prefix), "-")
	if s := suggest(fs, name); s != "" {
		return fmt.Errorf("unknown flag --%s; did you mean --%s?", name, s)
	}
	return fmt.Errorf("unknown flag --%s", name)
}

// suggest returns the defined flag closest to name (edit distance at most a
// third of its length, or a prefix match), or "".
func suggest(fs *flag.FlagSet, name string) string {
	type cand struct {
		name string
		d    int
	}
	var cs []cand
	fs.VisitAll(func(f *flag.Flag) {
		d := editDistance(name, f.Name)
		if strings.HasPrefix(f.Name, name) && len(name) >= 3 {
			d = min(d, 1)
		}
		if d <= max(1, len(f.Name)/3) {
			cs = append(cs, cand{f.Name, d})
		}
	})
	if len(cs) == 0 {
		return ""
	}
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].d != cs[j].d {
			return cs[i].d < cs[j].d
		}
		return cs[i].name < cs[j].name
	})
	return cs[0].name
}

// suggestWord returns the word in words closest to w, or "".
func suggestWord(w string, words []string) string {
	best, bd := "", 1<<30
	for _, c := range words {
		if d := editDistance(w, c); d < bd && d <= max(1, len(c)/3) {
			best, bd = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b (in bytes: flag
// and command names are ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
