package rules

import "mashang/internal/civil"

// Appeal time limits (关于实行党政领导干部问责的暂行规定 2009, arts. 22–23).
const (
	AppealFilingDays   = 15 // a cadre appeals within 15 days of receiving the decision
	AppealDecisionDays = 30 // the appeal is decided within 30 days
)

// AppealFiledInTime reports whether an appeal filed on filed is within days
// of received (the start day not counted, so the last allowed day is
// received + days). It counts calendar days only: the statutory move of a
// last day falling on a rest day or holiday belongs to the calendar package —
// pass its deadline to FiledBy instead when holidays matter.
func AppealFiledInTime(received, filed civil.Date, days int) bool {
	return FiledBy(received, filed, received.AddDays(days))
}

// FiledBy reports whether filed lies between received and the last day
// deadline, both included.
func FiledBy(received, filed, deadline civil.Date) bool {
	return !filed.Before(received) && !filed.After(deadline)
}
