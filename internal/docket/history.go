package docket

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Names looks up the names a history line mentions. A nil function, or one
// answering "", leaves the reference as it is stored (a user name, #12).
type Names struct {
	Staff    func(username string) string // a staff member's display name
	Person   func(id int64) string        // a person's name
	Sanction func(code string) string     // a sanction's name in the language asked for
}

func (n Names) staff(username string) string {
	if n.Staff != nil {
		if s := n.Staff(username); s != "" {
			return s
		}
	}
	return username
}

func (n Names) person(id int64) string {
	if n.Person != nil {
		if s := n.Person(id); s != "" {
			return s
		}
	}
	return "#" + strconv.FormatInt(id, 10)
}

func (n Names) sanction(code string) string {
	if n.Sanction != nil {
		if s := n.Sanction(code); s != "" {
			return s
		}
	}
	return code
}

// The actors that are not staff members, in words.
var actorLabels = map[string]Text{
	"reporter":         {"举报人", "舉報人", "The reporter"},
	"office":           {"本办（告知举报人）", "本辦（告知舉報人）", "The office, to the reporter"},
	"system:rule":      {"系统（两次投诉规则）", "系統（兩次投訴規則）", "System (two-complaints rule)"},
	"system:sweep":     {"系统（期限巡查）", "系統（期限巡查）", "System (deadline sweep)"},
	"system:retention": {"系统（保存期限到期删除）", "系統（保存期限到期刪除）", "System (retention)"},
	"cli:demo":         {"演示数据", "演示數據", "Demo data"},
	"cli":              {"管理员（命令行）", "管理員（命令行）", "Administrator (command line)"},
}

var (
	systemActor = Text{"系统", "系統", "System"}
	mailActor   = Text{"电子邮件收件", "電子郵件收件", "E-mail intake"}
)

// ActorLabel names who wrote a history line, in words: a staff member
// ("user:NAME") by display name, the reporter, the office speaking to the
// reporter, the system's jobs and the command line by what they are.
func ActorLabel(actor, lang string, n Names) string {
	if name, ok := strings.CutPrefix(actor, "user:"); ok {
		return n.staff(name)
	}
	if t, ok := actorLabels[actor]; ok {
		return t.In(lang)
	}
	switch {
	case strings.HasPrefix(actor, "system:"), actor == "system":
		return systemActor.In(lang)
	case strings.HasPrefix(actor, "mail:"), strings.HasPrefix(actor, "imap"), strings.HasPrefix(actor, "smtp"):
		return mailActor.In(lang)
	case strings.HasPrefix(actor, "cli:"):
		return actorLabels["cli"].In(lang)
	}
	return actor
}

// Phrases of the history lines, with fmt verbs.
var phrases = map[string]Text{
	"channel":      {"渠道：%s", "渠道：%s", "by %s"},
	"accept_by":    {"应于 %s 前决定是否受理", "應於 %s 前決定是否受理", "acceptance due by %s"},
	"finish_by":    {"办理期限至 %s", "辦理期限至 %s", "to be settled by %s"},
	"reason":       {"理由：%s", "理由：%s", "reason: %s"},
	"transfer":     {"转至%s", "轉至%s", "to %s"},
	"return_by":    {"接收单位可在 %s 前退回", "接收單位可在 %s 前退回", "the unit may send it back until %s"},
	"to_office":    {"从%s转至%s", "從%s轉至%s", "from %s to %s"},
	"object_by":    {"接收方可在 %s 前提出异议", "接收方可在 %s 前提出異議", "the receiving office may object until %s"},
	"objected":     {"退回%s", "退回%s", "back to %s"},
	"supervise":    {"应于 %s 前报告办理情况", "應於 %s 前報告辦理情況", "to report by %s"},
	"instructions": {"督办意见：%s", "督辦意見：%s", "instructions: %s"},
	"up":           {"（上交）", "（上交）", "(up)"},
	"down":         {"（下转）", "（下轉）", "(down)"},
	"across":       {"（平转）", "（平轉）", "(across)"},
	"assign":       {"交%s办理", "交%s辦理", "to %s"},
	"extend":       {"延长 %d 日", "延長 %d 日", "by %d days"},
	"finding":      {"结论：%s", "結論：%s", "finding: %s"},
	"people":       {"涉及人员：%s", "涉及人員：%s", "people: %s"},
	"revision":     {"（修改结论）", "（修改結論）", "(revised)"},
	"review_by":    {"可在 %s 前申请复查", "可在 %s 前申請複查", "review may be asked until %s"},
	"into":         {"并入 #%d", "併入 #%d", "into #%d"},
	"from_case":    {"#%d 并入本案", "#%d 併入本案", "#%d merged into this case"},
	"round1":       {"申请复查", "申請複查", "asks for a review (复查)"},
	"round2":       {"申请复核", "申請複核", "asks for a re-examination (复核)"},
	"answer_by":    {"应于 %s 前答复", "應於 %s 前答覆", "to be answered by %s"},
	"rating":       {"评价：%s", "評價：%s", "rating: %s"},
	"decision":     {"对%s作出问责决定 #%d：%s", "對%s作出問責決定 #%d：%s", "decision #%d about %s: %s"},
	"approved":     {"问责决定 #%d 已批准", "問責決定 #%d 已批准", "decision #%d approved"},
	"appeal":       {"对问责决定 #%d 申诉，应于 %s 前决定", "對問責決定 #%d 申訴，應於 %s 前決定", "appeal against decision #%d, to be decided by %s"},
	"outcome":      {"申诉决定：%s", "申訴決定：%s", "appeal decided: %s"},
	"rule_case":    {"两次投诉规则立案 #%d（#%d、#%d，%s）", "兩次投訴規則立案 #%d（#%d、#%d，%s）", "rule case #%d (#%d and #%d, %s)"},
	"rule_basis":   {"两次投诉规则案件 #%d 的依据（#%d、#%d，%s）", "兩次投訴規則案件 #%d 的依據（#%d、#%d，%s）", "basis of rule case #%d (#%d and #%d, %s)"},
	"inspection":   {"明察暗访 #%d 已结束", "明察暗訪 #%d 已結束", "inspection #%d is done"},
	"closed_at":    {"结案于 %s", "結案於 %s", "closed on %s"},
	"state":        {"%s → %s", "%s → %s", "%s → %s"},
	"told":         {"告知举报人：%s", "告知舉報人：%s", "told the reporter: %s"},
	"upheld":       {"维持原决定", "維持原決定", "upheld"},
	"varied":       {"变更处理", "變更處理", "varied"},
	"revoked":      {"撤销原决定", "撤銷原決定", "revoked"},
	"list_sep":     {"、", "、", ", "},
	"clause_sep":   {"；", "；", "; "},
	"sanction_sep": {"、", "、", ", "},
}

