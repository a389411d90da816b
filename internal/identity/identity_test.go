package identity

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func testVault(t *testing.T) *Vault {
	t.Helper()
	v, err := NewVault(bytes.Repeat([]byte{7}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestOpenVaultCreatesKeyFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "keys")
	path := filepath.Join(dir, DefaultKeyFile)
	v1, err := OpenVault(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %04o, want 0600", st.Mode().Perm())
	}
	dst, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if dst.Mode().Perm() != 0o700 {
		t.Errorf("key dir mode %04o, want 0700", dst.Mode().Perm())
	}
	raw, _ := os.ReadFile(path)
	if s := strings.TrimSpace(string(raw)); len(s) != 64 {
		t.Errorf("key file holds %q, want 64 hex characters", raw)
	} else if _, err := hex.DecodeString(s); err != nil {
		t.Errorf("key file not hex: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("key dir holds %d entries, want only the key file", len(entries))
	}
	// Re-opening uses the same key.
	sealed, err := v1.Seal("13812345678", "report:1:phone")
	if err != nil {
		t.Fatal(err)
	}
	v2, err := OpenVault(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := v2.Open(sealed, "report:1:phone"); err != nil || got != "13812345678" {
		t.Errorf("reopened vault: %q, %v", got, err)
	}
	if v1.PhoneHash("13812345678") != v2.PhoneHash("13812345678") {
		t.Error("phone hash differs after reopening")
	}
}

func TestOpenVaultConcurrentFirstStart(t *testing.T) {
	path := filepath.Join(t.TempDir(), DefaultKeyFile)
	var wg sync.WaitGroup
	hashes := make([]string, 8)
	for i := range hashes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := OpenVault(path)
			if err != nil {
				t.Error(err)
				return
			}
			hashes[i] = v.PhoneHash("13812345678")
		}()
	}
	wg.Wait()
	for _, h := range hashes[1:] {
		if h != hashes[0] {
			t.Fatal("concurrent first starts ended with different keys")
		}
	}
}

func TestOpenVaultKeyFiles(t *testing.T) {
	dir := t.TempDir()
	key := bytes.Repeat([]byte{7}, KeySize)
	want := testVault(t).PhoneHash("13812345678")
	write := func(name string, data []byte, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name    string
		data    []byte
		mode    os.FileMode
		wantErr string
	}{
		{"hex", []byte(hex.EncodeToString(key) + "\n"), 0o600, ""},
		{"hex upper no newline", []byte(strings.ToUpper(hex.EncodeToString(key))), 0o400, ""},
		{"raw", key, 0o600, ""},
		{"world readable", []byte(hex.EncodeToString(key)), 0o644, "readable or writable by group or others"},
		{"group readable", []byte(hex.EncodeToString(key)), 0o640, "readable or writable by group or others"},
		{"short", []byte("abcd"), 0o600, "neither 64 hex"},
		{"bad hex", []byte(strings.Repeat("zz", 32)), 0o600, "neither 64 hex"},
		{"empty", nil, 0o600, "neither 64 hex"},
	}
	for _, tt := range tests {
		p := write(strings.ReplaceAll(tt.name, " ", "_"), tt.data, tt.mode)
		v, err := OpenVault(p)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: err = %v, want containing %q", tt.name, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if got := v.PhoneHash("13812345678"); got != want {
			t.Errorf("%s: loaded a different key", tt.name)
		}
	}
	if _, err := OpenVault(dir); err == nil {
		t.Error("a directory was accepted as key file")
	}
}

func TestKeyPath(t *testing.T) {
	if got := KeyPath("/d", ""); got != filepath.Join("/d", "identity.key") {
		t.Errorf("KeyPath default = %q", got)
	}
	if got := KeyPath("/d", "/etc/k"); got != "/etc/k" {
		t.Errorf("KeyPath env = %q", got)
	}
}

func TestSealOpen(t *testing.T) {
	v := testVault(t)
	for _, plain := range []string{"", "13812345678", "王小明", strings.Repeat("x", 10000)} {
		ct, err := v.Seal(plain, "report:123:phone")
		if err != nil {
			t.Fatal(err)
		}
		if ct[0] != 1 {
			t.Errorf("version byte %d", ct[0])
		}
		if plain != "" && bytes.Contains(ct, []byte(plain)) {
			t.Errorf("plaintext %q visible in sealed bytes", plain)
		}
		got, err := v.Open(ct, "report:123:phone")
		if err != nil || got != plain {
			t.Errorf("round trip: %q, %v", got, err)
		}
		ct2, _ := v.Seal(plain, "report:123:phone")
		if bytes.Equal(ct, ct2) {
			t.Error("two seals of the same value are equal (nonce reuse)")
		}
	}
}

