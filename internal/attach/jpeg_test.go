package attach

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

// plainJPEG encodes a small real JPEG (SOI, APP0-less tables, scan, EOI).
func plainJPEG(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 24, 16))
	for y := 0; y < 16; y++ {
		for x := 0; x < 24; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 10), uint8(y * 15), 90, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// gpsLatitude is the GPS rational payload we look for after stripping.
var gpsLatitude = []byte{
	26, 0, 0, 0, 1, 0, 0, 0, // 26/1
	5, 0, 0, 0, 1, 0, 0, 0, // 5/1
	0xD2, 0x04, 0, 0, 100, 0, 0, 0, // 1234/100
}

// exifAPP1 builds an APP1 Exif segment (little-endian TIFF) whose IFD0 has
// an optional Orientation entry and a GPSInfo pointer to a GPS IFD with
// GPSLatitudeRef "N" and GPSLatitude.
func exifAPP1(orientation uint16, order binary.ByteOrder) []byte {
	var tiff bytes.Buffer
	w16 := func(v uint16) { binary.Write(&tiff, order, v) }
	w32 := func(v uint32) { binary.Write(&tiff, order, v) }
	if order == binary.ByteOrder(binary.LittleEndian) {
		tiff.WriteString("II")
	} else {
		tiff.WriteString("MM")
	}
	w16(42)
	w32(8)
	n := uint16(1)
	if orientation != 0 {
		n = 2
	}
	gpsIFD := uint32(8 + 2 + 12*int(n) + 4)
	w16(n)
	if orientation != 0 {
		w16(0x0112)
		w16(3)
		w32(1)
		w16(orientation)
		w16(0)
	}
	w16(0x8825) // GPSInfo
	w16(4)
	w32(1)
	w32(gpsIFD)
	w32(0) // no IFD1
	// GPS IFD
	w16(2)
	w16(0x0001) // GPSLatitudeRef
	w16(2)
	w32(2)
	tiff.Write([]byte{'N', 0, 0, 0})
	w16(0x0002) // GPSLatitude
	w16(5)
	w32(3)
	w32(gpsIFD + 2 + 24 + 4)
	w32(0)
	tiff.Write(gpsLatitude)
	payload := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	return segment(0xE1, payload)
}

func segment(m byte, payload []byte) []byte {
	s := []byte{0xFF, m, 0, 0}
	binary.BigEndian.PutUint16(s[2:], uint16(len(payload)+2))
	return append(s, payload...)
}

// withSegments inserts segments right after SOI and appends a trailer.
func withSegments(jpg []byte, trailer []byte, segs ...[]byte) []byte {
	out := append([]byte(nil), jpg[:2]...)
	for _, s := range segs {
		out = append(out, s...)
	}
	out = append(out, jpg[2:]...)
	return append(out, trailer...)
}

