package attach

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
)

// stripJPEG copies the JPEG read from r to w without the metadata that can
// locate or identify the person who took the picture. It parses the marker
// segments (and scans through entropy-coded data to find the markers after
// it) and keeps only what decoding needs:
//
//   - kept: SOI, EOI, APP0 (JFIF), APP2 "ICC_PROFILE" (colours), APP14
//     "Adobe" (colour transform), quantisation and Huffman tables, frame and
//     scan headers, restart markers, entropy-coded data, and every other
//     non-APP segment;
//   - dropped: APP1 (Exif, which holds the GPS IFD, camera serial numbers and
//     owner names; and XMP, which can hold GPS too), APP3–APP13 and APP15
//     (IPTC location fields, maker data), other APP2 data (MPF), COM
//     comments, stray bytes between segments, and everything after the first
//     EOI (appended second images and vendor trailers);
//   - rebuilt: when the first Exif segment has an Orientation tag other than 1,
//     a minimal Exif segment holding only that tag takes its place, so that
//     phone photos still display upright.
//
// The output is never longer than the input. Malformed or truncated input
// is not an error: what can be parsed is copied, what cannot is dropped.
// Input that does not start with SOI is copied unchanged. Only read and write
// errors are returned.
func stripJPEG(w io.Writer, r io.Reader) error {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 64<<10)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := stripJPEGBuffered(bw, br); err != nil {
		return err
	}
	return bw.Flush()
}

func stripJPEGBuffered(w *bufio.Writer, r *bufio.Reader) error {
	head, err := r.Peek(2)
	if err != nil || head[0] != 0xFF || head[1] != 0xD8 {
		if isEnd(err) || err == nil {
			_, err = io.Copy(w, r)
		}
		return err
	}
	r.Discard(2)
	w.Write([]byte{0xFF, 0xD8})
	exifDone := false
	pending := -1 // marker already read by the entropy scanner
	for {
		var m byte
		if pending >= 0 {
			m, pending = byte(pending), -1
		} else {
			m, err = nextMarker(r)
			if err != nil {
				return endErr(err)
			}
		}
		switch {
		case m == 0xD8 || m == 0x00: // stray SOI, or FF00 outside scan data: drop
			continue
		case m == 0xD9: // EOI: done; drop any trailer
			_, err := w.Write([]byte{0xFF, 0xD9})
			return err
		case m == 0x01 || (m >= 0xD0 && m <= 0xD7): // TEM, RSTn: no length
			w.Write([]byte{0xFF, m})
			continue
		}
		var lb [2]byte
		if _, err := io.ReadFull(r, lb[:]); err != nil {
			return endErr(err)
		}
		n := int(binary.BigEndian.Uint16(lb[:]))
		if n < 2 {
			continue // bogus length: drop the marker
		}
		payload := make([]byte, n-2)
		if _, err := io.ReadFull(r, payload); err != nil {
			return endErr(err) // truncated segment: dropped
		}
		switch keepSegment(m, payload) {
		case segKeep:
			w.Write([]byte{0xFF, m})
			w.Write(lb[:])
			w.Write(payload)
		case segExif:
			if !exifDone {
				exifDone = true
				if o := exifOrientation(payload); o > 1 {
					w.Write(minimalExif(o))
				}
			}
		}
		if m == 0xDA { // start of scan: entropy-coded data follows
			next, err := copyEntropy(w, r)
			if err != nil {
				return endErr(err)
			}
			pending = int(next)
		}
	}
}

func isEnd(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// endErr turns the end of input into a normal stop.
func endErr(err error) error {
	if isEnd(err) {
		return nil
	}
	return err
}

// nextMarker skips bytes up to a 0xFF, then fill bytes, and returns the
// marker code.
func nextMarker(r *bufio.Reader) (byte, error) {
	for {
		b, err := r.ReadByte()
		if err != nil {
			return 0, err
		}
		if b != 0xFF {
			continue // garbage between segments
		}
		for b == 0xFF {
			if b, err = r.ReadByte(); err != nil {
				return 0, err
			}
		}
		return b, nil
	}
}

// copyEntropy copies entropy-coded data (with its stuffed FF00 bytes and
// restart markers) and returns the code of the marker that ends it.
func copyEntropy(w *bufio.Writer, r *bufio.Reader) (byte, error) {
	for {
		chunk, err := r.ReadSlice(0xFF)
		switch {
		case err == bufio.ErrBufferFull:
			w.Write(chunk)
			continue
		case err != nil:
			w.Write(chunk)
			return 0, err
		}
		w.Write(chunk[:len(chunk)-1])
		b, err := r.ReadByte()
		if err != nil {
			return 0, err
		}
		for b == 0xFF {
			if b, err = r.ReadByte(); err != nil {
				return 0, err
			}
		}
		if b == 0x00 || (b >= 0xD0 && b <= 0xD7) {
			w.Write([]byte{0xFF, b})
			continue
		}
		return b, nil
	}
}

type segAction int

const (
	segDrop segAction = iota
	segKeep
	segExif
)

func keepSegment(m byte, payload []byte) segAction {
	switch {
	case m == 0xE0: // JFIF / JFXX
		return segKeep
	case m == 0xE1:
		if bytes.HasPrefix(payload, []byte("Exif\x00")) {
			return segExif
		}
		return segDrop // XMP and others
	case m == 0xE2:
		if bytes.HasPrefix(payload, []byte("ICC_PROFILE\x00")) {
			return segKeep
		}
		return segDrop
	case m == 0xEE:
		if bytes.HasPrefix(payload, []byte("Adobe")) {
			return segKeep
		}
		return segDrop
	case m >= 0xE3 && m <= 0xEF, m == 0xFE:
		return segDrop
	}
	return segKeep
}

// exifOrientation returns the Orientation tag (1–8) from IFD0 of an Exif
// APP1 payload, or 0. The IFD must be complete (entries and next-IFD
// offset), which guarantees the payload is at least as long as the minimal
// segment that replaces it.
func exifOrientation(p []byte) int {
	if len(p) < 6+8 {
		return 0
	}
	t := p[6:]
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	if bo.Uint16(t[2:4]) != 42 {
		return 0
	}
	off := int64(bo.Uint32(t[4:8]))
	if off < 8 || off+2 > int64(len(t)) {
		return 0
	}
	n := int64(bo.Uint16(t[off:]))
	if off+2+12*n+4 > int64(len(t)) {
		return 0
	}
	for i := int64(0); i < n; i++ {
		e := t[off+2+12*i:]
		if bo.Uint16(e[0:2]) == 0x0112 && bo.Uint16(e[2:4]) == 3 && bo.Uint32(e[4:8]) == 1 {
			if v := int(bo.Uint16(e[8:10])); v >= 1 && v <= 8 {
				return v
			}
			return 0
		}
	}
	return 0
}

// minimalExif returns a whole APP1 segment (36 bytes) holding an Exif IFD0
// with only the Orientation tag.
func minimalExif(orientation int) []byte {
	return []byte{
		0xFF, 0xE1, 0x00, 0x22, // APP1, length 34
		'E', 'x', 'i', 'f', 0, 0,
		'I', 'I', 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00, // TIFF header, IFD0 at 8
		0x01, 0x00, // one entry
		0x12, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, byte(orientation), 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, // no next IFD
	}
}
