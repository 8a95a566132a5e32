package engine

import (
	"context"
	"slices"
	"strconv"
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
	r.From, r.To = from, to
	if byTime {
		r.Phase = slotPhase(from, align)
	}
	s, err := e.helpdesk.ReadSurveySlots(ctx, r)
	if err != nil {
		return nil, err
	}
	d.read("%s", surveySlotsText(r))
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	type adder struct {
		part int
		add  func(s *store.SurveySlots, i int, a *acc)
	}
	var adds []adder
	for mi, m := range ag.metrics {
		for pi, p := range m.parts {
			adds = append(adds, adder{ag.offsets[mi] + pi, p.survey})
		}
	}
	resolve := func(dim string, in *interner) resolver { return surveySlotResolver(s, dim, in) }
	if !ag.rollUp(s.Len(), s.Start, resolve, func(i int, accs []acc) {
		for _, x := range adds {
			x.add(s, i, &accs[x.part])
		}
	}) {
		return nil, nil
	}
	return ag, nil
}

// surveySlotResolver resolves a dimension of survey slot rows, with the labels of surveyResolver:
// (none) for a NULL column or a missing ticket, and for no score.
func surveySlotResolver(s *store.SurveySlots, dim string, in *interner) resolver {
	single := func(dict *store.Dict, col []int32) resolver {
		return func(i int, buf []int32) []int32 { return append(buf, in.from(dict, col[i], labelNone)) }
	}
	switch dim {
	case "agent":
		return single(s.Agents, s.Agent)
	case "channel":
		return single(s.Channels, s.Channel)
	case "project":
		return single(s.Projects, s.Project)
	case "topic":
		return single(s.Topics, s.Topic)
	case "priority":
		return single(s.Priorities, s.Priority)
	}
	return func(i int, buf []int32) []int32 {
		if s.Score[i] == 0 {
			return append(buf, in.id(labelNone))
		}
		return append(buf, in.id(strconv.Itoa(int(s.Score[i]))))
	}
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
