package store

import (
	"hash/maphash"
	"unsafe"
)

// strTable maps strings to positions in a column the caller keeps (a Dict's values, a Strings
// column): an open-addressing table of one word per slot (part of the hash, and the position). It
// holds a few bytes per string where a Go map takes some thirty, and finds a key of a large table in
// about one cache miss: a million customer keys are looked up once per order read.
type strTable struct {
	seed  maphash.Seed
	slots []uint64 // tag<<32 | position+1; 0 empty
	mask  uint64
	n     int
}

func newStrTable(capacity int) strTable {
	size := uint64(16)
	for size < uint64(capacity)*2 {
		size *= 2
	}
	return strTable{seed: maphash.MakeSeed(), slots: make([]uint64, size), mask: size - 1}
}

// tagOf is the part of a hash kept in a slot; never 0, so that a slot in use is never 0.
func tagOf(h uint64) uint64 { return h>>32 | 1 }

// find returns the position of v among the strings at(i), or -1 and the empty slot where it goes.
func (t *strTable) find(v string, at func(i int) string) (int32, uint64) {
	h := maphash.String(t.seed, v)
	for p := h & t.mask; ; p = (p + 1) & t.mask {
		slot := t.slots[p]
		if slot == 0 {
			return -1, p
		}
		if slot>>32 == tagOf(h) && at(int(uint32(slot)-1)) == v {
			return int32(uint32(slot) - 1), p
		}
	}
}

// insert records v at position pos in the empty slot find returned, growing the table when half full.
func (t *strTable) insert(slot uint64, v string, pos int, at func(i int) string) {
	t.slots[slot] = tagOf(maphash.String(t.seed, v))<<32 | uint64(pos+1)
	t.n++
	if uint64(t.n)*2 <= uint64(len(t.slots)) {
		return
	}
	old := t.slots
	t.slots, t.mask = make([]uint64, 2*len(old)), uint64(2*len(old)-1)
	for _, s := range old {
		if s != 0 {
			h := maphash.String(t.seed, at(int(uint32(s)-1)))
			p := h & t.mask
			for t.slots[p] != 0 {
				p = (p + 1) & t.mask
			}
			t.slots[p] = s
		}
	}
}

// Dict encodes strings as dense int32 ids while rows stream in, so that joins and group-bys work on
// integers. Id -1 is NULL.
type Dict struct {
	Values []string
	table  strTable
	arena  []byte // the bytes of the values added from rows, side by side: one allocation per chunk
}

const dictChunk = 64 << 10

// NewDict returns an empty dictionary.
func NewDict() *Dict { return &Dict{table: newStrTable(0)} }

func (d *Dict) at(i int) string { return d.Values[i] }

// ID returns the id of s, adding it when new.
func (d *Dict) ID(s string) int32 {
	id, slot := d.table.find(s, d.at)
	if id >= 0 {
		return id
	}
	id = int32(len(d.Values))
	d.Values = append(d.Values, s)
	d.table.insert(slot, s, int(id), d.at)
	return id
}

// Lookup returns the id of s, or -1 when s was never seen.
func (d *Dict) Lookup(s string) int32 {
	id, _ := d.table.find(s, d.at)
	return id
}

// LookupBytes returns the id of the string in b, or -1 when it was never seen.
func (d *Dict) LookupBytes(b []byte) int32 { return d.Lookup(unsafeString(b)) }

// idBytes returns the id of the string in b, adding it when new; b is copied only then.
func (d *Dict) idBytes(b []byte) int32 {
	id, slot := d.table.find(unsafeString(b), d.at)
	if id >= 0 {
		return id
	}
	if len(d.arena)+len(b) > cap(d.arena) {
		d.arena = make([]byte, 0, max(dictChunk, len(b)))
	}
	start := len(d.arena)
	d.arena = append(d.arena, b...)
	v := unsafeString(d.arena[start:])
	id = int32(len(d.Values))
	d.Values = append(d.Values, v)
	d.table.insert(slot, v, int(id), d.at) // the slot find left empty: the key is hashed once more only to store its tag
	return id
}

// rawID is the id of a raw text value, -1 for NULL.
func (d *Dict) rawID(b []byte) int32 {
	if b == nil {
		return -1
	}
	return d.idBytes(b)
}

// StringIndex finds a string's position in a Strings column.
type StringIndex struct {
	s     *Strings
	table strTable
}

// Index builds the index of s. The first position of a string that occurs twice wins.
func (s *Strings) Index() *StringIndex {
	x := &StringIndex{s: s, table: newStrTable(s.Len())}
	for i := range s.Len() {
		if id, slot := x.table.find(s.At(i), s.At); id < 0 {
			x.table.insert(slot, s.At(i), i, s.At)
		}
	}
	return x
}

// LookupString returns the position of v, or -1.
func (x *StringIndex) LookupString(v string) int32 {
	id, _ := x.table.find(v, x.s.At)
	return id
}

// LookupBytes returns the position of v, or -1.
func (x *StringIndex) LookupBytes(v []byte) int32 { return x.LookupString(unsafeString(v)) }

// unsafeString views b as a string, for lookups that do not keep it.
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
