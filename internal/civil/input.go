package civil

import (
	"fmt"
	"time"

	"mashang/internal/problem"
)

// Earliest is the earliest date mashang takes as input anywhere: nothing it
// records (a report, a decision, an appeal, an inspection) happened before.
var Earliest = Date{2000, time.January, 1}

// Latest is the latest date taken as input when it is today: the last day of
// the next year (plans and deadlines look ahead; nothing further).
func Latest(today Date) Date { return Date{today.Year + 1, time.December, 31} }

// InvalidCode is the code of the one answer to a bad date, whatever is wrong
// with it (not a date, out of range, before what it follows): 422 naming the
// field, with a message in the caller's language.
const InvalidCode = "invalid_date"

// NotADate is the bad-date problem for text that is not a date.
func NotADate(field string) *problem.Error {
	if field == "" {
		return problem.Invalid("", InvalidCode, "日期无效（格式为 YYYY-MM-DD，如 2026-03-02）", "a date is not in the form YYYY-MM-DD (such as 2026-03-02)")
	}
	return problem.Invalid(field, InvalidCode,
		fmt.Sprintf("%s 不是有效的日期（格式为 YYYY-MM-DD，如 2026-03-02）", field),
		fmt.Sprintf("%s is not a date in the form YYYY-MM-DD (such as 2026-03-02)", field))
}

// Input reads a date given as input in field: a real YYYY-MM-DD date between
// Earliest and Latest(today). Anything else is the bad-date problem.
func Input(field, s string, today Date) (Date, error) {
	d, err := Parse(s)
	if err != nil {
		return Date{}, NotADate(field)
	}
	return d, CheckInput(field, d, today)
}

// CheckInput checks a date already read lies between Earliest and
// Latest(today); the zero date (not given) passes.
func CheckInput(field string, d, today Date) error {
	if d.IsZero() {
		return nil
	}
	lo, hi := Earliest, Latest(today)
	if d.Before(lo) || d.After(hi) {
		return problem.Invalid(field, InvalidCode,
			fmt.Sprintf("%s 的日期 %s 超出范围：应在 %s 至 %s 之间", field, d, lo, hi),
			fmt.Sprintf("%s %s is out of range: it must be between %s and %s", field, d, lo, hi))
	}
	return nil
}

// NotAfterToday refuses a date later than today (a decision, an appeal, an
// outcome: things that have happened).
func NotAfterToday(field string, d, today Date) error {
	if d.After(today) {
		return problem.Invalid(field, InvalidCode,
			fmt.Sprintf("%s 的日期 %s 不能晚于今天（%s）", field, d, today),
			fmt.Sprintf("%s %s must not be later than today (%s)", field, d, today))
	}
	return nil
}

// NotBefore refuses a date earlier than floor, the date of what it follows,
// named in both languages (such as "案件收到日期", "the case's received date").
func NotBefore(field string, d, floor Date, floorZH, floorEN string) error {
	if d.Before(floor) {
		return problem.Invalid(field, InvalidCode,
			fmt.Sprintf("%s 的日期 %s 不能早于%s（%s）", field, d, floorZH, floor),
			fmt.Sprintf("%s %s must not be before %s (%s)", field, d, floorEN, floor))
	}
	return nil
}
