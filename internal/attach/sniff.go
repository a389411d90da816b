package attach

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"io"
	"net/http"
	"strings"
	"unicode/utf16"
)

// sniffLen is how much of the start of the content the type is read from.
const sniffLen = 512

// Content types this package names beyond net/http's sniffer.
const (
	TypeDOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	TypeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	TypePPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
	TypeOFD  = "application/ofd" // GB/T 33190 e-documents
	TypeDOC  = "application/msword"
	TypeXLS  = "application/vnd.ms-excel"
	TypePPT  = "application/vnd.ms-powerpoint"
	TypeOLE  = "application/x-ole-storage"
	TypeZIP  = "application/zip"
)

// sniff names the type of content from its first bytes (never from a name).
func sniff(head []byte) string {
	if len(head) == 0 {
		return "application/octet-stream"
	}
	if t := sniffISOBMFF(head); t != "" {
		return t
	}
	switch {
	case bytes.HasPrefix(head, []byte("#!AMR\n")):
		return "audio/amr"
	case bytes.HasPrefix(head, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}):
		return TypeOLE
	case bytes.HasPrefix(head, []byte{'7', 'z', 0xBC, 0xAF, 0x27, 0x1C}):
		return "application/x-7z-compressed"
	case bytes.HasPrefix(head, []byte("II*\x00")), bytes.HasPrefix(head, []byte("MM\x00*")):
		return "image/tiff"
	}
	return http.DetectContentType(head)
}

// sniffISOBMFF names MP4-family files (MP4, QuickTime, 3GP, M4A, HEIC/HEIF,
// AVIF) from the brands of their leading ftyp box.
func sniffISOBMFF(head []byte) string {
	if len(head) < 12 || string(head[4:8]) != "ftyp" {
		return ""
	}
	size := int(binary.BigEndian.Uint32(head[:4]))
	if size < 16 || size > len(head) {
		size = len(head)
	}
	brandType := func(b string) string {
		switch {
		case b == "qt  ":
			return "video/quicktime"
		case b == "heic" || b == "heix" || b == "hevc" || b == "hevx" || b == "heim" || b == "heis" || b == "hevm" || b == "hevs":
			return "image/heic"
		case b == "avif" || b == "avis":
			return "image/avif"
		case b == "mif1" || b == "msf1":
			return "image/heif"
		case b == "M4A " || b == "M4B " || b == "M4P ":
			return "audio/mp4"
		case strings.HasPrefix(b, "3g2"):
			return "video/3gpp2"
		case strings.HasPrefix(b, "3gp"), strings.HasPrefix(b, "3gg"), strings.HasPrefix(b, "3gs"), strings.HasPrefix(b, "3ge"):
			return "video/3gpp"
		case strings.HasPrefix(b, "iso"), strings.HasPrefix(b, "mp4"), strings.HasPrefix(b, "M4V"),
			b == "avc1" || b == "dash" || b == "mmp4" || b == "MSNV" || b == "f4v " || b == "NDAS":
			return "video/mp4"
		}
		return ""
	}
	major := brandType(string(head[8:12]))
	if major != "" && major != "video/mp4" && major != "image/heif" {
		return major
	}
	mp4 := major == "video/mp4"
	heif := major == "image/heif"
	for i := 16; i+4 <= size; i += 4 {
		switch t := brandType(string(head[i : i+4])); t {
		case "image/heic", "image/avif":
			return t
		case "image/heif":
			heif = true
		case "video/mp4":
			mp4 = true
		}
	}
	switch {
	case heif:
		return "image/heif"
	case mp4:
		return "video/mp4"
	}
	return ""
}

// refine looks inside containers, once the whole content is on disk, to name
// Office and OFD documents (zip) and legacy Office files (OLE2). Best effort:
// anything unreadable keeps the generic type.
func refine(ctype string, f io.ReaderAt, size int64) string {
	switch {
	case ctype == TypeZIP:
		return refineZip(f, size)
	case ctype == TypeOLE:
		return refineOLE(f, size)
	}
	return ctype
}

func refineZip(f io.ReaderAt, size int64) string {
	zr, err := zip.NewReader(f, size)
	if err != nil {
		return TypeZIP
	}
	for _, zf := range zr.File {
		switch zf.Name {
		case "word/document.xml":
			return TypeDOCX
		case "xl/workbook.xml":
			return TypeXLSX
		case "ppt/presentation.xml":
			return TypePPTX
		case "OFD.xml":
			return TypeOFD
		case "mimetype":
			if zf.UncompressedSize64 > 100 {
				continue
			}
			rc, err := zf.Open()
			if err != nil {
				continue
			}
			b, _ := io.ReadAll(io.LimitReader(rc, 100))
			rc.Close()
			if s := string(b); strings.HasPrefix(s, "application/vnd.oasis.opendocument.") && !strings.ContainsAny(s, " \r\n;") {
				return s
			}
		}
	}
	return TypeZIP
}

// refineOLE reads the first directory sector of a compound file and names
// the document by its main stream.
func refineOLE(f io.ReaderAt, size int64) string {
	var hdr [512]byte
	if _, err := f.ReadAt(hdr[:], 0); err != nil {
		return TypeOLE
	}
	shift := binary.LittleEndian.Uint16(hdr[0x1E:])
	if shift != 9 && shift != 12 {
		return TypeOLE
	}
	ss := int64(1) << shift
	dirSect := int64(binary.LittleEndian.Uint32(hdr[0x30:]))
	off := (dirSect + 1) * ss
	if dirSect >= 0xFFFFFFFA || off+ss > size {
		return TypeOLE
	}
	dir := make([]byte, ss)
	if _, err := f.ReadAt(dir, off); err != nil {
		return TypeOLE
	}
	for e := 0; e+128 <= len(dir); e += 128 {
		n := int(binary.LittleEndian.Uint16(dir[e+64:]))
		if n < 2 || n > 64 || n%2 != 0 {
			continue
		}
		u := make([]uint16, n/2-1)
		for i := range u {
			u[i] = binary.LittleEndian.Uint16(dir[e+2*i:])
		}
		switch string(utf16.Decode(u)) {
		case "WordDocument":
			return TypeDOC
		case "Workbook", "Book":
			return TypeXLS
		case "PowerPoint Document":
			return TypePPT
		}
	}
	return TypeOLE
}
