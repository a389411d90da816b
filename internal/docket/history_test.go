package docket

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestDescribe(t *testing.T) {
	names := Names{
		Staff:    func(u string) string { return map[string]string{"director": "王主任", "handler": "李明"}[u] },
		Person:   func(id int64) string { return map[int64]string{12: "张三", 13: "李四"}[id] },
		Sanction: func(c string) string { return map[string]string{"admonishing_talk": "诫勉谈话"}[c] },
	}
	cases := []struct {
		a      Action
		data   string
		public bool
		lang   string
		want   string
	}{
		{Accept, `{"finish_by":"2027-02-01","from":"registered","to":"accepted"}`, false, LangZhCN, "办理期限至 2027-02-01；待受理 → 已受理"},
		{Accept, `{"finish_by":"2027-02-01","from":"registered","to":"accepted"}`, false, LangEn, "to be settled by 2027-02-01; Registered → Accepted"},
		{Accept, `{"zh":"您的举报已受理，办理期限至 2027-02-01。","en":"Your report has been accepted."}`, true, LangZhCN, "告知举报人：您的举报已受理，办理期限至 2027-02-01。"},
		{Accept, `{"zh":"您的举报已受理。","en":"Your report has been accepted."}`, true, LangEn, "told the reporter: Your report has been accepted."},
		{Assign, `{"user":"handler","from":"accepted","to":"investigating"}`, false, LangZhCN, "交李明办理；已受理 → 调查中"},
		{Assign, `{"user":"nobody"}`, false, LangZhCN, "交nobody办理"},
		{Transfer, `{"unit":"MQ-MX","unit_name":"梅溪镇","reason":"属地办理","return_by":"2026-03-09"}`, false, LangZhTW, "轉至梅溪镇；接收單位可在 2026-03-09 前退回；理由：属地办理"},
		{Conclude, `{"finding":"verified","person_ids":[12,13,99]}`, false, LangZhCN, "结论：属实；涉及人员：张三、李四、#99"},
		{Conclude, `{"finding":"unfounded","person_ids":[],"revision":true}`, false, LangEn, "finding: Unfounded; (revised)"},
		{Extend, `{"days":30,"finish_by":"2026-06-01","reason":"涉及多个部门"}`, false, LangZhCN, "延长 30 日；办理期限至 2026-06-01；理由：涉及多个部门"},
		{MergedIn, `{"from":7}`, false, LangZhCN, "#7 并入本案"},
		{Merge, `{"into":7,"from":"registered","to":"merged"}`, false, LangZhCN, "并入 #7；待受理 → 已合并"},
		{Decide, `{"decision_id":3,"person_id":12,"situation":"P1.2","sanctions":["admonishing_talk","x"]}`, false, LangZhCN, "对张三作出问责决定 #3：诫勉谈话、x"},
		{Decide, `{"decision_id":3,"person_id":12,"sanctions":["admonishing_talk"]}`, false, LangEn, "decision #3 about 张三: 诫勉谈话"},
		{AppealOutcome, `{"appeal_id":1,"decision_id":3,"outcome":"revoked"}`, false, LangZhCN, "申诉决定：撤销原决定"},
		{Register, `{"zh":"已登记","en":"Registered","channel":"hotline","accept_by":"2026-03-17"}`, false, LangZhCN, "渠道：热线电话；应于 2026-03-17 前决定是否受理"},
		{Close, `{"zh":"已办结"}`, false, LangZhCN, "已办结"},
		{ReviewRequest, `{"round":1,"kind":"review","reason":"答复没有回应我的问题","answer_by":"2026-05-01"}`, false, LangZhCN, "申请复查；应于 2026-05-01 前答复"},
		{Rate, `{"rating":"basically_satisfied"}`, false, LangZhCN, "评价：基本满意"},
		{Note, `not json`, false, LangZhCN, ""},
	}
	for _, c := range cases {
		if got := Describe(c.a, json.RawMessage(c.data), c.public, c.lang, names); got != c.want {
			t.Errorf("%s %s (%s): got %q, want %q", c.a, c.data, c.lang, got, c.want)
		}
	}
}

func TestActorLabel(t *testing.T) {
	names := Names{Staff: func(u string) string { return map[string]string{"inspector": "陈督查"}[u] }}
	for _, c := range []struct{ actor, lang, want string }{
		{"user:inspector", LangZhCN, "陈督查"},
		{"user:clerk", LangZhCN, "clerk"},
		{"cli:demo", LangZhCN, "演示数据"},
		{"cli:demo", LangEn, "Demo data"},
		{"cli", LangZhTW, "管理員（命令行）"},
		{"cli:bench", LangZhCN, "管理员（命令行）"},
		{"system:rule", LangZhCN, "系统（两次投诉规则）"},
		{"system:other", LangEn, "System"},
		{"reporter", LangZhTW, "舉報人"},
		{"office", LangZhCN, "本办（告知举报人）"},
		{"mail:imap", LangZhCN, "电子邮件收件"},
	} {
		if got := ActorLabel(c.actor, c.lang, names); got != c.want {
			t.Errorf("%s in %s: %q, want %q", c.actor, c.lang, got, c.want)
		}
	}
}

// Every phrase is written in the three languages with the same verbs.
func TestPhrasesComplete(t *testing.T) {
	for k, p := range phrases {
		for _, s := range []string{p.CN, p.TW, p.EN} {
			if s == "" {
				t.Errorf("phrase %s is missing a language: %+v", k, p)
			}
		}
		if strings.Count(p.CN, "%") != strings.Count(p.EN, "%") || strings.Count(p.CN, "%") != strings.Count(p.TW, "%") {
			t.Errorf("phrase %s has different verbs: %+v", k, p)
		}
	}
	for _, t2 := range actorLabels {
		if t2.CN == "" || t2.TW == "" || t2.EN == "" {
			t.Errorf("actor label %+v is missing a language", t2)
		}
	}
}
