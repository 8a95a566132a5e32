// Package engine turns a parsed query into numbers: it decides which rows to read, reads them through
// the stores, and computes every metric of the catalog in Go, exactly. Pure order aggregates and top
// products, which need no customer history, and the CSAT counts, are summed by PostgreSQL instead
// (slots.go, survey_slots.go), to the same numbers.
package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/supportops/grafana-support-analytics/pkg/models"
	"github.com/supportops/grafana-support-analytics/pkg/store"
)

// HelpdeskReader is what the engine reads from the helpdesk store.
type HelpdeskReader interface {
	ReadTickets(ctx context.Context, r store.TicketRead) (*store.Tickets, error)
	ReadMessages(ctx context.Context, r store.MessageRead) (*store.Messages, error)
	// ScanMessages hands each message summary of r (without participants) to f as it arrives.
	ScanMessages(ctx context.Context, r store.MessageRead, f func(ticket []byte, firstReply int64, flags uint8)) error
	ReadSurveys(ctx context.Context, from, to time.Time) (*store.Surveys, error)
	ReadSurveySlots(ctx context.Context, r store.SurveySlotRead) (*store.SurveySlots, error)
	ReadDisplays(ctx context.Context, from, to time.Time) (*store.Displays, error)
	ReadTicketValues(ctx context.Context, dim string, from, to time.Time) ([]string, error)
	// ReadTicketScores: each ticket's latest answered score; with answeredFrom set, among the responses answered from then on.
	ReadTicketScores(ctx context.Context, ids []string, answeredFrom time.Time) (map[string]int16, error)
	Has(ctx context.Context, name string) (bool, error)
	Label() string
}

// OrderReader is what the engine reads from the order store.
type OrderReader interface {
	ReadOrders(ctx context.Context, r store.OrderRead) (*store.Orders, error)
	ReadOrderSlots(ctx context.Context, r store.OrderSlotRead) (*store.OrderSlots, error)
	ReadProductSums(ctx context.Context, r store.ProductRead) (*store.ProductSums, error)
	ScanOrders(ctx context.Context, r store.OrderRead, f func(o store.Order) error) error
	ReadCustomerTotals(ctx context.Context, r store.TotalsRead) (*store.Totals, error)
	ReadHistory(ctx context.Context, before time.Time, keys, excluded []string, currency string, capOrders int) (*store.History, error)
	ReadFirstOrders(ctx context.Context, keys, excluded []string, currency string, capOrders int) (*store.FirstOrders, error)
	ReadLines(ctx context.Context, r store.OrderRead, orders *store.Orders) (*store.Lines, error)
	ReadTaggedCustomers(ctx context.Context, tags []string) (map[string]bool, error)
	ReadFeed(ctx context.Context, from, to time.Time, limit int) ([]store.FeedEvent, error)
	ReadOrderValues(ctx context.Context, dim string, from, to time.Time, excluded []string) ([]string, error)
	Has(ctx context.Context, name string) (bool, error)
	Label() string
}

// Engine computes queries for one data source instance.
type Engine struct {
	settings models.Settings
	helpdesk HelpdeskReader
	orders   OrderReader
	now      func() time.Time
	align    time.Duration // read bounds grid (with a cache)
	cache    *readCache    // shares reads and what is derived from them, nil without

	clock *businessClock // the businessHours setting, nil without

	rowsOnly bool // compute every metric from the rows in Go, never from order or survey slots (for tests)
}

// New returns an engine over the two stores with the instance's settings.
func New(settings models.Settings, helpdesk HelpdeskReader, orders OrderReader) *Engine {
	return &Engine{settings: settings, helpdesk: helpdesk, orders: orders, now: time.Now,
		clock: newBusinessClock(settings.BusinessHours)}
}

// WithClock makes the engine read "now" (for SLA targets already passed) from now; for tests.
func (e *Engine) WithClock(now func() time.Time) *Engine {
	c := *e
	c.now = now
	return &c
}

// ErrQuery marks an error in the user's query (as opposed to a store fault or a bug).
var ErrQuery = models.ErrBadQuery

func queryErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrQuery, fmt.Sprintf(format, args...))
}

// ErrMissingRelation marks a query that needs an optional relation the store does not have.
var ErrMissingRelation = errors.New("missing optional relation")

// Request is one query with its time range.
type Request struct {
	Query    models.Query
	From, To time.Time
}

// options are the query's effective settings after its overrides.
type options struct {
	loc       *time.Location
	window    time.Duration
	model     string
	anchor    string // attribution anchor: created or closed
	dateBasis string
	interval  string
	filters   map[string][]string
	slaClock  string      // calendar or business (SPEC 5.3b)
	adhoc     []condition // the dashboard's ad hoc filters this query applies, ANDed with filters
	notices   []string    // warnings: ad hoc filters the user should correct (operator, no value)
	info      []string    // ad hoc filters this query cannot apply: expected on a dashboard-wide filter
}