func phrase(key, lang string, args ...any) string {
	return fmt.Sprintf(phrases[key].In(lang), args...)
}

// lineData is the union of what history lines store.
type lineData struct {
	ZH, EN       string
	Channel      string
	AcceptBy     string `json:"accept_by"`
	FinishBy     string `json:"finish_by"`
	ReturnBy     string `json:"return_by"`
	ReviewBy     string `json:"review_request_by"`
	AnswerBy     string `json:"answer_by"`
	Reason       string
	Unit         string
	UnitName     string `json:"unit_name"`
	User         string
	Days         int
	Finding      string
	PersonIDs    []int64 `json:"person_ids"`
	PersonID     int64   `json:"person_id"`
	Revision     bool
	Body         string
	Into         int64
	From         string
	To           string
	Round        int
	Rating       string
	DecisionID   int64    `json:"decision_id"`
	Sanctions    []string `json:"sanctions"`
	DecideBy     string   `json:"decide_by"`
	Outcome      string
	RuleCaseID   int64  `json:"rule_case_id"`
	FirstCaseID  int64  `json:"first_case_id"`
	SecondCaseID int64  `json:"second_case_id"`
	InspectionID int64  `json:"inspection_id"`
	ClosedAt     string `json:"closed_at"`
	// Between offices (transfer with an office, object) and supervision.
	Office         string
	OfficeName     string `json:"office_name"`
	FromOffice     string `json:"from_office"`
	FromOfficeName string `json:"from_office_name"`
	Direction      string
	ObjectBy       string `json:"object_by"`
	Deadline       string
	Instructions   string
}

// Words of the reporter's line: the Simplified text, or the English one.
func (w Words) in(lang string) string {
	if lang == LangEn && w.EN != "" {
		return w.EN
	}
	return w.ZH
}

