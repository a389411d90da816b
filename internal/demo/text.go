package demo

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"mashang/internal/civil"
)

// Words the report texts are built from.
var (
	surnames = []string{"陈", "林", "黄", "张", "李", "王", "吴", "刘", "蔡", "杨", "郑", "许", "谢", "郭", "洪", "邱", "曾", "廖", "赖", "徐", "周", "叶", "苏", "庄", "吕", "江", "何", "萧", "罗", "高", "潘", "简", "朱", "钟", "游", "彭", "詹", "胡", "施", "沈", "余", "卢", "梁", "赵", "颜", "柯", "翁", "魏", "孙", "戴"}
	given    = []string{"建", "国", "华", "明", "伟", "芳", "秀", "英", "丽", "强", "军", "平", "辉", "玲", "燕", "峰", "鑫", "斌", "杰", "婷", "志", "文", "海", "金", "春", "兰", "德", "福", "荣", "清", "雄", "梅", "晓", "宏", "俊", "勇", "霞", "云", "敏", "涛"}
	villages = []string{"溪口", "坂中", "洋头", "后垅", "上莲", "下祝", "塔庄", "樟洋", "石鼓", "白岩", "东桥", "六都", "云龙", "桔林", "黄楮林", "梅埔"}
	matters  = []string{"不动产登记", "社保卡补办", "营业执照变更", "低保申请", "医保报销", "农村建房审批", "林权证办理", "户口迁移", "残疾证办理", "养老保险转移", "林木采伐许可", "宅基地审批", "食品经营许可", "出生医学证明", "退役军人优待证"}
	places   = []string{"村道", "溪边护栏", "老旧危房", "农贸市场", "学校门口路口", "渡口", "自来水管网", "山体边坡"}
	projects = []string{"乡村振兴示范", "污水管网改造", "安置房建设", "道路拓宽", "农村饮水安全", "老旧小区改造"}
	windows  = []string{"一", "二", "三", "五", "六", "八"}

	openings = []string{
		"我是{town}{village}村村民，", "本人于{month}月{day}日到{unit}办理{matter}，", "反映{unit}工作人员问题：",
		"{town}群众反映：", "我们是{village}村的几户村民，", "", "", "{month}月{day}日上午，我到{unit}窗口咨询{matter}，",
	}
	bodies = map[string][]string{
		"P1": {
			"窗口工作人员{person}对职责范围内的事情推诿扯皮，让我来回跑了{n}趟还没办成。",
			"办理{matter}时没有一次性告知所需材料，前后让我补了{n}次材料，耽误了审批。",
			"工作人员态度冷漠，敷衍了事，说这事不归他们管，让我去找别的部门。",
			"交办的信访件已经{n}个星期了没有任何回音，打电话也没人接。",
			"超过规定时限{n}个工作日仍未办结，问了几次都说在走流程。",
			"督办件转过去以后一直拖着，{unit}互相推诿，谁都不愿意牵头。",
		},
		"P2": {
			"上班时间工作人员在办公室玩手机游戏、看视频，群众排长队没人理。",
			"星期{weekday}上午窗口无人值守，工作人员无故不到岗，电话也打不通。",
			"工作时间在外面喝酒，下午三点多才回到单位。",
			"说话态度恶劣，对来办事的老人大声呵斥，影响很坏。",
			"工作人员{person}经常迟到早退，办事群众只能在门口等。",
		},
		"P3": {
			"办事人员吃拿卡要，暗示要给好处费才给办理{matter}。",
			"已经取消的审批事项仍然变相审批，要求另外开具{n}份证明。",
			"乱收费，收取{n}00 元“材料费”却不开发票。",
			"一个月内到我们厂里乱检查{n}次，每次都要吃饭，影响正常经营。",
			"{person}未经批准在外兼职，利用职务便利为亲属承揽工程。",
			"滥用职权，对符合条件的{matter}申请故意刁难、不予受理。",
		},
		"U1": {
			"上级部署的{project}项目推进缓慢，{n}个月了还没动工。",
			"整改问题长期不落实，群众反映多次没有下文。",
			"重大工作部署传达迟缓、措施不力，{project}迟迟没有落实。",
		},
		"U2": {
			"{village}村的{place}存在安全隐患，多次反映无人处理。",
			"网上舆情发酵多日，{unit}迟迟不回应、不处置。",
			"不按规定程序办事，{matter}审批随意，群众意见很大。",
			"群众聚集反映问题，{unit}没有及时化解，矛盾越积越深。",
		},
		"U3": {
			"政务公开栏的信息{n}个月没有更新，办事指南还是旧的。",
			"财务制度执行不严，年底突击乱发补贴。",
			"便民服务中心效能建设流于形式，叫号机长期坏了没人修。",
			"领导班子不团结，工作长期打不开局面，群众办事找不到人。",
		},
	}
	details = []string{
		"当时是{w}号窗口，大约{hour}点左右。", "同去的还有{village}村的几位村民，可以作证。", "我有当时的录音和照片。",
		"这种情况已经不是第一次了。", "", "", "附件里有办事回执。",
	}
	requests = []string{"请领导重视，尽快处理。", "希望有关部门调查核实，给群众一个说法。", "恳请整肃办督促解决。", "请严肃查处为官不为行为。", ""}
)

