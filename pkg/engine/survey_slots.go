package engine

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/supportops/grafana-support-analytics/pkg/models"
	"github.com/supportops/grafana-support-analytics/pkg/store"
)

// The CSAT metrics (surveys sent, responses, response rate, CSAT, average, lower bound) are counts
// and sums of surveys. Sliced and filtered by time and by columns of the survey and its ticket
// (agent, channel, project, topic, priority, score), PostgreSQL counts them per 15-minute slot
// (store.ReadSurveySlots) and they are rolled up as the order slots are (slots.go): the tickets and
// surveys of the range are not read. Tags, segments and handled_by need the tickets themselves, and
// the participants credit rule their messages: those queries read the rows (dataset.go).

// surveySlotDims are the dimensions a survey slot carries besides time.
var surveySlotDims = []string{"agent", "channel", "project", "topic", "priority", "score"}

// surveySlotRead reports whether the query can be answered from survey slots, and the read that
// answers it over a range: the time bases and the columns it slices or filters by, and no other.
func (e *Engine) surveySlotRead(metrics []*Metric, dims []string, byTime bool, o options) (store.SurveySlotRead, bool) {
	r := store.SurveySlotRead{ByTime: byTime}
	if e.rowsOnly {
		return r, false
	}
	for _, m := range metrics {
		for _, p := range m.parts {
			if p.survey == nil {
				return r, false
			}
			r.Responded = r.Responded || p.basis == basisResponded
			r.Sent = r.Sent || p.basis == basisSent
		}
	}
	used := slices.Clone(dims)
	for _, c := range o.conditions() {
		used = append(used, c.dim)
	}
	for _, dim := range used {
		if !slices.Contains(surveySlotDims, dim) {
			return r, false
		}
		switch dim {
		case "agent":
			if e.settings.CSATCredit == models.CSATCreditParticipants {
				return r, false // the agents who wrote in the ticket: its messages are read
			}
			r.ByAgent = true
		case "channel":
			r.ByChannel = true
		case "project":
			r.ByProject = true
		case "topic":
			r.ByTopic = true
		case "priority":
			r.ByPriority = true
		case "score":
			r.ByScore = true
		}
	}
	return r, true
}

