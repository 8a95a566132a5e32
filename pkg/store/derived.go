package store

import (
	"sync/atomic"
)

// Derived lets the engine keep what it derives from a read (attribution pairs, segments, indexes)
// on the read itself. The derived values live exactly as long as the read: a later read, even one
// allocated at the same address once this one is freed, starts with none. Embed it in a read type.
// A read copied after its first use shares its derived values with the copy: copy reads, if at
// all, before using them.
type Derived struct {
	state atomic.Value // *derivedState, set once
}

type derivedState struct {
	id  uint64
	box any
}

// readSeq numbers the reads that derive anything: ids are never reused in the process.
var readSeq atomic.Uint64

// DerivedBox returns the read's id, unique in the process and never reused, and its box for
// derived values, made by mk on first use (by one caller, if several race).
func (d *Derived) DerivedBox(mk func() any) (id uint64, box any) {
	if s, ok := d.state.Load().(*derivedState); ok {
		return s.id, s.box
	}
	s := &derivedState{id: readSeq.Add(1), box: mk()}
	if !d.state.CompareAndSwap(nil, s) {
		s = d.state.Load().(*derivedState)
	}
	return s.id, s.box
}
