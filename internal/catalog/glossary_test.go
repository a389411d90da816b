package catalog

import (
	"strings"
	"testing"
)

// The office's words in zh-TW, written out by hand and reviewed: the
// answers are not computed from the glossary. A counter is never a program
// window (視窗), a unit's code never program code (程式碼), publishing never
// a software release (釋出).
func TestTraditionalGlossary(t *testing.T) {
	_, l := mustLocalized(t)
	for _, c := range []struct{ zh, want string }{
		{"县行政服务中心不动产登记窗口", "縣行政服務中心不動產登記窗口"},
		{"单位代码", "單位代碼"},
		{"上级单位代码", "上級單位代碼"},
		{"情形和单位可输入代码、拼音首字母或文字", "情形和單位可輸入代碼、拼音首字母或文字"},
		{"网上举报", "網上舉報"},
		{"不按规定程序办事", "不按規定程序辦事"},
		{"重点项目审批拖拉", "重點項目審批拖拉"},
		{"乱发补贴、公款吃喝", "亂發補貼、公款吃喝"},
		{"经领导小组审核后发布", "經領導小組審核後發布"},
		{"打印本页", "列印本頁"},
		{"待公布节假日安排后", "待公布節假日安排後"},
		{"登录", "登入"},
		{"用户名", "帳號"},
		{"已填入默认清单", "已填入預設清單"},
		{"设置新密码", "設定新密碼"},
		{"不含个人信息", "不含個人資料"},
		{"联系方式", "聯絡方式"},
		{"照片、录像或视频", "照片、錄影或影片"},
		{"批量导入、导出", "批量匯入、匯出"},
		{"全文搜索", "全文搜尋"},
		{"菜单", "選單"},
		{"直接粘贴名单", "直接貼上名單"},
		{"数据库和服务器", "資料庫和伺服器"},
		{"该期间没有数据。", "該期間沒有資料。"},
		{"加密保存", "加密儲存"},
		{"查看完整信息", "查看完整資訊"},
		{"至少 10 个字符", "至少 10 個字元"},
		{"在验证器应用中添加", "在驗證器應用中新增"},
		{"打开案件", "開啟案件"},
		{"试运行", "試執行"},
		{"验证器密钥", "驗證器金鑰"},
		{"类型", "類型"},
		// Plain character conversion, untouched by the glossary.
		{"答复", "答覆"},
		{"申请复查、复核", "申請複查、複核"},
		{"群众反复跑腿", "群眾反覆跑腿"},
		{"整肃“为官不为”办公室", "整肅「為官不為」辦公室"},
		{"查询密码只显示这一次", "查詢密碼只顯示這一次"},
		{"县纪委信访室", "縣紀委信訪室"},
		{"县效能办", "縣效能辦"},
		{"县委大院", "縣委大院"},
	} {
		got, err := l.Traditional(c.zh)
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("%s: %s, want %s", c.zh, got, c.want)
		}
		for _, bad := range []string{"視窗", "程式碼", "釋出", "線上"} {
			if strings.Contains(got, bad) {
				t.Errorf("%s: %s has %s", c.zh, got, bad)
			}
		}
	}
	// Every term of the glossary converts to its own Traditional form.
	for _, term := range Glossary() {
		if got, _ := l.Traditional(term.Zh); got != term.ZhTW {
			t.Errorf("glossary %s: %s, want %s", term.Zh, got, term.ZhTW)
		}
	}
}
