package notify

import (
	"fmt"
	"html"
	"sort"
	"strings"
)

// The words of every message, per kind and language. A message is built
// from placeholders in braces ({receipt}, {case}, {reason}, {unit},
// {deadline}, {finish_by}, {review_by}, {decide_by}, {link}, {ref},
// {office}); a placeholder whose value is missing is left out with the
// line that holds it. Reporters' words hold the receipt code and the state,
// never the case's text, staff names or the key.

// Langs are the languages messages are written in.
var Langs = []string{"zh-CN", "zh-TW", "en"}

// words is one message in one language.
type words struct {
	Subject string
	Body    string // plain text, one paragraph per line
	SMS     string // at most MaxSMSRunes after filling in
}

// MaxSMSRunes is the length of one SMS in Chinese characters: a longer text
// is split (and billed) in two by every gateway.
const MaxSMSRunes = 70

type texts struct {
	m map[Kind]map[string]words
}

func loadTexts() (*texts, error) {
	t := &texts{m: messageWords}
	for _, k := range Kinds {
		for _, l := range Langs {
			if w, ok := t.m[k][l]; !ok || w.Subject == "" || w.Body == "" || (k != Digest && w.SMS == "") {
				return nil, fmt.Errorf("notify: the words of %s in %s are missing", k, l)
			}
		}
	}
	return t, nil
}

// lang picks one of Langs for what a person asked for ("" or unknown: zh-CN).
func lang(l string) string {
	switch strings.ToLower(l) {
	case "en", "en-us", "en-gb":
		return "en"
	case "zh-tw", "zh-hk", "zh-hant":
		return "zh-TW"
	}
	return "zh-CN"
}

// message is a rendered notification.
type message struct {
	Subject, Text, HTML, SMS, Lang string
}