// Describe says in words what a history line records, in the staff's
// wording: the deadline it set, the unit or person it names, the reason,
// the state it moved the case to. A line the reporter reads (public) is what
// they were told. zh-TW gets the Simplified words of the reporter's line
// (and free text such as reasons) as stored: the caller converts them.
func Describe(a Action, raw json.RawMessage, public bool, lang string, n Names) string {
	if len(raw) == 0 {
		return ""
	}
	var d lineData
	var typeErr *json.UnmarshalTypeError
	if err := json.Unmarshal(raw, &d); err != nil && !errors.As(err, &typeErr) {
		return ""
	}
	// "from" is a state on state-changing lines, a case id on merged_in.
	var fromCase int64
	if a == MergedIn {
		var m struct{ From int64 }
		json.Unmarshal(raw, &m)
		fromCase = m.From
	}
	if public && (d.ZH != "" || d.EN != "") {
		return phrase("told", lang, Words{ZH: d.ZH, EN: d.EN}.in(lang))
	}
	var parts []string
	add := func(s string) {
		if s != "" {
			parts = append(parts, s)
		}
	}
	switch a {
	case Register:
		if d.Channel != "" {
			add(phrase("channel", lang, Channel(d.Channel).Label(lang)))
		}
		if d.AcceptBy != "" {
			add(phrase("accept_by", lang, d.AcceptBy))
		}
	case Accept:
		if d.FinishBy != "" {
			add(phrase("finish_by", lang, d.FinishBy))
		}
	case Transfer, Object:
		if d.Office != "" {
			from, to := d.FromOfficeName, d.OfficeName
			if from == "" {
				from = d.FromOffice
			}
			if to == "" {
				to = d.Office
			}
			if a == Object {
				add(phrase("objected", lang, to))
				break
			}
			line := phrase("to_office", lang, from, to)
			if _, ok := phrases[d.Direction]; ok && d.Direction != "" {
				line += phrase(d.Direction, lang)
			}
			add(line)
			if d.ObjectBy != "" {
				add(phrase("object_by", lang, d.ObjectBy))
			}
			break
		}
		name := d.UnitName
		if name == "" {
			name = d.Unit
		}
		add(phrase("transfer", lang, name))
		if d.ReturnBy != "" {
			add(phrase("return_by", lang, d.ReturnBy))
		}
	case Assign:
		add(phrase("assign", lang, n.staff(d.User)))
	case Extend:
		add(phrase("extend", lang, d.Days))
		if d.FinishBy != "" {
			add(phrase("finish_by", lang, d.FinishBy))
		}
	case Conclude:
		add(phrase("finding", lang, Finding(d.Finding).Label(lang)))
		if len(d.PersonIDs) > 0 {
			names := make([]string, len(d.PersonIDs))
			for i, id := range d.PersonIDs {
				names[i] = n.person(id)
			}
			add(phrase("people", lang, strings.Join(names, phrase("list_sep", lang))))
		}
		if d.Revision {
			add(phrase("revision", lang))
		}
	case Reply:
		add(d.Body)
		if d.ReviewBy != "" {
			add(phrase("review_by", lang, d.ReviewBy))
		}
	case Note, Answer:
		add(d.Body)
	case Supervise:
		if d.Deadline != "" {
			add(phrase("supervise", lang, d.Deadline))
		}
		if d.Instructions != "" {
			add(phrase("instructions", lang, d.Instructions))
		}
	case Merge:
		add(phrase("into", lang, d.Into))
	case MergedIn:
		add(phrase("from_case", lang, fromCase))
	case ReviewRequest:
		if d.Round == 2 {
			add(phrase("round2", lang))
		} else if d.Round == 1 {
			add(phrase("round1", lang))
		}
		if d.AnswerBy != "" {
			add(phrase("answer_by", lang, d.AnswerBy))
		}
	case Rate:
		add(phrase("rating", lang, Rating(d.Rating).Label(lang)))
	case Decide:
		ss := make([]string, len(d.Sanctions))
		for i, c := range d.Sanctions {
			ss[i] = n.sanction(c)
		}
		list := strings.Join(ss, phrase("sanction_sep", lang))
		if lang == LangEn {
			add(phrase("decision", lang, d.DecisionID, n.person(d.PersonID), list))
		} else {
			add(phrase("decision", lang, n.person(d.PersonID), d.DecisionID, list))
		}
	case DecisionApproved:
		add(phrase("approved", lang, d.DecisionID))
	case Appeal:
		add(phrase("appeal", lang, d.DecisionID, d.DecideBy))
	case AppealOutcome:
		if _, ok := phrases[d.Outcome]; ok {
			add(phrase("outcome", lang, phrase(d.Outcome, lang)))
		}
	case RuleCaseOpened:
		add(phrase("rule_case", lang, d.RuleCaseID, d.FirstCaseID, d.SecondCaseID, n.person(d.PersonID)))
	case RuleBasisWithdrawn, RuleBasisRestored:
		add(phrase("rule_basis", lang, d.RuleCaseID, d.FirstCaseID, d.SecondCaseID, n.person(d.PersonID)))
	case CovertLifted:
		add(phrase("inspection", lang, d.InspectionID))
	case IdentityErased, AttachmentsRemoved, MessagesRemoved:
		if len(d.ClosedAt) >= 10 {
			add(phrase("closed_at", lang, d.ClosedAt[:10]))
		}
	}
	if d.Reason != "" && a != ReviewRequest {
		add(phrase("reason", lang, d.Reason))
	}
	if d.From != "" && d.To != "" && a != MergedIn {
		add(phrase("state", lang, State(d.From).Label(lang), State(d.To).Label(lang)))
	}
	if len(parts) == 0 && (d.ZH != "" || d.EN != "") {
		// Lines that keep only words (older data, the demo's).
		return Words{ZH: d.ZH, EN: d.EN}.in(lang)
	}
	return strings.Join(parts, phrase("clause_sep", lang))
}