// condition is one filter on a dimension: keep the rows having one of values, or with exclude leave
// them out. A row with several values (a ticket's tags) has one of values when any of its values is.
type condition struct {
	dim     string
	values  []string
	exclude bool
	text    string // as the user wrote it, for notices
}

// conditions are every filter of the query: its own filters and the ad hoc filters it applies.
func (o options) conditions() []condition {
	out := make([]condition, 0, len(o.filters)+len(o.adhoc))
	for dim, values := range o.filters {
		out = append(out, condition{dim: dim, values: values})
	}
	return append(out, o.adhoc...)
}

// on are the query's filters on dim: its own filter, then the ad hoc filters it applies.
func (o options) on(dim string) []condition {
	var out []condition
	for _, c := range o.conditions() {
		if c.dim == dim {
			out = append(out, c)
		}
	}
	return out
}

// filtered reports whether any filter of the query is on dim.
func (o options) filtered(dim string) bool {
	if len(o.filters[dim]) > 0 {
		return true
	}
	return slices.ContainsFunc(o.adhoc, func(c condition) bool { return c.dim == dim })
}

// filteredDims are the dimensions the query filters by, its own filters first.
func (o options) filteredDims() []string {
	var dims []string
	for dim := range o.filters {
		dims = append(dims, dim)
	}
	slices.Sort(dims)
	for _, c := range o.adhoc {
		if !slices.Contains(dims, c.dim) {
			dims = append(dims, c.dim)
		}
	}
	return dims
}

// keepAdhoc keeps the ad hoc filters the query can apply and tells of each other one in an info
// notice: a dashboard-wide filter meets panels of every kind, and one a panel cannot apply must not
// turn that panel into an error, nor be dropped silently; it is expected, so not a warning. why is ""
// when dim applies.
func (o *options) keepAdhoc(why func(dim string) string) {
	var kept []condition
	for _, c := range o.adhoc {
		if reason := why(c.dim); reason != "" {
			o.info = append(o.info, fmt.Sprintf("the ad hoc filter %s was not applied to this query: %s", c.text, reason))
			continue
		}
		kept = append(kept, c)
	}
	o.adhoc = kept
}

// adhocConditions turns the query's ad hoc filters into conditions. An operator the engine does not
// apply is told of in a notice; a key that names no filterable dimension is an error.
func adhocConditions(filters []models.AdhocFilter) ([]condition, []string, error) {
	var conds []condition
	var notices []string
	for _, f := range filters {
		exclude, values, ok := f.Exclude()
		if !ok {
			notices = append(notices, models.UnsupportedAdhocNotice(f))
			continue
		}
		d, ok := adhocDimension(f.Key)
		if !ok {
			return nil, nil, queryErr("unknown ad hoc filter key %q: this data source filters by %s", f.Key, strings.Join(filterableKeys(), ", "))
		}
		if len(values) == 0 {
			notices = append(notices, fmt.Sprintf("the ad hoc filter %s was not applied: it has no value", f))
			continue
		}
		conds = append(conds, condition{dim: d.Key, values: values, exclude: exclude, text: f.String()})
	}
	return conds, notices, nil
}

// adhocDimension is the dimension an ad hoc filter key names: its dimension key or its filters key.
func adhocDimension(key string) (Dimension, bool) {
	for _, d := range Dimensions {
		if d.Filter != "" && (d.Key == key || d.Filter == key) {
			return d, true
		}
	}
	return Dimension{}, false
}

// filterableKeys are the keys of the dimensions a query can be filtered by.
func filterableKeys() []string {
	var keys []string
	for _, d := range Dimensions {
		if d.Filter != "" {
			keys = append(keys, d.Key)
		}
	}
	return keys
}

// closedValues are the dimensions whose values are a fixed list, checked in filters: the list, the
// filters key and what an error calls a value.
var closedValues = map[string]struct {
	names        []string
	filter, noun string
}{
	"segment":    {segmentNames[:], "filters.segments", "segment"},
	"handled_by": {handledByNames[:], "filters.handledBy", "value"},
}

