package catalog

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/longbridgeapp/opencc"
)

// Localizer turns Simplified Chinese into Traditional Chinese (Taiwan): the
// characters and their Taiwan variants by OpenCC ("s2tw"), then the office's
// glossary (Glossary). OpenCC's Taiwan phrase table ("s2twp") is not used:
// it speaks of software, turning a service counter (窗口) into a program
// window (視窗), a unit's code (代码) into program code (程式碼) and
// publishing (发布) into a software release (釋出). Building a Localizer
// loads OpenCC's dictionaries and is slow: make one at start-up and pass it
// around. It is safe for concurrent use; conversions are remembered.
type Localizer struct {
	mu       sync.Mutex
	cc       *opencc.OpenCC
	glossary *strings.Replacer
	cache    map[string]string
}

// Term is one entry of the glossary: an office term in Simplified Chinese
// and the word a reader in Taiwan expects.
type Term struct{ Zh, ZhTW string }

// Glossary is the reviewed list of office terms whose Taiwan form is not
// the plain character conversion, or whose conversion must never change
// (those that OpenCC's phrase table gets wrong for an office).
func Glossary() []Term {
	return []Term{
		// An office's counter and codes, never software.
		{"窗口", "窗口"},
		{"代码", "代碼"},
		{"网上", "網上"},
		{"程序", "程序"},
		{"项目", "項目"},
		// Characters that the plain conversion takes in the wrong sense.
		{"乱发", "亂發"},
		{"发布", "發布"},
		{"公布", "公布"},
		// Words a reader in Taiwan uses for the same thing.
		{"打印", "列印"},
		{"登录", "登入"},
		{"用户名", "帳號"},
		{"账号", "帳號"},
		{"账户", "帳戶"},
		{"默认", "預設"},
		{"设置", "設定"},
		{"个人信息", "個人資料"},
		{"联系", "聯絡"},
		{"录像", "錄影"},
		{"视频", "影片"},
		{"导入", "匯入"},
		{"导出", "匯出"},
		{"搜索", "搜尋"},
		{"菜单", "選單"},
		{"粘贴", "貼上"},
		{"数据库", "資料庫"},
		{"数据", "資料"},
		{"服务器", "伺服器"},
		{"保存", "儲存"},
		{"信息", "資訊"},
		{"字符", "字元"},
		{"添加", "新增"},
		{"打开", "開啟"},
		{"运行", "執行"},
		{"密钥", "金鑰"},
		// Taiwan's quotation marks.
		{"“", "「"},
		{"”", "」"},
	}
}

// NewLocalizer builds the converter: OpenCC's s2tw and the glossary.
func NewLocalizer() (*Localizer, error) {
	cc, err := opencc.New("s2tw")
	if err != nil {
		return nil, fmt.Errorf("catalog: build OpenCC s2tw converter: %w", err)
	}
	// The glossary replaces the character conversion of each term, longest
	// first so that a longer term wins over one it contains.
	terms := Glossary()
	sort.SliceStable(terms, func(i, j int) bool { return len(terms[i].Zh) > len(terms[j].Zh) })
	pairs := make([]string, 0, 2*len(terms))
	for _, t := range terms {
		conv, err := cc.Convert(t.Zh)
		if err != nil {
			return nil, fmt.Errorf("catalog: convert glossary term %s: %w", t.Zh, err)
		}
		pairs = append(pairs, conv, t.ZhTW)
	}
	return &Localizer{cc: cc, glossary: strings.NewReplacer(pairs...), cache: map[string]string{}}, nil
}

// Traditional converts s to Traditional Chinese (Taiwan).
func (l *Localizer) Traditional(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if t, ok := l.cache[s]; ok {
		return t, nil
	}
	t, err := l.cc.Convert(s)
	if err != nil {
		return "", fmt.Errorf("catalog: convert to Traditional: %w", err)
	}
	t = l.glossary.Replace(t)
	if len(l.cache) < 100000 {
		l.cache[s] = t
	}
	return t, nil
}

// Fill sets t.ZhTW from t.Zh unless the data already gives a Traditional form.
func (l *Localizer) Fill(t Text) (Text, error) {
	if t.ZhTW != "" {
		return t, nil
	}
	tw, err := l.Traditional(t.Zh)
	if err != nil {
		return t, err
	}
	t.ZhTW = tw
	return t, nil
}

// Localize returns a copy of c with the Traditional form of every text
// (names, category names, examples, sanction and group names, source)
// computed once, so that Name("zh-TW") and View("zh-TW", …) need no
// conversion per request.
func (l *Localizer) Localize(c *Catalog) (*Catalog, error) {
	out := *c
	var err error
	fill := func(t *Text) {
		if err == nil {
			*t, err = l.Fill(*t)
		}
	}
	fill(&out.Source)
	out.Situations = append([]Situation(nil), c.Situations...)
	for i := range out.Situations {
		fill(&out.Situations[i].Names)
		fill(&out.Situations[i].CategoryName)
		fill(&out.Situations[i].Example)
	}
	out.Sanctions = append([]Sanction(nil), c.Sanctions...)
	for i := range out.Sanctions {
		fill(&out.Sanctions[i].Names)
	}
	out.Groups = append([]SanctionGroup(nil), c.Groups...)
	for i := range out.Groups {
		fill(&out.Groups[i].Names)
	}
	if err != nil {
		return nil, fmt.Errorf("catalog: localize %s: %w", c.Version, err)
	}
	return &out, nil
}

// LocalizeRuleSet returns a copy of rs with Traditional forms of its name,
// source and notes.
func (l *Localizer) LocalizeRuleSet(rs *RuleSet) (*RuleSet, error) {
	out := *rs
	var err error
	if out.Name, err = l.Fill(rs.Name); err != nil {
		return nil, err
	}
	if out.Source, err = l.Fill(rs.Source); err != nil {
		return nil, err
	}
	out.Rules = make(map[string]Rule, len(rs.Rules))
	for code, r := range rs.Rules {
		if r.Note != nil {
			n, err := l.Fill(*r.Note)
			if err != nil {
				return nil, err
			}
			r.Note = &n
		}
		out.Rules[code] = r
	}
	return &out, nil
}
