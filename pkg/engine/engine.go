// Package engine turns a parsed query into numbers: it decides which rows to read, reads them through
// the stores, and computes every metric of the catalog in Go, exactly.
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
	ReadSurveys(ctx context.Context, from, to time.Time) (*store.Surveys, error)
	ReadDisplays(ctx context.Context, from, to time.Time) (*store.Displays, error)
	ReadTicketValues(ctx context.Context, dim string, from, to time.Time) ([]string, error)
	ReadTicketScores(ctx context.Context, ids []string) (map[string]int16, error)
	Has(ctx context.Context, name string) (bool, error)
	Label() string
}

// OrderReader is what the engine reads from the order store.
type OrderReader interface {
	ReadOrders(ctx context.Context, r store.OrderRead) (*store.Orders, error)
	ScanOrders(ctx context.Context, r store.OrderRead, f func(o store.Order) error) error
	ReadCustomerTotals(ctx context.Context, r store.TotalsRead) (*store.Totals, error)
	ReadHistory(ctx context.Context, before time.Time, keys, excluded []string, currency string) (*store.History, error)
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
	slaClock  string // calendar or business (SPEC 5.3b)
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
	for dim, values := range o.filters {
		if dim == "segment" {
			for _, v := range values {
				if !slices.Contains(segmentNames[:], v) {
					return o, queryErr("unknown segment %q in filters.segments: use %s", v, strings.Join(segmentNames[:], ", "))
				}
			}
		}
		if dim == "handled_by" {
			for _, v := range values {
				if !slices.Contains(handledByNames[:], v) {
					return o, queryErr("unknown value %q in filters.handledBy: use %s", v, strings.Join(handledByNames[:], ", "))
				}
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
