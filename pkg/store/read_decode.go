package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
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

// queryRaw runs a reader's statement with every result column in binary format, the format the raw
// decoders below expect; it verifies that once per result.
func (s *Store) queryRaw(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	rows, err := s.Query(ctx, sql, append([]any{binaryResults}, args...)...)
	if err != nil {
		return nil, err
	}
	for _, f := range rows.FieldDescriptions() {
		if f.Format != pgx.BinaryFormatCode {
			rows.Close()
			return nil, fmt.Errorf("%w: column %s", errFormat, f.Name)
		}
	}
	return rows, nil
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

// push appends v, doubling the capacity when full: append grows large slices by a quarter, which
// copies a million-row column some ten times over while it is read.
func push[T any](s []T, v T) []T {
	if len(s) == cap(s) {
		s = slices.Grow(s, max(len(s), 256))
	}
	return append(s, v)
}

// fit returns s without the spare capacity push left, when that spare is worth a copy: the columns of a
// read are kept for a while, and up to half of a doubled column is spare.
func fit[T any](s []T) []T {
	if cap(s)-len(s) <= len(s)/8 {
		return s
	}
	return slices.Clone(s)
}

// fit trims the buffers of a column once it is complete.
func (s *Strings) fit() {
	s.buf, s.end = fit(s.buf), fit(s.end)
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
	if len(s.buf)+len(b) > cap(s.buf) {
		s.buf = slices.Grow(s.buf, max(len(s.buf), len(b), 4096))
	}
	s.buf = append(s.buf, b...)
	s.end = push(s.end, uint32(len(s.buf)))
}

func (s *Strings) bytes(i int) []byte {
	start := uint32(0)
	if i > 0 {
		start = s.end[i-1]
	}
	return s.buf[start:s.end[i]]
}
