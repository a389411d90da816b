package pinyin

import (
	"slices"
	"testing"
)

func table(t *testing.T) *Table {
	t.Helper()
	tb, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

func TestInitials(t *testing.T) {
	tb := table(t)
	for _, tc := range []struct {
		name string
		want []string
	}{
		{"梅溪镇", []string{"mxz"}},
		{"梅溪镇便民服务中心", []string{"mxzbmfwzx", "mxzpmfwzx"}},
		{"闽清县", []string{"mqx"}},
		{"白樟镇", []string{"bzz"}},
		{"坂东镇", []string{"bdz"}},
		{"省璜镇", []string{"shz", "xhz"}},
		{"桔林乡", []string{"jlx"}},
		{"上莲乡", []string{"slx"}},
		{"三溪乡", []string{"sxx"}},
		{"下祝乡", []string{"xzx"}},
		{"雄江镇", []string{"xjz"}},
		{"塔庄镇", []string{"tzz"}},
		{"闽清县行政服务中心", []string{"mqxxzfwzx", "mqxhzfwzx"}},
		{"闽清县人力资源和社会保障局", []string{"mqxrlzyhshbzj", "mqxrlzyhskbzj"}},
		{"中共闽清县委组织部", []string{"zgmqxwzzb"}},
		{"A区 12", []string{"aq12", "ao12"}},
		{"“为官不为”", []string{"wgbw"}},
	} {
		if got := tb.Initials(tc.name); !slices.Equal(got, tc.want) {
			t.Errorf("Initials(%s) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// Every hanzi of the demo county's and the fixtures' unit names has an
// initial (a hanzi the table does not know would silently drop a letter).
func TestEveryUnitHanziKnown(t *testing.T) {
	tb := table(t)
	names := "闽清县中共闽清县委办公室闽清县人民政府办公室中共闽清县纪律检查委员会中共闽清县委组织部闽清县机关效能建设领导小组办公室" +
		"闽清县整肃为官不为领导小组办公室闽清县行政服务中心闽清县自然资源和规划局闽清县人力资源和社会保障局闽清县市场监督管理局" +
		"闽清县住房和城乡建设局闽清县农业农村局闽清县卫生健康局闽清县教育局闽清县医疗保障局梅城镇便民服务中心梅溪镇白樟镇金沙镇" +
		"白中镇池园镇坂东镇塔庄镇省璜镇雄江镇东桥镇云龙乡上莲乡三溪乡桔林乡下祝乡不动产登记窗口公安局派出所交通运输局财政局税务局"
	for _, r := range names {
		if tb.Of(r) == "" {
			t.Errorf("no initial for %c", r)
		}
	}
	// The first and last hanzi of level 1, and the boundaries.
	for r, want := range map[rune]string{'啊': "a", '座': "z", '芭': "b", '澳': "a", '匝': "z", '压': "y", '昔': "x"} {
		if got := tb.Of(r); got != want {
			t.Errorf("Of(%c) = %q, want %q", r, got, want)
		}
	}
	if got := tb.Of('a'); got != "" {
		t.Errorf("Of(a) = %q", got)
	}
}

func TestMatches(t *testing.T) {
	tb := table(t)
	for _, tc := range []struct {
		name, q string
		want    bool
	}{
		{"梅溪镇", "mxz", true},
		{"梅溪镇", "MXZ", true},
		{"梅溪镇", "m x z", true},
		{"梅溪镇便民服务中心", "mxz", true},
		{"梅溪镇便民服务中心", "mxbm", true},
		{"梅溪镇便民服务中心", "bmfw", true},
		{"梅城镇便民服务中心", "mxbm", false},
		{"梅溪镇", "mxbm", false},
		{"闽清县行政服务中心", "xzfw", true},
		{"白樟镇", "mxz", false},
		{"白樟镇", "zb", false},
		{"白樟镇", "", false},
	} {
		if got := Matches(tb.Initials(tc.name), tc.q); got != tc.want {
			t.Errorf("Matches(%s, %q) = %v", tc.name, tc.q, got)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, bad := range []string{
		"range b 芭\nrange a 啊\n", // descending
		"range a 坂\n",            // level 2
		"range a x\n",
		"行 XH\n",
		"行 xh\n行 x\n",
		"what\n",
		"# only a comment\n",
	} {
		if _, err := parse([]byte(bad)); err == nil {
			t.Errorf("parse(%q) accepted", bad)
		}
	}
}