func (e *Engine) options(r Request) (options, error) {
	q := r.Query
	o := options{window: e.settings.AttributionWindow, model: e.settings.AttributionModel, anchor: e.settings.AttributionAnchor,
		dateBasis: "ticket", interval: q.Interval, filters: q.Filters.ByDimension(), slaClock: e.settings.SLAClock}
	tz := q.Timezone
	if tz == "" || strings.EqualFold(tz, "browser") {
		tz = e.settings.Timezone
	}
	if tz == "" {
		tz = "UTC"
	}
	loc, err := time.LoadLocation(tz)
	if err != nil || strings.EqualFold(tz, "local") {
		return o, queryErr("unknown time zone %q: use an IANA name such as Europe/Paris or UTC", q.Timezone)
	}
	o.loc = loc
	if len(q.UnknownFilters) > 0 {
		return o, queryErr("unknown filter key %s: this data source filters by %s",
			quotedList(q.UnknownFilters), strings.Join(FilterKeys(), ", "))
	}
	if w := q.Attribution.WindowHours; w != nil {
		o.window = time.Duration(*w * float64(time.Hour))
	}
	if m := q.Attribution.Model; m != "" {
		o.model = m
	}
	if o.model == "" {
		o.model = "last_touch"
	}
	if a := q.Attribution.Anchor; a != "" {
		o.anchor = a
	}
	if o.anchor == "" {
		o.anchor = models.AnchorCreated
	}
	if b := q.Attribution.DateBasis; b != "" {
		o.dateBasis = b
	}
	if c := q.SLAClock; c != "" {
		o.slaClock = c
	}
	if o.slaClock == models.SLAClockBusiness && e.clock == nil {
		return o, queryErr("slaClock business counts business hours, which this data source does not have: set businessHours (the team's opening hours) in the data source settings, or use slaClock calendar")
	}
	if !r.To.After(r.From) {
		return o, queryErr("the time range is empty: its end (%s) must be after its start (%s)",
			r.To.UTC().Format(time.RFC3339), r.From.UTC().Format(time.RFC3339))
	}
	if max := e.settings.MaxRangeDays; max > 0 && r.To.Sub(r.From) > time.Duration(max)*24*time.Hour {
		return o, queryErr("the time range is %.0f days, longer than the %d days this data source allows (maxRangeDays): choose a shorter range",
			r.To.Sub(r.From).Hours()/24, max)
	}
	if o.interval == "auto" {
		o.interval = autoInterval(r.From, r.To)
	}
	if o.adhoc, o.notices, err = adhocConditions(q.AdhocFilters); err != nil {
		return o, err
	}
	for _, c := range o.conditions() {
		v, ok := closedValues[c.dim]
		if !ok {
			continue
		}
		for _, value := range c.values {
			if !slices.Contains(v.names, value) {
				where := v.filter
				if c.text != "" {
					where = "the ad hoc filter " + c.text
				}
				return o, queryErr("unknown %s %q in %s: use %s", v.noun, value, where, strings.Join(v.names, ", "))
			}
		}
	}
	return o, nil
}

// plan validates a metrics query against the catalog.
func (e *Engine) plan(ctx context.Context, r Request) ([]*Metric, options, error) {
	o, err := e.options(r)
	if err != nil {
		return nil, o, err
	}
	var metrics []*Metric
	for _, key := range r.Query.Metrics {
		m, ok := Lookup(key)
		if !ok {
			return nil, o, queryErr("unknown metric %q: use one of %s", key, strings.Join(MetricKeys(), ", "))
		}
		if slices.Contains(metrics, m) {
			return nil, o, queryErr("metric %q is asked for twice", key)
		}
		if m.business && e.clock == nil {
			return nil, o, queryErr("metric %s counts business hours, which this data source does not have: set businessHours (the team's opening hours) in the data source settings", key)
		}
		metrics = append(metrics, m)
	}
	for _, dim := range r.Query.GroupBy {
		if _, ok := dimensionByKey(dim); !ok {
			return nil, o, queryErr("unknown groupBy dimension %q: use one of %s", dim, dimensionKeys())
		}
		for _, m := range metrics {
			if !m.Supports(dim) {
				return nil, o, queryErr("metric %s cannot be grouped by %s: it supports %s", m.Key, dim, strings.Join(m.Dimensions, ", "))
			}
		}
	}
	for dim := range o.filters {
		for _, m := range metrics {
			if !m.Supports(dim) {
				d, _ := dimensionByKey(dim)
				return nil, o, queryErr("metric %s cannot be filtered by %s (filters.%s): it supports %s", m.Key, dim, d.Filter, strings.Join(m.Dimensions, ", "))
			}
		}
	}
	o.keepAdhoc(func(dim string) string {
		for _, m := range metrics {
			if !m.Supports(dim) {
				return fmt.Sprintf("metric %s cannot be filtered by %s (it supports %s)", m.Key, dim, strings.Join(m.Dimensions, ", "))
			}
		}
		return ""
	})
	for _, m := range metrics {
		for _, p := range m.parts {
			if p.facts == factDisplay {
				ok, err := e.helpdesk.Has(ctx, "chat_displays")
				if err != nil {
					return nil, o, err
				}
				if !ok {
					return nil, o, fmt.Errorf("%w: metric %s needs the optional relation chat_displays, which the %s does not have (schema %q): create it or a view of that name",
						ErrMissingRelation, m.Key, e.helpdesk.Label(), e.settings.Helpdesk.Schema)
				}
			}
		}
	}
	return metrics, o, nil
}

func dimensionKeys() string {
	keys := make([]string, len(Dimensions))
	for i, d := range Dimensions {
		keys[i] = d.Key
	}
	return strings.Join(keys, ", ")
}

// FilterKeys lists the keys of a query's filters, from the dimension table.
func FilterKeys() []string {
	var keys []string
	for _, d := range Dimensions {
		if d.Filter != "" {
			keys = append(keys, d.Filter)
		}
	}
	return keys
}

func quotedList(keys []string) string {
	q := make([]string, len(keys))
	for i, k := range keys {
		q[i] = fmt.Sprintf("%q", k)
	}
	return strings.Join(q, ", ")
}