func TestOpenRejects(t *testing.T) {
	v := testVault(t)
	ct, err := v.Seal("13812345678", "report:123:phone")
	if err != nil {
		t.Fatal(err)
	}
	other, _ := NewVault(bytes.Repeat([]byte{8}, KeySize))
	flip := func(i int) []byte {
		b := append([]byte(nil), ct...)
		b[i] ^= 0x01
		return b
	}
	tests := []struct {
		name string
		v    *Vault
		ct   []byte
		aad  string
	}{
		{"wrong aad", v, ct, "report:124:phone"},
		{"empty aad", v, ct, ""},
		{"wrong key", other, ct, "report:123:phone"},
		{"tampered body", v, flip(len(ct) - 20), "report:123:phone"},
		{"tampered tag", v, flip(len(ct) - 1), "report:123:phone"},
		{"tampered nonce", v, flip(3), "report:123:phone"},
		{"unknown version", v, flip(0), "report:123:phone"},
		{"truncated", v, ct[:10], "report:123:phone"},
		{"nil", v, nil, "report:123:phone"},
	}
	for _, tt := range tests {
		got, err := tt.v.Open(tt.ct, tt.aad)
		if !errors.Is(err, ErrDecrypt) {
			t.Errorf("%s: err = %v, want ErrDecrypt", tt.name, err)
		}
		if got != "" || (err != nil && strings.Contains(err.Error(), "13812345678")) {
			t.Errorf("%s: leaked plaintext", tt.name)
		}
	}
}

func TestSealIdentity(t *testing.T) {
	v := testVault(t)
	id := Identity{Name: "王小明", Phone: "13812345678", Email: "wang@example.cn", IDNumber: "110101199003071234", Address: "福建省福州市闽清县梅城镇解放大街1号"}
	ct, err := v.SealIdentity(id, "report:9:identity")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{id.Name, id.Phone, id.Email, id.IDNumber, "5678", "wang", id.Address, "解放大街"} {
		if bytes.Contains(ct, []byte(s)) {
			t.Errorf("%q visible in sealed identity", s)
		}
	}
	got, err := v.OpenIdentity(ct, "report:9:identity")
	if err != nil || got != id {
		t.Errorf("OpenIdentity = %+v, %v", got, err)
	}
	if _, err := v.OpenIdentity(ct, "report:10:identity"); !errors.Is(err, ErrDecrypt) {
		t.Errorf("wrong aad: %v", err)
	}
	notJSON, _ := v.Seal("not json", "x")
	if _, err := v.OpenIdentity(notJSON, "x"); err == nil {
		t.Error("non-identity accepted")
	}
	if !(Identity{}).IsZero() || id.IsZero() {
		t.Error("IsZero wrong")
	}
	m := id.Masked()
	if m != (Identity{Name: "王**", Phone: "138****5678", Email: "w***@example.cn", IDNumber: "110***********1234", Address: "福建省福州市闽清县****"}) {
		t.Errorf("Masked = %+v", m)
	}
}

