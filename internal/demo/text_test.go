package demo

import (
	"strings"
	"testing"
)

// A number put in a text is written with digits and never followed by a
// Chinese numeral ("4十天" reads as nonsense).
func TestDemoTextNumbers(t *testing.T) {
	var all []string
	for _, bs := range bodies {
		all = append(all, bs...)
	}
	all = append(all, openings...)
	for _, s := range all {
		for _, after := range []string{"{n}十", "{n}百", "{n}千", "{n}万"} {
			if strings.Contains(s, after) {
				t.Errorf("%q has %s", s, after)
			}
		}
	}
}