func strip(t testing.TB, in []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := stripJPEG(&out, bytes.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestStripJPEG(t *testing.T) {
	base := plainJPEG(t)
	xmp := segment(0xE1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta exif:GPSLatitude=\"26,5.2N\"/>"))
	icc := segment(0xE2, []byte("ICC_PROFILE\x00\x01\x01fake-profile-bytes"))
	iptc := segment(0xED, []byte("Photoshop 3.0\x008BIM city=Fuzhou"))
	com := segment(0xFE, []byte("taken at 26.08N 119.30E"))
	jfif := segment(0xE0, []byte("JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"))
	trailer := []byte("\xFF\xD8 second image with GPS trailer")

	tests := []struct {
		name            string
		in              []byte
		wantOrientation int // 0: no Exif segment at all
		mustKeep        [][]byte
	}{
		{"gps only", withSegments(base, nil, exifAPP1(0, binary.LittleEndian)), 0, nil},
		{"gps + orientation LE", withSegments(base, nil, exifAPP1(6, binary.LittleEndian)), 6, nil},
		{"gps + orientation BE", withSegments(base, nil, exifAPP1(8, binary.BigEndian)), 8, nil},
		{"orientation 1 dropped", withSegments(base, nil, exifAPP1(1, binary.LittleEndian)), 0, nil},
		{"everything", withSegments(base, trailer, jfif, exifAPP1(3, binary.LittleEndian), xmp, icc, iptc, com), 3, [][]byte{jfif, icc}},
		{"two exif", withSegments(base, nil, exifAPP1(6, binary.LittleEndian), exifAPP1(3, binary.LittleEndian)), 6, nil},
	}
	for _, tt := range tests {
		out := strip(t, tt.in)
		if !bytes.HasPrefix(out, []byte{0xFF, 0xD8}) || !bytes.HasSuffix(out, []byte{0xFF, 0xD9}) {
			t.Errorf("%s: output does not run SOI..EOI", tt.name)
		}
		if len(out) > len(tt.in) {
			t.Errorf("%s: output longer than input", tt.name)
		}
		for _, bad := range [][]byte{gpsLatitude, []byte("GPS"), []byte("city=Fuzhou"), []byte("119.30E"), []byte("second image"), {0x25, 0x88}} {
			if bytes.Contains(out, bad) {
				t.Errorf("%s: output still contains %q", tt.name, bad)
			}
		}
		for _, k := range tt.mustKeep {
			if !bytes.Contains(out, k) {
				t.Errorf("%s: output lost segment %q", tt.name, k[:8])
			}
		}
		hasExif := bytes.Contains(out, []byte("Exif\x00\x00"))
		if tt.wantOrientation == 0 && hasExif {
			t.Errorf("%s: Exif kept", tt.name)
		}
		if tt.wantOrientation != 0 {
			if !bytes.Contains(out, minimalExif(tt.wantOrientation)) {
				t.Errorf("%s: orientation %d not kept in a minimal Exif", tt.name, tt.wantOrientation)
			}
			if bytes.Count(out, []byte("Exif\x00\x00")) != 1 {
				t.Errorf("%s: want exactly one Exif segment", tt.name)
			}
		}
		img, err := jpeg.Decode(bytes.NewReader(out))
		if err != nil {
			t.Errorf("%s: stripped JPEG does not decode: %v", tt.name, err)
		} else if img.Bounds().Dx() != 24 || img.Bounds().Dy() != 16 {
			t.Errorf("%s: stripped JPEG has bounds %v", tt.name, img.Bounds())
		}
		if again := strip(t, out); !bytes.Equal(again, out) {
			t.Errorf("%s: stripping is not idempotent", tt.name)
		}
	}
	// A clean JPEG passes through unchanged.
	if out := strip(t, base); !bytes.Equal(out, base) {
		t.Error("clean JPEG changed by stripping")
	}
}

func TestStripJPEGOddInput(t *testing.T) {
	base := plainJPEG(t)
	withExif := withSegments(base, nil, exifAPP1(0, binary.LittleEndian))
	tests := []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"one byte", []byte{0xFF}},
		{"not jpeg", []byte("hello, world")},
		{"soi only", []byte{0xFF, 0xD8}},
		{"truncated in exif", withExif[:40]},
		{"truncated in scan", base[:len(base)-40]},
		{"garbage between segments", append(append([]byte{0xFF, 0xD8, 'x', 'y'}, exifAPP1(0, binary.LittleEndian)...), base[2:]...)},
		{"bogus length", []byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x01, 0xFF, 0xD9}},
		{"fill bytes", append([]byte{0xFF, 0xD8, 0xFF, 0xFF, 0xFF}, withExif[3:]...)},
	}
	for _, tt := range tests {
		out := strip(t, tt.in)
		if len(out) > len(tt.in) {
			t.Errorf("%s: output %d bytes > input %d", tt.name, len(out), len(tt.in))
		}
		if bytes.Contains(out, gpsLatitude) {
			t.Errorf("%s: GPS survived", tt.name)
		}
		if len(tt.in) >= 2 && tt.in[0] != 0xFF && !bytes.Equal(out, tt.in) {
			t.Errorf("%s: non-JPEG changed", tt.name)
		}
	}
}

func FuzzStripJPEG(f *testing.F) {
	base := plainJPEG(f)
	f.Add(base)
	f.Add(withSegments(base, []byte("trailer"), exifAPP1(6, binary.LittleEndian), segment(0xFE, []byte("c"))))
	f.Add(withSegments(base, nil, exifAPP1(3, binary.BigEndian))[:60])
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0xFF, 0x00, 0xFF, 0xD0, 0xFF, 0xFF, 0xD9})
	f.Add([]byte{})
	f.Add([]byte("not a jpeg"))
	f.Fuzz(func(t *testing.T, in []byte) {
		var out bytes.Buffer
		if err := stripJPEG(&out, bytes.NewReader(in)); err != nil {
			t.Fatalf("error on in-memory input: %v", err)
		}
		if out.Len() > len(in) {
			t.Fatalf("output %d bytes longer than input %d", out.Len(), len(in))
		}
		if bytes.HasPrefix(in, []byte{0xFF, 0xD8}) && !bytes.HasPrefix(out.Bytes(), []byte{0xFF, 0xD8}) {
			t.Fatalf("SOI lost")
		}
		var again bytes.Buffer
		if err := stripJPEG(&again, bytes.NewReader(out.Bytes())); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again.Bytes(), out.Bytes()) {
			t.Fatalf("not idempotent:\n in  %x\n out %x\n again %x", in, out.Bytes(), again.Bytes())
		}
	})
}
