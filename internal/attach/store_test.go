package attach

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"image"
	"image/png"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func newStore(t *testing.T) *Store {
	t.Helper()
	s, err := NewStore(filepath.Join(t.TempDir(), "attachments"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// files lists every regular file under dir, relative.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	return out
}

func readAll(t *testing.T, s *Store, sha string) []byte {
	t.Helper()
	f, err := s.Open(context.Background(), sha)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestNewStoreMode(t *testing.T) {
	s := newStore(t)
	st, err := os.Stat(s.b.(*Dir).Root())
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o700 {
		t.Errorf("store dir mode %04o, want 0700", st.Mode().Perm())
	}
	f := filepath.Join(t.TempDir(), "file")
	os.WriteFile(f, nil, 0o600)
	if _, err := NewStore(f); err == nil {
		t.Error("a file accepted as store directory")
	}
}

func TestPutOpenDedupe(t *testing.T) {
	s := newStore(t)
	content := []byte("举报材料：某局长长期不在岗。\n")
	b1, err := s.Put(context.Background(), bytes.NewReader(content), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	want := Blob{SHA256: sum(content), Size: int64(len(content)), ContentType: "text/plain; charset=utf-8"}
	if b1 != want {
		t.Errorf("Put = %+v, want %+v", b1, want)
	}
	p, err := s.b.(*Dir).Path(b1.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if p != filepath.Join(s.b.(*Dir).Root(), b1.SHA256[:2], b1.SHA256) {
		t.Errorf("Path = %q", p)
	}
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("stored file mode %04o", st.Mode().Perm())
	}
	if fst, _ := os.Stat(filepath.Dir(p)); fst.Mode().Perm() != 0o700 {
		t.Errorf("fan-out dir mode %04o", fst.Mode().Perm())
	}
	if got := readAll(t, s, b1.SHA256); !bytes.Equal(got, content) {
		t.Errorf("Open read %q", got)
	}
	b2, err := s.Put(context.Background(), bytes.NewReader(content), 1<<20)
	if err != nil || b2 != b1 {
		t.Errorf("second Put = %+v, %v", b2, err)
	}
	if fl := files(t, s.b.(*Dir).Root()); len(fl) != 1 {
		t.Errorf("store holds %v, want one file", fl)
	}
	// Concurrent identical puts end with one file too.
	var wg sync.WaitGroup
	other := bytes.Repeat([]byte("x"), 200_000)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.Put(context.Background(), bytes.NewReader(other), 1<<20); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if fl := files(t, s.b.(*Dir).Root()); len(fl) != 2 {
		t.Errorf("store holds %v, want two files", fl)
	}
	if got := readAll(t, s, sum(other)); !bytes.Equal(got, other) {
		t.Error("concurrently stored content differs")
	}
	if _, err := s.Open(context.Background(), sum([]byte("absent"))); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open absent: %v", err)
	}
}

func TestPutTooLarge(t *testing.T) {
	s := newStore(t)
	for _, n := range []int{101, 600, 300_000} {
		_, err := s.Put(context.Background(), bytes.NewReader(bytes.Repeat([]byte{'a'}, n)), 100)
		if !errors.Is(err, ErrTooLarge) {
			t.Errorf("%d bytes over a 100-byte limit: err = %v", n, err)
		}
		jpg := plainJPEG(t)
		_, err = s.Put(context.Background(), bytes.NewReader(append(jpg, make([]byte, n)...)), int64(len(jpg)+100))
		if !errors.Is(err, ErrTooLarge) {
			t.Errorf("JPEG with %d trailing bytes over limit: err = %v", n, err)
		}
	}
	if fl := files(t, s.b.(*Dir).Root()); len(fl) != 0 {
		t.Errorf("left behind: %v", fl)
	}
	// Exactly at the limit is fine.
	if b, err := s.Put(context.Background(), bytes.NewReader(bytes.Repeat([]byte{'a'}, 100)), 100); err != nil || b.Size != 100 {
		t.Errorf("at limit: %+v, %v", b, err)
	}
	if _, err := s.Put(context.Background(), strings.NewReader("x"), 0); err == nil {
		t.Error("zero limit accepted")
	}
}

type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("connection reset")
	}
	f.n--
	p[0] = 'a'
	return 1, nil
}

func TestPutReadErrorLeavesNothing(t *testing.T) {
	s := newStore(t)
	if _, err := s.Put(context.Background(), &failingReader{n: 1000}, 1<<20); err == nil || errors.Is(err, ErrTooLarge) {
		t.Errorf("err = %v", err)
	}
	if fl := files(t, s.b.(*Dir).Root()); len(fl) != 0 {
		t.Errorf("left behind: %v", fl)
	}
}

func pngBytes(t *testing.T) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zipBytes(t *testing.T, names ...string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		w, _ := zw.Create(n)
		if n == "mimetype" {
			w.Write([]byte("application/vnd.oasis.opendocument.text"))
		} else {
			w.Write([]byte("<x/>"))
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func ftyp(major string, compat ...string) []byte {
	b := []byte{0, 0, 0, 0}
	b = append(b, "ftyp"+major+"\x00\x00\x00\x00"...)
	for _, c := range compat {
		b = append(b, c...)
	}
	binary.BigEndian.PutUint32(b, uint32(len(b)))
	return append(b, "\x00\x00\x00\x08free"...)
}

// ole builds a minimal compound-file header and a directory sector holding
// a root entry and the given stream name.
func ole(stream string) []byte {
	b := make([]byte, 1024)
	copy(b, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1})
	binary.LittleEndian.PutUint16(b[0x1E:], 9)
	binary.LittleEndian.PutUint32(b[0x30:], 0)
	name := func(e int, s string) {
		for i, r := range s {
			binary.LittleEndian.PutUint16(b[512+e*128+2*i:], uint16(r))
		}
		binary.LittleEndian.PutUint16(b[512+e*128+64:], uint16(2*len(s)+2))
	}
	name(0, "Root Entry")
	name(1, stream)
	return b
}

func TestContentType(t *testing.T) {
	s := newStore(t)
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"png (whatever its name)", pngBytes(t), "image/png"},
		{"jpeg", plainJPEG(t), "image/jpeg"},
		{"pdf", []byte("%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"), "application/pdf"},
		{"docx", zipBytes(t, "[Content_Types].xml", "_rels/.rels", "word/document.xml"), TypeDOCX},
		{"xlsx", zipBytes(t, "[Content_Types].xml", "xl/workbook.xml"), TypeXLSX},
		{"pptx", zipBytes(t, "[Content_Types].xml", "ppt/presentation.xml"), TypePPTX},
		{"odt", zipBytes(t, "mimetype", "content.xml"), "application/vnd.oasis.opendocument.text"},
		{"ofd", zipBytes(t, "OFD.xml", "Doc_0/Document.xml"), TypeOFD},
		{"plain zip", zipBytes(t, "a.txt"), TypeZIP},
		{"doc", ole("WordDocument"), TypeDOC},
		{"xls", ole("Workbook"), TypeXLS},
		{"other ole", ole("Something"), TypeOLE},
		{"mp4", ftyp("isom", "isom", "iso2", "mp41"), "video/mp4"},
		{"mov", ftyp("qt  ", "qt  "), "video/quicktime"},
		{"heic", ftyp("heic", "mif1", "heic"), "image/heic"},
		{"heif via compat", ftyp("mif1", "mif1", "heic"), "image/heic"},
		{"m4a", ftyp("M4A ", "M4A ", "mp42", "isom"), "audio/mp4"},
		{"3gp", ftyp("3gp4", "isom", "3gp4"), "video/3gpp"},
		{"amr", []byte("#!AMR\n\x3c\x00"), "audio/amr"},
		{"binary", []byte{0, 1, 2, 3, 4}, "application/octet-stream"},
		{"empty", nil, "application/octet-stream"},
	}
	for _, tt := range tests {
		b, err := s.Put(context.Background(), bytes.NewReader(tt.in), 1<<20)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if b.ContentType != tt.want {
			t.Errorf("%s: content type %q, want %q", tt.name, b.ContentType, tt.want)
		}
	}
}