// aggregateSurveySlots aggregates the metrics over the survey slots of [from, to). As
// aggregateSlots, it returns nil, and no error, when a slot straddles two buckets: the caller then
// reads the surveys.
func (e *Engine) aggregateSurveySlots(ctx context.Context, metrics []*Metric, dims []string, byTime bool, from, to time.Time,
	o options, align *alignment, r store.SurveySlotRead) (*aggregation, error) {
	d := &dataset{e: e, opts: o, from: from.UnixMicro(), to: to.UnixMicro(), now: e.now().UnixMicro()}
	ag := newAggregation(d, metrics, dims, byTime, from, to, o, align)
	if !ag.onSlotGrid() {
		return nil, nil
	}
	if byTime {
		r.Phase = slotPhase(from, align)
	}
	add := partAdder(ag, func(p part) func(*store.SurveySlots, int, *acc) { return p.survey })
	// Their sums add up: a slot cut by a piece's bound has its surveys in two rows, each inside the
	// range, which rollUp puts in the same bucket.
	reads, pieces, err := readInPieces(e, from, to, func(from, to time.Time) (*store.SurveySlots, error) {
		r := r
		r.From, r.To = from, to
		return e.helpdesk.ReadSurveySlots(ctx, r)
	})
	if err != nil {
		return nil, err
	}
	for _, piece := range pieces {
		r.From, r.To = piece[0], piece[1]
		d.read("%s", surveySlotsText(r))
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, s := range reads {
		resolve := func(dim string, in *interner) resolver { return surveySlotResolver(s, dim, in) }
		if !ag.rollUp(s.Len(), s.Start, resolve, func(i int, accs []acc) { add(s, i, accs) }) {
			return nil, nil
		}
	}
	return ag, nil
}

// readInPieces reads [from, to) in the pieces of readPieces, concurrently: the reads and their pieces.
func readInPieces[T any](e *Engine, from, to time.Time, read func(from, to time.Time) (T, error)) ([]T, [][2]time.Time, error) {
	pieces := e.readPieces(from, to)
	reads := make([]T, len(pieces))
	var g group
	for k, piece := range pieces {
		g.run(func() (err error) {
			reads[k], err = read(piece[0], piece[1])
			return err
		})
	}
	return reads, pieces, g.wait()
}

// partAdder adds row i of a summed read to the accumulators of a bucket, through each part's adder
// of that read (pick).
func partAdder[S any](ag *aggregation, pick func(p part) func(S, int, *acc)) func(s S, i int, accs []acc) {
	type adder struct {
		part int
		add  func(S, int, *acc)
	}
	var adds []adder
	seen := make([]bool, ag.nparts)
	for mi, m := range ag.metrics {
		for pi, p := range m.parts {
			if idx := ag.slot[mi][pi]; !seen[idx] { // a shared accumulator is added to once
				seen[idx] = true
				adds = append(adds, adder{idx, pick(p)})
			}
		}
	}
	return func(s S, i int, accs []acc) {
		for _, x := range adds {
			x.add(s, i, &accs[x.part])
		}
	}
}

// readPieces splits [from, to) for the reads that PostgreSQL sums (survey slots, order slots, product
// sums). With a read cache, the cells of the read grid that the range covers whole are one read, and
// each cut cell at its ends another: an auto-refresh, the same range moved forward by a minute, then
// finds the middle read in the cache and reads only the two small ends again. Without a cache (alerts,
// tests), the range is one read.
func (e *Engine) readPieces(from, to time.Time) [][2]time.Time {
	g := e.grid(from, to)
	if g <= 0 {
		return [][2]time.Time{{from, to}}
	}
	// The first cell is an end even when the range starts on its boundary: moved forward, the range
	// then keeps the same middle.
	a, b := from.Truncate(g).Add(g), to.Truncate(g)
	if !a.Before(b) {
		return [][2]time.Time{{from, to}}
	}
	out := [][2]time.Time{{from, a}, {a, b}}
	if b.Before(to) {
		out = append(out, [2]time.Time{b, to})
	}
	return out
}

// surveySlotResolver resolves a dimension of survey slot rows, with the labels of surveyResolver:
// (none) for a NULL column or a missing ticket, and for no score.
func surveySlotResolver(s *store.SurveySlots, dim string, in *interner) resolver {
	switch dim {
	case "agent":
		return in.column(s.Agents, s.Agent)
	case "channel":
		return in.column(s.Channels, s.Channel)
	case "project":
		return in.column(s.Projects, s.Project)
	case "topic":
		return in.column(s.Topics, s.Topic)
	case "priority":
		return in.column(s.Priorities, s.Priority)
	}
	return func(i int, buf []int32) []int32 { return append(buf, in.scoreID(s.Score[i])) }
}

// surveySlotsText names a survey slot read, for Executed: "csat_responses answered [from, to) summed
// by PostgreSQL per 15m0s slot and agent, channel".
func surveySlotsText(r store.SurveySlotRead) string {
	what := "sent or answered"
	switch {
	case !r.Sent:
		what = "answered"
	case !r.Responded:
		what = "sent"
	}
	var by []string
	for _, c := range []struct {
		on   bool
		name string
	}{{r.ByAgent, "agent"}, {r.ByChannel, "channel"}, {r.ByProject, "project"}, {r.ByTopic, "topic"}, {r.ByPriority, "priority"},
		{r.ByScore, "score"}} {
		if c.on {
			by = append(by, c.name)
		}
	}
	text := "csat_responses " + what + " " + span(r.From, r.To) + " summed by PostgreSQL"
	switch {
	case r.ByTime && len(by) > 0:
		text += " per " + store.SlotWidth.String() + " slot and " + strings.Join(by, ", ")
	case r.ByTime:
		text += " per " + store.SlotWidth.String() + " slot"
	case len(by) > 0:
		text += " by " + strings.Join(by, ", ")
	}
	return text
}
