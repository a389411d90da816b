package search

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"slices"
)

// Posting lists are kept per token and block of BlockSize case ids: a row
// (token, block, ids) where block = id >> BlockBits and ids holds the low
// bits of every case id in the block that has the token. A sparse block is a
// sorted array of little-endian uint16 offsets (2 bytes each); a dense one,
// from sparseMax offsets on, is a bitmap of BlockSize bits (512 bytes). A
// row is therefore never larger than 512 bytes, and a token held by every
// case of a million costs 245 rows of 512 bytes.

// BlockBits is log2 of the number of case ids per posting block.
const BlockBits = 12

// BlockSize is the number of case ids per posting block.
const BlockSize = 1 << BlockBits

const bitmapBytes = BlockSize / 8

// sparseMax is the largest number of offsets kept as an array: at 256
// offsets the array would reach the bitmap's 512 bytes.
const sparseMax = bitmapBytes/2 - 1

// bitmap is one block's set of offsets.
type bitmap [BlockSize / 64]uint64

func (b *bitmap) add(off uint16)      { b[off>>6] |= 1 << (off & 63) }
func (b *bitmap) has(off uint16) bool { return b[off>>6]&(1<<(off&63)) != 0 }
func (b *bitmap) and(o *bitmap) {
	for i := range b {
		b[i] &= o[i]
	}
}
func (b *bitmap) or(o *bitmap) {
	for i := range b {
		b[i] |= o[i]
	}
}
func (b *bitmap) andNot(o *bitmap) {
	for i := range b {
		b[i] &^= o[i]
	}
}
func (b *bitmap) empty() bool              { return b.count() == 0 }
func (b *bitmap) clone() *bitmap           { c := *b; return &c }
func (b *bitmap) setAll(o *bitmap) *bitmap { *b = *o; return b }

func (b *bitmap) count() int {
	n := 0
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return n
}

// offsets lists the set offsets in ascending order.
func (b *bitmap) offsets() []uint16 {
	out := make([]uint16, 0, b.count())
	for i, w := range b {
		for w != 0 {
			t := bits.TrailingZeros64(w)
			out = append(out, uint16(i*64+t))
			w &= w - 1
		}
	}
	return out
}

// encode renders the block in its stored form.
func (b *bitmap) encode() []byte {
	n := b.count()
	if n <= sparseMax {
		out := make([]byte, 0, 2*n)
		for _, off := range b.offsets() {
			out = binary.LittleEndian.AppendUint16(out, off)
		}
		return out
	}
	out := make([]byte, bitmapBytes)
	for i, w := range b {
		binary.LittleEndian.PutUint64(out[8*i:], w)
	}
	return out
}

// decode reads a stored block.
func decode(p []byte) (*bitmap, error) {
	var b bitmap
	switch {
	case len(p) == bitmapBytes:
		for i := range b {
			b[i] = binary.LittleEndian.Uint64(p[8*i:])
		}
	case len(p)%2 == 0 && len(p)/2 <= sparseMax:
		for i := 0; i < len(p); i += 2 {
			off := binary.LittleEndian.Uint16(p[i:])
			if off >= BlockSize {
				return nil, fmt.Errorf("search: posting offset %d out of range", off)
			}
			b.add(off)
		}
	default:
		return nil, fmt.Errorf("search: posting block of %d bytes", len(p))
	}
	return &b, nil
}

// idsDesc lists the case ids of a block in descending order, below before
// (0: all).
func (b *bitmap) idsDesc(block int64, before int64) []int64 {
	offs := b.offsets()
	slices.Reverse(offs)
	out := make([]int64, 0, len(offs))
	for _, off := range offs {
		id := block<<BlockBits | int64(off)
		if before > 0 && id >= before {
			continue
		}
		out = append(out, id)
	}
	return out
}
