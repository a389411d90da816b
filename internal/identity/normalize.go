package identity

import (
	"strings"
	"unicode"
)

// foldWidth maps full-width ASCII forms (U+FF01–U+FF5E) and the ideographic
// space to their ASCII counterparts.
func foldWidth(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E:
		return r - 0xFEE0
	case r == 0x3000:
		return ' '
	}
	return r
}

// isMobile reports whether d is a mainland mobile number: 11 digits, 1[3-9]….
func isMobile(d string) bool {
	return len(d) == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9'
}

// NormalizePhone reduces a phone number to the digits that identify it:
// full-width digits folded, spaces, dashes, brackets and any other
// non-digit characters dropped, the mainland country code (+86, 0086, or 86
// before a mobile number) removed, and the trunk 0 restored on a landline
// written in international form (+86 591 2233 4455 → 059122334455). Other
// international numbers keep a leading "+" (00 is read as +). It returns ""
// when the input holds no digits.
func NormalizePhone(phone string) string {
	var b strings.Builder
	plus := false
	for _, r := range phone {
		r = foldWidth(r)
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && b.Len() == 0:
			plus = true
		}
	}
	d := b.String()
	if d == "" {
		return ""
	}
	intl := false
	switch {
	case plus && strings.HasPrefix(d, "86"):
		d, intl = d[2:], true
	case plus:
		return "+" + d
	case strings.HasPrefix(d, "0086"):
		d, intl = d[4:], true
	case strings.HasPrefix(d, "00") && len(d) > 2:
		return "+" + d[2:]
	case len(d) == 13 && strings.HasPrefix(d, "86") && isMobile(d[2:]):
		d = d[2:]
	}
	if intl && d != "" && d[0] != '0' && !isMobile(d) {
		d = "0" + d
	}
	return d
}

// NormalizeEmail trims an e-mail address, folds full-width characters and
// lowers its case.
func NormalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(strings.Map(foldWidth, email)))
}

// MaskPhone shows a phone number for staff lists without revealing it:
//
//	mobile 13812345678        → 138****5678
//	landline 0591-22334455    → 0591****4455 (area code kept: 010 and 02x have 3 digits, others 4)
//	anything else, ≥ 8 digits → ****5678
//	5 to 7 digits             → ****78
//	shorter                   → ****
//
// The input is normalised first (see NormalizePhone), so +86 and spacing do
// not matter. It returns "" for an empty input.
func MaskPhone(phone string) string {
	n := NormalizePhone(phone)
	if n == "" {
		if strings.TrimSpace(phone) == "" {
			return ""
		}
		return "****"
	}
	if isMobile(n) {
		return n[:3] + "****" + n[7:]
	}
	if n[0] == '0' && len(n) >= 10 {
		area := 4
		if strings.HasPrefix(n, "010") || strings.HasPrefix(n, "02") {
			area = 3
		}
		if len(n)-area >= 7 {
			return n[:area] + "****" + n[len(n)-4:]
		}
	}
	n = strings.TrimPrefix(n, "+")
	switch {
	case len(n) >= 8:
		return "****" + n[len(n)-4:]
	case len(n) >= 5:
		return "****" + n[len(n)-2:]
	}
	return "****"
}

// MaskName keeps the first character of a name and masks the rest, one
// asterisk per character: 王小明 → 王**, 王明 → 王*, 王 → *.
func MaskName(name string) string {
	r := []rune(strings.TrimSpace(name))
	switch len(r) {
	case 0:
		return ""
	case 1:
		return "*"
	}
	return string(r[0]) + strings.Repeat("*", len(r)-1)
}

// MaskEmail keeps the first character of the local part and the domain:
// wang@example.cn → w***@example.cn. The number of asterisks is fixed so the
// length of the local part is not shown. A one-character local part is masked
// entirely; text without "@" is masked like a name with three asterisks.
func MaskEmail(email string) string {
	s := strings.TrimSpace(email)
	if s == "" {
		return ""
	}
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		r := []rune(s)
		if len(r) == 1 {
			return "***"
		}
		return string(r[0]) + "***"
	}
	local, domain := []rune(s[:at]), s[at+1:]
	if len(local) <= 1 {
		return "***@" + domain
	}
	return string(local[0]) + "***@" + domain
}

// MaskIDNumber masks an identity-document number. A resident ID (15 or 18
// characters, or any ≥ 15) keeps its first 3 and last 4 characters
// (110***********1234), hiding the birth date; 6 to 14 characters (passports,
// permits) keep the first and the last 2; shorter ones are masked entirely.
// Spaces and dashes are dropped and letters upper-cased first.
func MaskIDNumber(id string) string {
	var b []rune
	for _, r := range id {
		r = foldWidth(r)
		if unicode.IsSpace(r) || r == '-' {
			continue
		}
		b = append(b, unicode.ToUpper(r))
	}
	n := len(b)
	switch {
	case n == 0:
		return ""
	case n >= 15:
		return string(b[:3]) + strings.Repeat("*", n-7) + string(b[n-4:])
	case n >= 6:
		return string(b[:1]) + strings.Repeat("*", n-3) + string(b[n-2:])
	}
	return strings.Repeat("*", n)
}

// MaskAddress keeps the administrative divisions at the head of a Chinese
// postal address — province, city and county (福建省福州市闽清县) — and
// masks the rest (the town, street, number and room) with a fixed "****",
// so its length is not shown either. A division is a run of Chinese
// characters ending in 省, 市, 州, 盟, 县, 旗 or 区 (自治区, 特别行政区 and
// 地区 stand above the county); the county (县, 旗, another 区) is the last
// kept, and so is the third division. A run that holds a digit, a letter or
// a sign of the street level (路, 街, 巷, 号, a town's 镇 or 乡 …) is not a
// division. An address with no division at its head is masked entirely.
func MaskAddress(addr string) string {
	r := []rune(strings.TrimSpace(addr))
	if len(r) == 0 {
		return ""
	}
	kept := 0
	for level := 0; level < 3; level++ {
		end, county := nextDivision(r[kept:])
		if end == 0 {
			break
		}
		kept += end
		if county {
			break
		}
	}
	if kept == 0 {
		return "****"
	}
	if kept == len(r) {
		return string(r)
	}
	return string(r[:kept]) + "****"
}

// maxDivision is the longest division name taken (克孜勒苏柯尔克孜自治州 is 11).
const maxDivision = 12

// nextDivision finds the division at the head of r: the number of runes it
// takes (0: none) and whether it is a county, the last level kept.
func nextDivision(r []rune) (int, bool) {
	for i, c := range r {
		if i >= maxDivision {
			return 0, false
		}
		if !unicode.Is(unicode.Han, c) || i > 0 && strings.ContainsRune("路街巷弄号楼栋室村镇乡组", c) {
			return 0, false
		}
		if i == 0 || !strings.ContainsRune("省市州盟县旗区", c) {
			continue
		}
		if i+1 < len(r) && strings.ContainsRune("市县区", r[i+1]) {
			continue // 福州市, not 福州
		}
		name := string(r[:i+1])
		switch {
		case c == '县' || c == '旗':
			return i + 1, true
		case c == '区':
			if strings.HasSuffix(name, "自治区") || strings.HasSuffix(name, "特别行政区") || strings.HasSuffix(name, "地区") {
				return i + 1, false
			}
			return i + 1, true
		}
		return i + 1, false
	}
	return 0, false
}