// words fills a template's {placeholders}.
type words struct {
	r      *rand.Rand
	town   string
	unit   string
	person string
	// received is the day the report came in: a day the text mentions
	// ({month}月{day}日, the visit it tells of) is one to three weeks before.
	received civil.Date
}

func (w *words) pick(xs []string) string { return xs[w.r.IntN(len(xs))] }

func (w *words) fill(t string) string {
	if !strings.Contains(t, "{") {
		return t
	}
	rep := func(k, v string) { t = strings.ReplaceAll(t, "{"+k+"}", v) }
	rep("town", w.town)
	rep("unit", w.unit)
	rep("person", w.person)
	rep("village", w.pick(villages))
	rep("matter", w.pick(matters))
	rep("place", w.pick(places))
	rep("project", w.pick(projects))
	rep("w", w.pick(windows))
	rep("weekday", w.pick([]string{"一", "二", "三", "四", "五"}))
	if strings.Contains(t, "{month}") || strings.Contains(t, "{day}") {
		d := w.visitDay()
		rep("month", fmt.Sprint(int(d.Month)))
		rep("day", fmt.Sprint(d.Day))
	}
	rep("hour", fmt.Sprint(8+w.r.IntN(9)))
	rep("n", fmt.Sprint(2+w.r.IntN(7)))
	return t
}

// visitDay is a day before the report was received (1 to 21 days), on
// which the reporter says they went to the unit; without a received day, a
// day early in the year.
func (w *words) visitDay() civil.Date {
	if w.received.IsZero() {
		return civil.Date{Year: 2026, Month: time.Month(1 + w.r.IntN(2)), Day: 1 + w.r.IntN(28)}
	}
	return w.received.AddDays(-(1 + w.r.IntN(21)))
}

// content writes one report about a situation of category cat.
func (w *words) content(cat, example string) string {
	var b strings.Builder
	b.WriteString(w.fill(w.pick(openings)))
	bs := bodies[cat]
	if len(bs) == 0 {
		bs = bodies["P1"]
	}
	b.WriteString(w.fill(w.pick(bs)))
	if w.r.IntN(3) == 0 && example != "" {
		b.WriteString(example)
	}
	if w.r.IntN(2) == 0 {
		b.WriteString(w.fill(w.pick(bs)))
	}
	b.WriteString(w.fill(w.pick(details)))
	b.WriteString(w.pick(requests))
	return b.String()
}

// name makes a plausible Chinese name.
func name(r *rand.Rand) string {
	n := surnames[r.IntN(len(surnames))] + given[r.IntN(len(given))]
	if r.IntN(4) != 0 {
		n += given[r.IntN(len(given))]
	}
	return n
}

func phone(r *rand.Rand) string {
	return fmt.Sprintf("1%d%d%08d", 3+r.IntN(7), r.IntN(10), r.IntN(100000000))
}

var (
	toReporter = []string{
		"您好，请补充办理{matter}的具体时间和窗口号，以便核实。", "您好，您反映的问题已转{unit}核查，请耐心等待。",
		"请问您是否保留了当时的收费凭证？", "您好，请提供涉及人员的大致特征或工号。",
	}
	fromReporter = []string{
		"补充：当时是{w}号窗口，{hour}点左右，工作人员姓{surname}。", "收费凭证没有给，我手机里有转账记录。",
		"已经过去很久了，请问办理进度如何？", "谢谢，我等你们的消息。", "今天又去了一趟，还是没办成。",
	}
	replyVerified = []string{
		"经调查核实，{unit}在办理{matter}过程中存在您反映的问题，已责成该单位立即整改，并对相关责任人作出处理。感谢您对整肃“为官不为”工作的监督。",
		"经核查，您反映的情况基本属实。{unit}已向您当面致歉，并在{n}个工作日内办结了相关事项。",
	}
	replyUnfounded = []string{
		"经调查，您反映的问题经核查不属实。{unit}办理{matter}符合规定程序和时限。如有新的线索，欢迎继续反映。",
		"经核实，相关工作人员当日因公外出，已安排他人值守，未发现为官不为情形。",
	}
)

func (w *words) message(templates []string) string {
	t := w.pick(templates)
	t = strings.ReplaceAll(t, "{surname}", w.pick(surnames))
	return w.fill(t)
}
