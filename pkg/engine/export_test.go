package engine

// RowsOnly returns a copy of e that computes every metric from the rows it reads, never from order
// or survey slots: the reference the slot paths are compared with (slots_test.go, survey_slots_test.go).
func RowsOnly(e *Engine) *Engine {
	c := *e
	c.rowsOnly = true
	return &c
}
