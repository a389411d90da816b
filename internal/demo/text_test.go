package demo

import (
	"bytes"
	"encoding/csv"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"mashang/internal/civil"
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

// A day a report tells of ("本人于3月2日到…") is before the day it was
// received (one to three weeks), across a year's turn too.
func TestDemoTextVisitsBeforeReceived(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	re := regexp.MustCompile(`(\d+)月(\d+)日`)
	for _, received := range []civil.Date{{Year: 2026, Month: 3, Day: 2}, {Year: 2026, Month: 1, Day: 5}, {Year: 2026, Month: 12, Day: 31}} {
		w := &words{r: r, town: "梅溪镇", unit: "梅溪镇便民服务中心", received: received}
		for range 200 {
			m := re.FindStringSubmatch(w.fill("本人于{month}月{day}日到{unit}办理{matter}，"))
			if m == nil {
				t.Fatal("no date in the text")
			}
			mo, _ := strconv.Atoi(m[1])
			d, _ := strconv.Atoi(m[2])
			day := civil.Date{Year: received.Year, Month: time.Month(mo), Day: d}
			if day.After(received) {
				day.Year--
			}
			if n := day.DaysUntil(received); n < 1 || n > 21 {
				t.Fatalf("received %s, the text tells of %s (%d days before)", received, day, n)
			}
		}
	}
}

// The exemplars praise units of the demo county, by their names: every
// 镇/乡/县 body named in them is a unit.
func TestDemoExemplarsPraiseUnits(t *testing.T) {
	units := map[string]bool{}
	rows, err := csv.NewReader(bytes.NewReader(unitsCSV)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rows[1:] {
		units[row[1]] = true
	}
	named := regexp.MustCompile(`\p{Han}{2}(?:镇|乡)(?:便民服务中心|人民政府|政府|\p{Han}{0,6}?(?:中心|站|所))?|(?:闽清)?县\p{Han}{1,12}?(?:局|中心|办公室)`)
	for _, ex := range exemplarTexts {
		subject, _, _ := strings.Cut(ex.Title, "：")
		if !units[subject] {
			t.Errorf("the exemplar %q praises %q, which is not a unit", ex.Title, subject)
		}
		for _, m := range named.FindAllString(ex.Title+ex.Body, -1) {
			if !units[m] && !units[strings.TrimSuffix(m, "一位")] {
				t.Errorf("the exemplar %q names %q, which is not a unit", ex.Title, m)
			}
		}
	}
}