func TestPutStripsJPEG(t *testing.T) {
	s := newStore(t)
	in := withSegments(plainJPEG(t), []byte("trailer"), exifAPP1(6, binary.LittleEndian))
	b, err := s.Put(context.Background(), bytes.NewReader(in), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	stored := readAll(t, s, b.SHA256)
	if bytes.Contains(stored, gpsLatitude) || bytes.Contains(stored, []byte("trailer")) {
		t.Error("stored JPEG keeps GPS or trailer")
	}
	if !bytes.HasPrefix(stored, []byte{0xFF, 0xD8}) || !bytes.HasSuffix(stored, []byte{0xFF, 0xD9}) {
		t.Error("stored JPEG not SOI..EOI")
	}
	if b.SHA256 != sum(stored) || b.Size != int64(len(stored)) || b.ContentType != "image/jpeg" {
		t.Errorf("blob %+v does not describe the stored bytes", b)
	}
	if b.SHA256 == sum(in) {
		t.Error("digest is of the original, not the stripped bytes")
	}
	// Evidence keeps everything.
	k, err := s.PutKeepMetadata(context.Background(), bytes.NewReader(in), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if k.SHA256 != sum(in) || !bytes.Equal(readAll(t, s, k.SHA256), in) {
		t.Error("PutKeepMetadata changed the bytes")
	}
}

func TestInvalidSHA(t *testing.T) {
	s := newStore(t)
	for _, bad := range []string{
		"", "abc", "../../etc/passwd",
		strings.Repeat("a", 63), strings.Repeat("a", 65),
		strings.Repeat("A", 64), // upper case is not the stored form
		"../" + strings.Repeat("a", 61),
		strings.Repeat("a", 62) + "/x",
		strings.Repeat("g", 64),
	} {
		if _, err := s.Open(context.Background(), bad); !errors.Is(err, ErrInvalidSHA) {
			t.Errorf("Open(%q) err = %v", bad, err)
		}
		if _, err := s.b.(*Dir).Path(bad); !errors.Is(err, ErrInvalidSHA) {
			t.Errorf("Path(%q) err = %v", bad, err)
		}
	}
	if !ValidSHA(sum(nil)) {
		t.Error("valid digest rejected")
	}
}