// render fills kind's words in l with vals.
func (t *texts) render(kind Kind, l string, vals map[string]string) message {
	l = lang(l)
	w := t.m[kind][l]
	fill := func(s string) string { return fillIn(s, vals) }
	m := message{Subject: fill(w.Subject), SMS: fill(w.SMS), Lang: l}
	var lines []string
	for _, line := range strings.Split(w.Body, "\n") {
		if f := fill(line); f != "" || line == "" {
			lines = append(lines, f)
		}
	}
	m.Text = strings.Join(lines, "\n") + "\n"
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html><html lang="` + l + `"><head><meta charset="utf-8"><title>` + html.EscapeString(m.Subject) + `</title></head>` +
		`<body style="font-family:sans-serif;font-size:16px;line-height:1.6;color:#1a1a1a;max-width:40em">`)
	for _, line := range lines {
		if line == "" {
			continue
		}
		esc := html.EscapeString(line)
		if link := vals["link"]; link != "" && strings.Contains(line, link) {
			esc = strings.Replace(esc, html.EscapeString(link), `<a href="`+html.EscapeString(link)+`">`+html.EscapeString(link)+`</a>`, 1)
		}
		b.WriteString("<p>" + esc + "</p>")
	}
	b.WriteString("</body></html>")
	m.HTML = b.String()
	return m
}

// fillIn replaces the placeholders of s; when one has no value, s is "".
func fillIn(s string, vals map[string]string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			b.WriteString(s)
			return b.String()
		}
		v, ok := vals[s[i+1:i+j]]
		if !ok || v == "" {
			return ""
		}
		b.WriteString(s[:i])
		b.WriteString(v)
		s = s[i+j+1:]
	}
}

// placeholders lists the placeholders s uses (for the tests).
func placeholders(s string) []string {
	var out []string
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			break
		}
		out = append(out, s[i+1:i+j])
		s = s[i+j+1:]
	}
	sort.Strings(out)
	return out
}

var messageWords = map[Kind]map[string]words{
	Assigned: {
		"zh-CN": {"【马上办】案件 {case} 已交由您办理", "案件 {case} 已交由您办理。\n请登录查看：{link}\n", "【马上办】案件{case}已交由您办理，请登录系统查看。"},
		"zh-TW": {"【馬上辦】案件 {case} 已交由您辦理", "案件 {case} 已交由您辦理。\n請登入查看：{link}\n", "【馬上辦】案件{case}已交由您辦理，請登入系統查看。"},
		"en":    {"[mashang] Case {case} is assigned to you", "Case {case} is assigned to you.\nSign in to see it: {link}\n", "[mashang] Case {case} is assigned to you; sign in to see it."},
	},
	UnitTransfer: {
		"zh-CN": {"【马上办】案件 {case} 已转交贵单位办理", "案件 {case} 已转交 {unit} 办理。\n请登录查看：{link}\n", "【马上办】案件{case}已转交贵单位办理，请登录系统查看。"},
		"zh-TW": {"【馬上辦】案件 {case} 已轉交貴單位辦理", "案件 {case} 已轉交 {unit} 辦理。\n請登入查看：{link}\n", "【馬上辦】案件{case}已轉交貴單位辦理，請登入系統查看。"},
		"en":    {"[mashang] Case {case} is transferred to your unit", "Case {case} is transferred to {unit}.\nSign in to see it: {link}\n", "[mashang] Case {case} is transferred to your unit."},
	},
	DueSoon: {
		"zh-CN": {"【马上办】案件 {case} 即将到期（{deadline}）", "案件 {case} 的办理期限 {deadline} 即将届满。\n请登录查看：{link}\n", "【马上办】案件{case}将于{deadline}到期，请及时办理。"},
		"zh-TW": {"【馬上辦】案件 {case} 即將到期（{deadline}）", "案件 {case} 的辦理期限 {deadline} 即將屆滿。\n請登入查看：{link}\n", "【馬上辦】案件{case}將於{deadline}到期，請及時辦理。"},
		"en":    {"[mashang] Case {case} is due on {deadline}", "The time limit of case {case} ends on {deadline}.\nSign in to see it: {link}\n", "[mashang] Case {case} is due on {deadline}."},
	},
	Overdue: {
		"zh-CN": {"【马上办】案件 {case} 已超期（期限 {deadline}）", "案件 {case} 已超过办理期限 {deadline}。\n请登录查看：{link}\n", "【马上办】案件{case}已超过期限{deadline}，请尽快办理。"},
		"zh-TW": {"【馬上辦】案件 {case} 已超期（期限 {deadline}）", "案件 {case} 已超過辦理期限 {deadline}。\n請登入查看：{link}\n", "【馬上辦】案件{case}已超過期限{deadline}，請盡快辦理。"},
		"en":    {"[mashang] Case {case} is overdue (due {deadline})", "Case {case} passed its time limit of {deadline}.\nSign in to see it: {link}\n", "[mashang] Case {case} is overdue (due {deadline})."},
	},
	Supervision: {
		"zh-CN": {"【马上办】案件 {case} 收到督办通知", "上级对案件 {case} 发出督办通知，要求在 {deadline} 前办结。\n请登录查看：{link}\n", "【马上办】案件{case}收到督办通知，限{deadline}前办结。"},
		"zh-TW": {"【馬上辦】案件 {case} 收到督辦通知", "上級對案件 {case} 發出督辦通知，要求在 {deadline} 前辦結。\n請登入查看：{link}\n", "【馬上辦】案件{case}收到督辦通知，限{deadline}前辦結。"},
		"en":    {"[mashang] Supervision notice on case {case}", "The office above sent a supervision notice on case {case}: to be finished by {deadline}.\nSign in to see it: {link}\n", "[mashang] Supervision notice on case {case}: finish by {deadline}."},
	},
	Approval: {
		"zh-CN": {"【马上办】有一项{what}等待您审批", "有一项{what}等待您审批。\n请登录查看：{link}\n", "【马上办】有一项{what}等待您审批，请登录系统。"},
		"zh-TW": {"【馬上辦】有一項{what}等待您審批", "有一項{what}等待您審批。\n請登入查看：{link}\n", "【馬上辦】有一項{what}等待您審批，請登入系統。"},
		"en":    {"[mashang] A {what} waits for your approval", "A {what} waits for your approval.\nSign in to see it: {link}\n", "[mashang] A {what} waits for your approval."},
	},
	AppealDue: {
		"zh-CN": {"【马上办】案件 {case} 有申诉待决定（{decide_by} 前）", "案件 {case} 的问责决定有申诉，应在 {decide_by} 前作出决定。\n请登录查看：{link}\n", "【马上办】案件{case}有申诉，应于{decide_by}前决定。"},
		"zh-TW": {"【馬上辦】案件 {case} 有申訴待決定（{decide_by} 前）", "案件 {case} 的問責決定有申訴，應在 {decide_by} 前作出決定。\n請登入查看：{link}\n", "【馬上辦】案件{case}有申訴，應於{decide_by}前決定。"},
		"en":    {"[mashang] An appeal on case {case} to decide by {decide_by}", "An appeal against a decision on case {case} is to be decided by {decide_by}.\nSign in to see it: {link}\n", "[mashang] Appeal on case {case}: decide by {decide_by}."},
	},
	Digest: {
		"zh-CN": {"【马上办】今日待办提醒（{count} 条）", "{items}\n请登录查看：{link}\n", ""},
		"zh-TW": {"【馬上辦】今日待辦提醒（{count} 條）", "{items}\n請登入查看：{link}\n", ""},
		"en":    {"[mashang] Today's notifications ({count})", "{items}\nSign in to see them: {link}\n", ""},
	},
	ReporterAccepted: {
		"zh-CN": {"【{office}】您的举报 {receipt} 已受理", "您的举报（受理编号 {receipt}）已受理，依法应在 {finish_by} 前办结。\n凭受理编号和查询密码可在 {link} 查询进展。\n此邮件由系统发出，请勿回复。", "【{office}】您的举报{receipt}已受理，可凭编号和密码查询进展。"},
		"zh-TW": {"【{office}】您的舉報 {receipt} 已受理", "您的舉報（受理編號 {receipt}）已受理，依法應在 {finish_by} 前辦結。\n憑受理編號和查詢密碼可在 {link} 查詢進展。\n此郵件由系統發出，請勿回覆。", "【{office}】您的舉報{receipt}已受理，可憑編號和密碼查詢進展。"},
		"en":    {"[{office}] Your report {receipt} is accepted", "Your report (receipt {receipt}) is accepted; by law it is to be dealt with by {finish_by}.\nWith the receipt and your key you can follow it at {link}.\nThis mail is sent by the system; please do not reply.", "[{office}] Report {receipt} accepted."},
	},
	ReporterRefused: {
		"zh-CN": {"【{office}】您的举报 {receipt} 不予受理", "您的举报（受理编号 {receipt}）不予受理。\n理由：{reason}\n如对本决定不服，可自收到告知之日起 30 日内请求复查。\n凭受理编号和查询密码可在 {link} 查看告知书。\n此邮件由系统发出，请勿回复。", "【{office}】您的举报{receipt}不予受理，理由及复查权利请凭编号查询。"},
		"zh-TW": {"【{office}】您的舉報 {receipt} 不予受理", "您的舉報（受理編號 {receipt}）不予受理。\n理由：{reason}\n如對本決定不服，可自收到告知之日起 30 日內請求複查。\n憑受理編號和查詢密碼可在 {link} 查看告知書。\n此郵件由系統發出，請勿回覆。", "【{office}】您的舉報{receipt}不予受理，理由及複查權利請憑編號查詢。"},
		"en":    {"[{office}] Your report {receipt} is not accepted", "Your report (receipt {receipt}) is not accepted.\nReason: {reason}\nIf you disagree, you may ask for a review (复查) within 30 days of this notice.\nWith the receipt and your key you can read the notice at {link}.\nThis mail is sent by the system; please do not reply.", "[{office}] Report {receipt} not accepted; see the reason online."},
	},
	ReporterTransferred: {
		"zh-CN": {"【{office}】您的举报 {receipt} 已转送办理", "您的举报（受理编号 {receipt}）已转送 {unit} 办理。\n凭受理编号和查询密码可在 {link} 查询进展。\n此邮件由系统发出，请勿回复。", "【{office}】您的举报{receipt}已转送有关单位办理。"},
		"zh-TW": {"【{office}】您的舉報 {receipt} 已轉送辦理", "您的舉報（受理編號 {receipt}）已轉送 {unit} 辦理。\n憑受理編號和查詢密碼可在 {link} 查詢進展。\n此郵件由系統發出，請勿回覆。", "【{office}】您的舉報{receipt}已轉送有關單位辦理。"},
		"en":    {"[{office}] Your report {receipt} is transferred", "Your report (receipt {receipt}) is transferred to {unit}.\nWith the receipt and your key you can follow it at {link}.\nThis mail is sent by the system; please do not reply.", "[{office}] Report {receipt} transferred."},
	},
	ReporterReplied: {
		"zh-CN": {"【{office}】您的举报 {receipt} 已答复", "本办已对您的举报（受理编号 {receipt}）作出书面答复。\n凭受理编号和查询密码可在 {link} 查看答复。\n如不满意，可在 {review_by} 前申请复查。\n此邮件由系统发出，请勿回复。", "【{office}】您的举报{receipt}已答复，请凭编号和密码查看。"},
		"zh-TW": {"【{office}】您的舉報 {receipt} 已答覆", "本辦已對您的舉報（受理編號 {receipt}）作出書面答覆。\n憑受理編號和查詢密碼可在 {link} 查看答覆。\n如不滿意，可在 {review_by} 前申請複查。\n此郵件由系統發出，請勿回覆。", "【{office}】您的舉報{receipt}已答覆，請憑編號和密碼查看。"},
		"en":    {"[{office}] Your report {receipt} has a reply", "The office has replied in writing to your report (receipt {receipt}).\nWith the receipt and your key you can read the reply at {link}.\nIf you are not satisfied, you may ask for a review until {review_by}.\nThis mail is sent by the system; please do not reply.", "[{office}] Report {receipt} has a reply; read it online."},
	},
	ReporterReviewAnswered: {
		"zh-CN": {"【{office}】您的举报 {receipt} 复查已答复", "本办已对您就举报（受理编号 {receipt}）提出的复查申请作出答复。\n凭受理编号和查询密码可在 {link} 查看答复。\n如不满意，可在 {review_by} 前申请复核。\n此邮件由系统发出，请勿回复。", "【{office}】您的举报{receipt}复查已答复，请凭编号和密码查看。"},
		"zh-TW": {"【{office}】您的舉報 {receipt} 複查已答覆", "本辦已對您就舉報（受理編號 {receipt}）提出的複查申請作出答覆。\n憑受理編號和查詢密碼可在 {link} 查看答覆。\n如不滿意，可在 {review_by} 前申請複核。\n此郵件由系統發出，請勿回覆。", "【{office}】您的舉報{receipt}複查已答覆，請憑編號和密碼查看。"},
		"en":    {"[{office}] The review of your report {receipt} is answered", "The office has answered your request for a review of report {receipt}.\nWith the receipt and your key you can read the answer at {link}.\nIf you are still not satisfied, you may ask for a second review until {review_by}.\nThis mail is sent by the system; please do not reply.", "[{office}] Review of report {receipt} answered; read it online."},
	},
}