// MaskAddress keeps the province, city and county at the head of an
// address and hides the rest behind a fixed mask.
func TestMaskAddress(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"   ", ""},
		{"福建省福州市闽清县梅城镇解放大街1号", "福建省福州市闽清县****"},
		{"  福建省福州市闽清县梅城镇解放大街1号  ", "福建省福州市闽清县****"},
		{"北京市朝阳区建国路88号SOHO现代城5号楼1201室", "北京市朝阳区****"},
		{"上海市浦东新区世纪大道100号", "上海市浦东新区****"},
		{"江苏省苏州市工业园区星湖街328号", "江苏省苏州市工业园区****"},
		{"新疆维吾尔自治区乌鲁木齐市天山区解放北路1号", "新疆维吾尔自治区乌鲁木齐市天山区****"},
		{"内蒙古自治区呼伦贝尔市鄂温克族自治旗巴彦托海镇", "内蒙古自治区呼伦贝尔市鄂温克族自治旗****"},
		{"贵州省黔东南苗族侗族自治州凯里市北京东路", "贵州省黔东南苗族侗族自治州凯里市****"},
		{"香港特别行政区九龙城区太子道西", "香港特别行政区九龙城区****"},
		{"黑龙江省大兴安岭地区漠河市北极镇", "黑龙江省大兴安岭地区漠河市****"},
		{"山东省济南市市中区经七路1号", "山东省济南市市中区****"},
		{"江苏省镇江市京口区中山东路", "江苏省镇江市京口区****"},
		{"福建省福清市龙山街道福清大道1号", "福建省福清市****"},
		{"福州市梅城镇解放大街1号", "福州市****"},
		{"闽清县梅城镇", "闽清县****"},
		{"福建省福州市闽清县", "福建省福州市闽清县"},
		{"梅城镇解放大街1号", "****"},
		{"解放大街东区3号楼", "****"},
		{"1 Main Street, Fuzhou", "****"},
		{"福建省3号", "福建省****"},
		{"县", "****"},
	}
	for _, tt := range tests {
		if got := MaskAddress(tt.in); got != tt.want {
			t.Errorf("MaskAddress(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormalizePhone(t *testing.T) {
	tests := []struct{ in, want string }{
		{"13812345678", "13812345678"},
		{"138 1234 5678", "13812345678"},
		{"138-1234-5678", "13812345678"},
		{"+86 13812345678", "13812345678"},
		{"+86-138-1234-5678", "13812345678"},
		{"0086 138 1234 5678", "13812345678"},
		{"8613812345678", "13812345678"},
		{"１３８１２３４５６７８", "13812345678"},
		{"＋８６　１３８　１２３４　５６７８", "13812345678"},
		{"(0591) 2233-4455", "059122334455"},
		{"0591-22334455", "059122334455"},
		{"+86 591 2233 4455", "059122334455"},
		{"+86 (0)591 2233 4455", "059122334455"},
		{"+86 10 8888 9999", "01088889999"},
		{"+44 20 7946 0958", "+442079460958"},
		{"0044 20 7946 0958", "+442079460958"},
		{"12345", "12345"},
		{"", ""},
		{"无", ""},
	}
	for _, tt := range tests {
		if got := NormalizePhone(tt.in); got != tt.want {
			t.Errorf("NormalizePhone(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPhoneAndEmailHash(t *testing.T) {
	v := testVault(t)
	h := v.PhoneHash("13812345678")
	if len(h) != 64 {
		t.Fatalf("hash %q not 64 hex", h)
	}
	for _, in := range []string{"138 1234 5678", "+86 13812345678", "１３８１２３４５６７８", "0086-138-1234-5678"} {
		if got := v.PhoneHash(in); got != h {
			t.Errorf("PhoneHash(%q) differs", in)
		}
	}
	if v.PhoneHash("13812345679") == h {
		t.Error("different numbers hash alike")
	}
	if strings.Contains(h, "13812345678") {
		t.Error("hash contains the number")
	}
	other, _ := NewVault(bytes.Repeat([]byte{8}, KeySize))
	if other.PhoneHash("13812345678") == h {
		t.Error("hash is not keyed")
	}
	if v.PhoneHash("") != "" || v.PhoneHash("  ") != "" || v.EmailHash("") != "" {
		t.Error("empty input must give empty hash")
	}
	e := v.EmailHash("wang@example.cn")
	if e == "" || v.EmailHash(" Wang@Example.CN ") != e || v.EmailHash("ｗａｎｇ＠ｅｘａｍｐｌｅ．ｃｎ") != e {
		t.Error("EmailHash not normalised")
	}
	if e == v.lookup("phone", "wang@example.cn") {
		t.Error("phone and email hashes share a domain")
	}
}

func TestMasks(t *testing.T) {
	tests := []struct {
		fn       func(string) string
		name     string
		in, want string
	}{
		{MaskPhone, "phone", "13812345678", "138****5678"},
		{MaskPhone, "phone", "+86 138 1234 5678", "138****5678"},
		{MaskPhone, "phone", "0591-22334455", "0591****4455"},
		{MaskPhone, "phone", "010-88889999", "010****9999"},
		{MaskPhone, "phone", "021 6666 7777", "021****7777"},
		{MaskPhone, "phone", "22334455", "****4455"},
		{MaskPhone, "phone", "+44 20 7946 0958", "****0958"},
		{MaskPhone, "phone", "12345", "****45"},
		{MaskPhone, "phone", "110", "****"},
		{MaskPhone, "phone", "无", "****"},
		{MaskPhone, "phone", "", ""},
		{MaskName, "name", "王小明", "王**"},
		{MaskName, "name", "王明", "王*"},
		{MaskName, "name", "王", "*"},
		{MaskName, "name", "欧阳娜娜", "欧***"},
		{MaskName, "name", " 李四 ", "李*"},
		{MaskName, "name", "", ""},
		{MaskEmail, "email", "wang@example.cn", "w***@example.cn"},
		{MaskEmail, "email", "w@example.cn", "***@example.cn"},
		{MaskEmail, "email", "王小明@例子.中国", "王***@例子.中国"},
		{MaskEmail, "email", "not-an-email", "n***"},
		{MaskEmail, "email", "", ""},
		{MaskIDNumber, "id", "110101199003071234", "110***********1234"},
		{MaskIDNumber, "id", "11010119900307123x", "110***********123X"},
		{MaskIDNumber, "id", "110101900307123", "110********7123"},
		{MaskIDNumber, "id", "E12345678", "E******78"},
		{MaskIDNumber, "id", "1234", "****"},
		{MaskIDNumber, "id", "", ""},
	}
	for _, tt := range tests {
		if got := tt.fn(tt.in); got != tt.want {
			t.Errorf("Mask %s(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}

// FuzzMasks checks that masking never returns the full input and never panics.
func FuzzMasks(f *testing.F) {
	for _, s := range []string{"13812345678", "0591-22334455", "王小明", "wang@example.cn", "110101199003071234", "", "+", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		for _, m := range []string{MaskPhone(in), MaskIDNumber(in)} {
			if len(m) > 0 && !strings.Contains(m, "*") {
				t.Fatalf("mask of %q = %q has no asterisk", in, m)
			}
		}
		if n := NormalizePhone(in); len(n) >= 5 && strings.Contains(MaskPhone(in), strings.TrimPrefix(n, "+")) {
			t.Fatalf("MaskPhone(%q) reveals the whole number", in)
		}
		_ = MaskName(in)
		_ = MaskEmail(in)
	})
}
