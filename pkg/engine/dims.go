package engine

import (
	"strconv"

	"github.com/supportops/grafana-support-analytics/pkg/store"
)

// Labels for rows without a value.
const (
	labelNone = "(none)"
	labelOpen = "(open)"
)

// interner numbers the output values of one dimension.
type interner struct {
	ids    map[string]int32
	values []string
	tables map[*store.Dict][]int32 // source dictionary id -> output id
}

func newInterner() *interner {
	return &interner{ids: map[string]int32{}, tables: map[*store.Dict][]int32{}}
}

func (in *interner) id(v string) int32 {
	if id, ok := in.ids[v]; ok {
		return id
	}
	id := int32(len(in.values))
	in.values = append(in.values, v)
	in.ids[v] = id
	return id
}

// lazyIDs returns the output id of names[k], found once per name: numbered when first asked for, as
// id numbers them (a name never met is never numbered).
func (in *interner) lazyIDs(names []string) func(k int) int32 {
	ids := make([]int32, len(names))
	for k := range ids {
		ids[k] = -1
	}
	return func(k int) int32 {
		if ids[k] < 0 {
			ids[k] = in.id(names[k])
		}
		return ids[k]
	}
}

// from maps a source dictionary id (-1 = NULL) to an output id, through a table built once per dict.
func (in *interner) from(d *store.Dict, id int32, null string) int32 {
	if id < 0 {
		return in.id(null)
	}
	tab, ok := in.tables[d]
	if !ok || int(id) >= len(tab) {
		tab = make([]int32, len(d.Values))
		for i, v := range d.Values {
			tab[i] = in.id(v)
		}
		in.tables[d] = tab
	}
	return tab[id]
}

// resolver returns the output ids of one dimension of row i (several for tags and participants).
type resolver func(i int, buf []int32) []int32

// column resolves a dimension held as dictionary ids, one per row (-1 NULL: (none)).
func (in *interner) column(dict *store.Dict, col []int32) resolver {
	return func(i int, buf []int32) []int32 { return append(buf, in.from(dict, col[i], labelNone)) }
}

// scoreID is the output id of a CSAT score: the number, or (none) for no score (0).
func (in *interner) scoreID(score int16) int32 {
	if score == 0 {
		return in.id(labelNone)
	}
	return in.id(strconv.Itoa(int(score)))
}

// resolve builds the resolver of dimension dim for rows of kind f.
func (d *dataset) resolve(f factKind, dim string, in *interner) resolver {
	switch f {
	case factTicket:
		return d.ticketResolver(dim, in)
	case factPair:
		r := d.ticketResolver(dim, in)
		return func(i int, buf []int32) []int32 { return r(int(d.pairs.ticket[i]), buf) }
	case factSurvey:
		return d.surveyResolver(dim, in)
	case factDisplay:
		x := d.displays
		if dim == "project" {
			return in.column(x.Projects, x.Project)
		}
		return in.column(x.Channels, x.Channel)
	case factOrder:
		return d.orderResolver(dim, in)
	case factLine:
		if dim == "product" {
			l := d.lines
			return func(i int, buf []int32) []int32 { return append(buf, in.id(l.Names[l.Product[i]])) }
		}
		r := d.orderResolver(dim, in)
		return func(i int, buf []int32) []int32 { return r(int(d.lines.Order[i]), buf) }
	}
	return nil
}

func (d *dataset) ticketResolver(dim string, in *interner) resolver {
	t := d.tickets
	single := in.column
	switch dim {
	case "agent":
		return func(i int, buf []int32) []int32 { return append(buf, d.closingAgent(i, in)) }
	case "channel":
		return single(t.Channels, t.Channel)
	case "project":
		return single(t.Projects, t.Project)
	case "topic":
		return single(t.Topics, t.Topic)
	case "priority":
		return single(t.Priorities, t.Priority)
	case "tag":
		return func(i int, buf []int32) []int32 {
			tags := t.Tags(i)
			if len(tags) == 0 {
				return append(buf, in.id(labelNone))
			}
			for _, tag := range tags {
				buf = append(buf, in.from(t.TagNames, tag, labelNone))
			}
			return buf
		}
	case "segment":
		ids := in.lazyIDs(segmentNames[:])
		return func(i int, buf []int32) []int32 { return append(buf, ids(int(d.ticketSeg[i]))) }
	case "handled_by":
		ids := in.lazyIDs(handledByNames[:])
		return func(i int, buf []int32) []int32 { return append(buf, ids(int(handledBy(d.msgs.flags[i])))) }
	}
	return nil
}

// closingAgent is the agent dimension of a ticket: its closing agent, (open) while open, (none) when
// closed without one.
func (d *dataset) closingAgent(i int, in *interner) int32 {
	t := d.tickets
	if t.Closed[i] == store.Null {
		return in.id(labelOpen)
	}
	return in.from(t.Agents, t.ClosingAgent[i], labelNone)
}

// surveyResolver: survey rows take their ticket's dimensions, but for agent (the CSAT credit rule of
// SPEC 5.3) and score.
func (d *dataset) surveyResolver(dim string, in *interner) resolver {
	s := d.surveys
	switch dim {
	case "score":
		return func(i int, buf []int32) []int32 { return append(buf, in.scoreID(s.Score[i])) }
	case "agent":
		participants := d.e.settings.CSATCredit == "participants"
		return func(i int, buf []int32) []int32 {
			ti := d.surveyTkt[i]
			if participants && ti >= 0 {
				if agents := d.msgs.participants(ti); len(agents) > 0 {
					for _, a := range agents {
						buf = append(buf, in.from(d.msgs.read.Agents, a, labelNone))
					}
					return buf
				}
			}
			if !participants && s.Agent[i] >= 0 {
				return append(buf, in.from(s.Agents, s.Agent[i], labelNone))
			}
			if ti < 0 {
				return append(buf, in.id(labelNone))
			}
			return append(buf, d.closingAgent(int(ti), in))
		}
	}
	r := d.ticketResolver(dim, in)
	return func(i int, buf []int32) []int32 {
		ti := d.surveyTkt[i]
		if ti < 0 {
			return append(buf, in.id(labelNone))
		}
		return r(int(ti), buf)
	}
}

func (d *dataset) orderResolver(dim string, in *interner) resolver {
	o := d.orders
	switch dim {
	case "customer_type":
		ids := in.lazyIDs([]string{"returning", "new"})
		return func(i int, buf []int32) []int32 {
			if d.orderNew[i] {
				return append(buf, ids(1))
			}
			return append(buf, ids(0))
		}
	case "project":
		return in.column(o.Projects, o.Project)
	case "currency":
		return in.column(o.Currencies, o.Currency)
	case "segment":
		ids := in.lazyIDs(segmentNames[:])
		return func(i int, buf []int32) []int32 { return append(buf, ids(int(d.orderSeg[i]))) }
	}
	return nil
}
