package docket

// The languages labels come in (the pages' languages).
const (
	LangZhCN = "zh-CN"
	LangZhTW = "zh-TW"
	LangEn   = "en"
)

// Text is one wording in the three languages.
type Text struct{ CN, TW, EN string }

// In returns the wording in lang (zh-CN for an unknown language).
func (t Text) In(lang string) string {
	switch lang {
	case LangZhTW:
		return t.TW
	case LangEn:
		return t.EN
	}
	return t.CN
}

// Staff's names of the states: one wording everywhere staff read a state
// (pages, errors, exports, reports).
var stateLabels = map[State]Text{
	Registered:    {"待受理", "待受理", "Registered"},
	Accepted:      {"已受理", "已受理", "Accepted"},
	Refused:       {"不予受理", "不予受理", "Refused"},
	Transferred:   {"已转办", "已轉辦", "Transferred"},
	Investigating: {"调查中", "調查中", "Investigating"},
	Concluded:     {"已查结待答复", "已查結待答覆", "Concluded, reply due"},
	Closed:        {"已结案", "已結案", "Closed"},
	Review:        {"复查复核中", "複查複核中", "Under review"},
	Merged:        {"已合并", "已合併", "Merged"},
}

// The public's names of the states: the reporter's tracking page, the
// portal and the public statistics.
var publicStateLabels = map[State]Text{
	Registered:    {"已登记，等待审查是否受理", "已登記，等待審查是否受理", "Registered; the office is deciding whether to accept it"},
	Accepted:      {"已受理", "已受理", "Accepted"},
	Refused:       {"不予受理", "不予受理", "Not accepted"},
	Transferred:   {"已转交有权处理的机关", "已轉交有權處理的機關", "Passed to the authority responsible"},
	Investigating: {"正在调查核实", "正在調查核實", "Under investigation"},
	Concluded:     {"调查已结束", "調查已結束", "Investigation concluded"},
	Closed:        {"已办结", "已辦結", "Closed"},
	Review:        {"复查/复核中", "複查/複核中", "Under review at your request"},
	Merged:        {"已与同一事项的其他举报合并办理", "已與同一事項的其他舉報合併辦理", "Merged with another report on the same matter"},
}

var channelLabels = map[Channel]Text{
	Web:        {"网上举报", "網上舉報", "Online"},
	Hotline:    {"热线电话", "熱線電話", "Hotline"},
	Letter:     {"来信（意见箱）", "來信（意見箱）", "Letter (complaint box)"},
	Walkin:     {"来访", "來訪", "Walk-in"},
	Email:      {"电子邮件", "電子郵件", "E-mail"},
	Inspection: {"明察暗访", "明察暗訪", "Inspection"},
	Media:      {"媒体曝光", "媒體曝光", "Media"},
	Superior:   {"上级转办", "上級轉辦", "From a superior"},
	Rule:       {"两次投诉规则", "兩次投訴規則", "Two-complaints rule"},
}

var findingLabels = map[Finding]Text{
	Verified:       {"属实", "屬實", "Verified"},
	PartlyVerified: {"部分属实", "部分屬實", "Partly verified"},
	Unfounded:      {"不属实", "不屬實", "Unfounded"},
}

var actionLabels = map[Action]Text{
	Accept:             {"受理", "受理", "Accept"},
	Refuse:             {"不予受理", "不予受理", "Refuse"},
	Transfer:           {"转办", "轉辦", "Transfer"},
	Return:             {"退回", "退回", "Return"},
	Assign:             {"交办", "交辦", "Assign"},
	Extend:             {"延期", "延期", "Extend"},
	Conclude:           {"作出结论", "作出結論", "Conclude"},
	Reply:              {"书面答复", "書面答覆", "Reply"},
	Close:              {"结案", "結案", "Close"},
	Merge:              {"合并", "合併", "Merge"},
	Note:               {"内部备注", "內部備註", "Internal note"},
	Supervise:          {"督办", "督辦", "Supervise"},
	Answer:             {"答复督办", "答覆督辦", "Answer the supervision"},
	Object:             {"异议退回", "異議退回", "Object and send back"},
	Register:           {"登记", "登記", "Registered"},
	MergedIn:           {"并入", "併入", "Merged in"},
	ReviewRequest:      {"申请复查复核", "申請複查複核", "Review requested"},
	Rate:               {"评价", "評價", "Rated"},
	IdentityRevealed:   {"查看举报人身份", "查看舉報人身份", "Reporter's identity opened"},
	Decide:             {"问责决定", "問責決定", "Decision"},
	DecisionApproved:   {"批准问责决定", "批准問責決定", "Decision approved"},
	Appeal:             {"申诉", "申訴", "Appeal"},
	AppealOutcome:      {"申诉决定", "申訴決定", "Appeal decided"},
	RuleCaseOpened:     {"规则立案", "規則立案", "Rule case opened"},
	RuleBasisWithdrawn: {"立案依据撤回", "立案依據撤回", "Rule basis withdrawn"},
	RuleBasisRestored:  {"立案依据恢复", "立案依據恢復", "Rule basis restored"},
	IdentityErased:     {"举报人身份已按期删除", "舉報人身份已按期刪除", "Reporter's identity erased"},
	AttachmentsRemoved: {"附件已按期删除", "附件已按期刪除", "Attachments removed"},
	MessagesRemoved:    {"留言内容已按期删除", "留言內容已按期刪除", "Messages removed"},
	CovertLifted:       {"暗访结束，转入正常办理", "暗訪結束，轉入正常辦理", "Covert inspection done; case in the queue"},
	CallbackMade:       {"回访", "回訪", "Callback"},
}

var ratingLabels = map[Rating]Text{
	Satisfied:          {"满意", "滿意", "Satisfied"},
	BasicallySatisfied: {"基本满意", "基本滿意", "Mostly satisfied"},
	Dissatisfied:       {"不满意", "不滿意", "Not satisfied"},
}

var callbackLabels = map[CallbackResult]Text{
	CallbackSatisfied:          {"满意", "滿意", "Satisfied"},
	CallbackBasicallySatisfied: {"基本满意", "基本滿意", "Mostly satisfied"},
	CallbackDissatisfied:       {"不满意", "不滿意", "Not satisfied"},
	Unreachable:                {"无法联系", "無法聯繫", "Unreachable"},
}

var dueLabels = map[Due]Text{
	OnTime:  {"期限内", "期限內", "On time"},
	DueSoon: {"即将到期", "即將到期", "Due soon"},
	Overdue: {"已超期", "已超期", "Overdue"},
}

func label[K ~string](m map[K]Text, k K, lang string) string {
	if t, ok := m[k]; ok {
		return t.In(lang)
	}
	return string(k)
}

// Label is the staff's name of s in lang (the code itself when unknown).
func (s State) Label(lang string) string { return label(stateLabels, s, lang) }

// PublicLabel is the public's name of s in lang.
func (s State) PublicLabel(lang string) string { return label(publicStateLabels, s, lang) }

// Label is c's name in lang.
func (c Channel) Label(lang string) string { return label(channelLabels, c, lang) }

// Label is f's name in lang.
func (f Finding) Label(lang string) string { return label(findingLabels, f, lang) }

// Label is a's name in lang.
func (a Action) Label(lang string) string { return label(actionLabels, a, lang) }

// Label is r's name in lang.
func (r Rating) Label(lang string) string { return label(ratingLabels, r, lang) }

// Label is r's name in lang.
func (r CallbackResult) Label(lang string) string { return label(callbackLabels, r, lang) }

// Label is d's name in lang.
func (d Due) Label(lang string) string { return label(dueLabels, d, lang) }
