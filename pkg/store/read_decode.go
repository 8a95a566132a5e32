package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"unsafe"

	"github.com/jackc/pgx/v5"
)

// The readers decode rows from their raw binary values (pgx RawValues) straight into columns: no
// time.Time, no *string and no allocation per row, which is most of the cost of reading a million
// rows with rows.Scan.

// binaryResults asks PostgreSQL for every result column in binary format.
var binaryResults = pgx.QueryResultFormats{pgx.BinaryFormatCode}

// errFormat is a bug guard: a result column not in the binary format the decoders expect.
var errFormat = errors.New("unexpected result format")

// checkBinary verifies, once per result, that every column came in binary format.
func checkBinary(rows pgx.Rows) error {
	for _, f := range rows.FieldDescriptions() {
		if f.Format != pgx.BinaryFormatCode {
			return fmt.Errorf("%w: column %s", errFormat, f.Name)
		}
	}
	return nil
}

// postgresEpoch is 2000-01-01 in Unix microseconds: binary timestamps count from it.
const postgresEpoch = 946_684_800_000_000

// rawMicros decodes a binary timestamptz as Unix microseconds, Null for NULL. Infinite timestamps
// become the extreme instants.
func rawMicros(b []byte) int64 {
	if b == nil {
		return Null
	}
	v := int64(binary.BigEndian.Uint64(b))
	switch v {
	case math.MaxInt64, math.MinInt64:
		return v
	}
	return v + postgresEpoch
}

// rawInt decodes a binary int2, int4 or int8, def for NULL.
func rawInt(b []byte, def int64) int64 {
	switch len(b) {
	case 2:
		return int64(int16(binary.BigEndian.Uint16(b)))
	case 4:
		return int64(int32(binary.BigEndian.Uint32(b)))
	case 8:
		return int64(binary.BigEndian.Uint64(b))
	}
	return def
}

func rawBool(b []byte) bool { return len(b) == 1 && b[0] != 0 }

// rawStrings calls f with each non-NULL element of a binary one-dimensional text array (the
// element type is not checked: text and varchar are both bytes).
func rawStrings(b []byte, f func([]byte)) error {
	if len(b) < 12 {
		if b == nil {
			return nil
		}
		return fmt.Errorf("%w: short array", errFormat)
	}
	ndim := binary.BigEndian.Uint32(b)
	if ndim == 0 {
		return nil
	}
	if ndim != 1 || len(b) < 20 {
		return fmt.Errorf("%w: array of %d dimensions", errFormat, ndim)
	}
	n := int(binary.BigEndian.Uint32(b[12:]))
	p := 20
	for range n {
		if p+4 > len(b) {
			return fmt.Errorf("%w: truncated array", errFormat)
		}
		l := int(int32(binary.BigEndian.Uint32(b[p:])))
		p += 4
		if l < 0 {
			continue
		}
		if p+l > len(b) {
			return fmt.Errorf("%w: truncated array", errFormat)
		}
		f(b[p : p+l])
		p += l
	}
	return nil
}

// Strings is a column of strings kept in one buffer: a million ids cost their bytes and four
// bytes each, instead of a string header and an allocation each.
type Strings struct {
	buf []byte
	end []uint32 // end offset of string i in buf
}

// Len is the number of strings.
func (s *Strings) Len() int { return len(s.end) }

// At returns string i. It shares the column's memory, which is never written after the read.
func (s *Strings) At(i int) string {
	b := s.bytes(i)
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// Append adds a string.
func (s *Strings) Append(v string) { s.add([]byte(v)) }

func (s *Strings) add(b []byte) {
	s.buf = append(s.buf, b...)
	s.end = append(s.end, uint32(len(s.buf)))
}

// StringIndex finds a string's position in a column of strings: an open-addressing table of one
// word per slot (a hash tag and the position), which costs a few bytes per string where a Go map
// takes some thirty, and finds a key of a large table in about one cache miss.
type StringIndex struct {
	at    func(i int) string
	seed  maphash.Seed
	slots []uint64 // tag<<32 | position+1; 0 empty
	mask  uint64
}

// NewStringIndex indexes the n strings at(0) ... at(n-1). The first position of a string that occurs
// twice wins.
func NewStringIndex(n int, at func(i int) string) *StringIndex {
	size := uint64(16)
	for size < uint64(n)*2 {
		size *= 2
	}
	x := &StringIndex{at: at, seed: maphash.MakeSeed(), slots: make([]uint64, size), mask: size - 1}
	for i := range n {
		v := at(i)
		h := maphash.String(x.seed, v)
		for p := h & x.mask; ; p = (p + 1) & x.mask {
			slot := x.slots[p]
			if slot == 0 {
				x.slots[p] = tagOf(h)<<32 | uint64(i+1)
				break
			}
			if slot>>32 == tagOf(h) && at(int(uint32(slot)-1)) == v {
				break
			}
		}
	}
	return x
}

// tagOf is the part of a hash kept in a slot; never 0, so that a slot in use is never 0.
func tagOf(h uint64) uint64 { return h>>32 | 1 }

// Index builds the index of s.
func (s *Strings) Index() *StringIndex { return NewStringIndex(s.Len(), s.At) }

// Index builds an index of the dictionary's values: faster than Lookup on large dictionaries.
func (d *Dict) Index() *StringIndex {
	return NewStringIndex(len(d.Values), func(i int) string { return d.Values[i] })
}

// Lookup returns the position of b, or -1.
func (x *StringIndex) Lookup(b []byte) int32 {
	return x.LookupString(unsafe.String(unsafe.SliceData(b), len(b)))
}

// LookupString returns the position of v, or -1.
func (x *StringIndex) LookupString(v string) int32 {
	h := maphash.String(x.seed, v)
	for p := h & x.mask; ; p = (p + 1) & x.mask {
		slot := x.slots[p]
		if slot == 0 {
			return -1
		}
		if slot>>32 == tagOf(h) && x.at(int(uint32(slot)-1)) == v {
			return int32(uint32(slot) - 1)
		}
	}
}

func (s *Strings) bytes(i int) []byte {
	start := uint32(0)
	if i > 0 {
		start = s.end[i-1]
	}
	return s.buf[start:s.end[i]]
}
