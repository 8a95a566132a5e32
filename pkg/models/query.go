package models

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Query types (SPEC 4).
const (
	QueryMetrics     = "metrics"
	QueryTickets     = "tickets"
	QueryTopProducts = "top_products"
	QueryLiveFeed    = "live_feed"
	QueryRetention   = "retention"
	QueryVariable    = "variable"
)

// QueryTypes lists every query type, in the order the editor shows them.
var QueryTypes = []string{QueryMetrics, QueryTickets, QueryTopProducts, QueryLiveFeed, QueryRetention, QueryVariable}

// ErrBadQuery marks every query-model error: the user's query is wrong, not the plugin.
var ErrBadQuery = errors.New("bad query")

func badQuery(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadQuery, fmt.Sprintf(format, args...))
}

// Filters are lists of values, ANDed across keys and ORed within a key; an empty list means all.
type Filters struct {
	Agents        []string `json:"agents,omitempty"`
	Channels      []string `json:"channels,omitempty"`
	Projects      []string `json:"projects,omitempty"`
	Topics        []string `json:"topics,omitempty"`
	Tags          []string `json:"tags,omitempty"`
	Priorities    []string `json:"priorities,omitempty"`
	Segments      []string `json:"segments,omitempty"`
	Scores        []string `json:"scores,omitempty"`
	CustomerTypes []string `json:"customer_types,omitempty"`
	Currencies    []string `json:"currencies,omitempty"`
	Products      []string `json:"products,omitempty"`
	HandledBy     []string `json:"handledBy,omitempty"`
}

// ByDimension returns the filter list of every dimension that has one, keyed by dimension key.
func (f Filters) ByDimension() map[string][]string {
	out := map[string][]string{}
	add := func(dim string, v []string) {
		if len(v) > 0 {
			out[dim] = v
		}
	}
	add("agent", f.Agents)
	add("channel", f.Channels)
	add("project", f.Projects)
	add("topic", f.Topics)
	add("tag", f.Tags)
	add("priority", f.Priorities)
	add("segment", f.Segments)
	add("score", f.Scores)
	add("customer_type", f.CustomerTypes)
	add("currency", f.Currencies)
	add("product", f.Products)
	add("handled_by", f.HandledBy)
	return out
}

func (f *Filters) lists() map[string]*[]string {
	return map[string]*[]string{
		"agents": &f.Agents, "channels": &f.Channels, "projects": &f.Projects, "topics": &f.Topics,
		"tags": &f.Tags, "priorities": &f.Priorities, "segments": &f.Segments, "scores": &f.Scores,
		"customer_types": &f.CustomerTypes, "currencies": &f.Currencies, "products": &f.Products,
		"handledBy": &f.HandledBy,
	}
}

// AdhocFilter is one ad hoc filter of the dashboard (Grafana's AdHocVariableFilter), which the
// frontend copies into every query of the dashboard. Key is a dimension key (agent) or its filters key
// (agents); Values holds the values of the multi-value operators =| and !=|.
type AdhocFilter struct {
	Key      string   `json:"key"`
	Operator string   `json:"operator"`
	Value    string   `json:"value"`
	Values   []string `json:"values,omitempty"`
}

// Ad hoc filter operators the engine applies: equals and not equals, one value or several.
const (
	AdhocEquals       = "="
	AdhocNotEquals    = "!="
	AdhocOneOf        = "=|"
	AdhocNoneOf       = "!=|"
	adhocOperatorList = "=, !=, =| (one of) and !=| (none of)"
)

// Exclude reports whether the filter leaves out the rows having one of its values (!=, !=|), and
// values are its values; ok is false for an operator the engine does not apply.
func (f AdhocFilter) Exclude() (exclude bool, values []string, ok bool) {
	switch f.Operator {
	case AdhocEquals, AdhocNotEquals:
		values = []string{f.Value}
	case AdhocOneOf, AdhocNoneOf:
		values = f.Values
		if len(values) == 0 && f.Value != "" {
			values = []string{f.Value}
		}
	default:
		return false, nil, false
	}
	return f.Operator == AdhocNotEquals || f.Operator == AdhocNoneOf, values, true
}

// String is the filter as Grafana shows it: agent != alice, tag =| refund, vip.
func (f AdhocFilter) String() string {
	v := f.Value
	if (f.Operator == AdhocOneOf || f.Operator == AdhocNoneOf) && len(f.Values) > 0 {
		v = strings.Join(f.Values, ", ")
	}
	return fmt.Sprintf("%s %s %s", f.Key, f.Operator, v)
}

// UnsupportedAdhocNotice is the notice of an ad hoc filter whose operator the engine does not apply.
func UnsupportedAdhocNotice(f AdhocFilter) string {
	return fmt.Sprintf("the ad hoc filter %s was not applied: operator %q is not supported by Support Analytics; use %s",
		f, f.Operator, adhocOperatorList)
}

// Attribution overrides the data source's attribution settings for one query.
type Attribution struct {
	WindowHours *float64 `json:"windowHours,omitempty"`
	Model       string   `json:"model,omitempty"`
	DateBasis   string   `json:"dateBasis,omitempty"`
	Anchor      string   `json:"anchor,omitempty"`
}

// Query is one Grafana DataQuery of this data source (SPEC 4). Field names are a public contract.
type Query struct {
	QueryType   string      `json:"queryType"`
	Metrics     []string    `json:"metrics,omitempty"`
	GroupBy     []string    `json:"groupBy,omitempty"`
	Interval    string      `json:"interval,omitempty"`
	Filters     Filters     `json:"filters"`
	Attribution Attribution `json:"attribution"`
	Compare     string      `json:"compare,omitempty"`
	Timezone    string      `json:"timezone,omitempty"`
	Limit       int         `json:"limit,omitempty"`
	SortBy      string      `json:"sortBy,omitempty"`
	Only        string      `json:"only,omitempty"`
	Basis       string      `json:"basis,omitempty"`  // tickets: which tickets of the range (created, closed, responded, open)
	Stream      bool        `json:"stream,omitempty"` // live_feed: the editor also subscribes to the Live stream
	Months      int         `json:"months,omitempty"`
	Dimension   string      `json:"dimension,omitempty"`
	// SLAClock overrides the slaClock setting for first_response_sla_rate: calendar or business.
	SLAClock string `json:"slaClock,omitempty"`
	// AdhocFilters are the dashboard's ad hoc filters, ANDed with Filters (the frontend sets them).
	AdhocFilters []AdhocFilter `json:"adhocFilters,omitempty"`

	// Notices collects what parsing decided on the user's behalf (uninterpolated variables).
	Notices []string `json:"-"`
	// UnknownFilters are the keys of filters this data source does not know (a typo such as
	// filters.agent, or a key of a newer dashboard): the engine rejects the query, naming them.
	UnknownFilters []string `json:"-"`
}

// FilterKeys lists the JSON keys of Filters, from its field tags: adding a filter field adds its key.
func FilterKeys() []string {
	t := reflect.TypeOf(Filters{})
	keys := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
			keys = append(keys, name)
		}
	}
	return keys
}

// unknownFilters lists the keys of the query's filters object that no Filters field takes, matched
// as encoding/json matches them (case-insensitively), sorted.
func unknownFilters(raw json.RawMessage) []string {
	var shape struct {
		Filters map[string]json.RawMessage `json:"filters"`
	}
	if json.Unmarshal(raw, &shape) != nil {
		return nil
	}
	known := FilterKeys()
	var out []string
	for key := range shape.Filters {
		if !slices.ContainsFunc(known, func(k string) bool { return strings.EqualFold(k, key) }) {
			out = append(out, key)
		}
	}
	slices.Sort(out)
	return out
}

// Default row limits and sizes of SPEC 4.
const (
	DefaultTicketsLimit     = 1000
	DefaultTopProductsLimit = 10
	DefaultLiveFeedLimit    = 50
	DefaultRetentionMonths  = 12
	MaxLimit                = 100000
)

// ParseQuery decodes one query's JSON with its defaults set first, and checks its shape. Checks that
// need the metric catalog or the settings are the engine's.
func ParseQuery(raw json.RawMessage) (Query, error) {
	q := Query{QueryType: QueryMetrics, Interval: "auto", Compare: "none"}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &q); err != nil {
			return q, badQuery("the query is not valid JSON for this data source: %s", jsonProblem(err))
		}
		q.UnknownFilters = unknownFilters(raw)
	}
	if q.QueryType == "" {
		q.QueryType = QueryMetrics
	}
	if q.Interval == "" {
		q.Interval = "auto"
	}
	if q.Compare == "" {
		q.Compare = "none"
	}
	switch q.QueryType {
	case QueryTickets:
		q.Limit = defaultInt(q.Limit, DefaultTicketsLimit)
	case QueryTopProducts:
		q.Limit = defaultInt(q.Limit, DefaultTopProductsLimit)
		if q.SortBy == "" {
			q.SortBy = "revenue"
		}
	case QueryLiveFeed:
		q.Limit = defaultInt(q.Limit, DefaultLiveFeedLimit)
	case QueryRetention:
		q.Months = defaultInt(q.Months, DefaultRetentionMonths)
	}
	q.dropUninterpolated()
	return q, q.Validate()
}

func defaultInt(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

func jsonProblem(err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		return fmt.Sprintf("field %q must be %s, got %s", typeErr.Field, jsonKind(typeErr.Type.Kind().String()), typeErr.Value)
	}
	return err.Error()
}

func jsonKind(k string) string {
	switch k {
	case "slice":
		return "a list"
	case "struct", "map":
		return "an object"
	case "int", "int64", "float64":
		return "a number"
	}
	return "a " + k
}

// uninterpolated matches a template variable Grafana did not replace: $var, ${var}, ${var:fmt},
// [[var]] and $__all. It happens where no browser runs the query (alert rules, public dashboards).
var uninterpolated = regexp.MustCompile(`^(\$\w+|\$\{[^}]*\}|\[\[[^\]]*\]\])$`)

func (q *Query) dropUninterpolated() {
	// Attribution fields set from a dashboard variable fall back to the data source's settings.
	var attrDropped, attrUsed []string
	for _, f := range []struct {
		name, used string
		field      *string
	}{
		{"model", "the data source's attribution model", &q.Attribution.Model},
		{"date basis", "the default date basis (ticket)", &q.Attribution.DateBasis},
		{"anchor", "the data source's attribution anchor", &q.Attribution.Anchor},
	} {
		if v := strings.TrimSpace(*f.field); uninterpolated.MatchString(v) {
			attrDropped = append(attrDropped, fmt.Sprintf("%s (%s)", f.name, v))
			attrUsed = append(attrUsed, f.used)
			*f.field = ""
		}
	}
	lists := q.Filters.lists()
	keys := make([]string, 0, len(lists))
	for key := range lists {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	var dropped, all []string
	for _, key := range keys {
		list := lists[key]
		for _, v := range *list {
			if uninterpolated.MatchString(strings.TrimSpace(v)) {
				dropped = append(dropped, fmt.Sprintf("%s (%s)", key, strings.TrimSpace(v)))
				all = append(all, "all "+strings.ReplaceAll(key, "_", " "))
				*list = nil
				break
			}
		}
	}
	if len(dropped) == 0 && len(attrDropped) == 0 {
		return
	}
	// One notice per query, at info level (frames.Info): in a public or embedded dashboard and in
	// an alert rule this is expected, not a fault.
	var subject, consequence []string
	switch len(dropped) {
	case 0:
	case 1:
		subject = append(subject, "filter "+dropped[0])
		consequence = append(consequence, "showing "+joinAnd(all))
	default:
		subject = append(subject, "filters "+joinAnd(dropped))
		consequence = append(consequence, "showing "+joinAnd(all))
	}
	if len(attrDropped) > 0 {
		subject = append(subject, "attribution "+joinAnd(attrDropped))
		consequence = append(consequence, "using "+joinAnd(attrUsed))
	}
	verb := "are dashboard variables that were"
	if len(dropped)+len(attrDropped) == 1 {
		verb = "is a dashboard variable that was"
	}
	text := fmt.Sprintf("%s %s not set (public or embedded dashboard, or alert rule): %s.",
		joinAnd(subject), verb, strings.Join(consequence, ", "))
	q.Notices = append(q.Notices, strings.ToUpper(text[:1])+text[1:])
}

// joinAnd joins words as a sentence does: "a", "a and b", "a, b and c".
func joinAnd(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

// Validate checks the query's shape: known query type and enumerations, sane sizes.
func (q Query) Validate() error {
	if !contains(QueryTypes, q.QueryType) {
		return badQuery("unknown queryType %q: use one of %s", q.QueryType, strings.Join(QueryTypes, ", "))
	}
	if !contains([]string{"auto", "hour", "day", "week", "month"}, q.Interval) {
		return badQuery("unknown interval %q: use auto, hour, day, week or month", q.Interval)
	}
	if !contains([]string{"none", "previous_period", "previous_year"}, q.Compare) {
		return badQuery("unknown compare %q: use none, previous_period or previous_year", q.Compare)
	}
	if m := q.Attribution.Model; m != "" && m != AttributionLastTouch && m != AttributionFirstTouch && m != AttributionLinear {
		return badQuery("unknown attribution model %q: use last_touch, first_touch or linear", m)
	}
	if a := q.Attribution.Anchor; a != "" && a != AnchorCreated && a != AnchorClosed {
		return badQuery("unknown attribution anchor %q: use created or closed", a)
	}
	if b := q.Attribution.DateBasis; b != "" && b != "ticket" && b != "order" {
		return badQuery("unknown attribution dateBasis %q: use ticket or order", b)
	}
	if c := q.SLAClock; c != "" && c != SLAClockCalendar && c != SLAClockBusiness {
		return badQuery("unknown slaClock %q: use calendar or business", c)
	}
	if w := q.Attribution.WindowHours; w != nil && (*w <= 0 || *w > 24*366) {
		return badQuery("attribution windowHours must be between 0 and 8784 hours, got %v", *w)
	}
	if q.Limit < 0 || q.Limit > MaxLimit {
		return badQuery("limit must be between 1 and %d, got %d", MaxLimit, q.Limit)
	}
	if q.Months < 0 || q.Months > 120 {
		return badQuery("months must be between 1 and 120, got %d", q.Months)
	}
	if q.QueryType == QueryTopProducts && q.SortBy != "revenue" && q.SortBy != "quantity" {
		return badQuery("unknown sortBy %q: use revenue or quantity", q.SortBy)
	}
	if q.QueryType == QueryMetrics && len(q.Metrics) == 0 {
		return badQuery("choose at least one metric")
	}
	if q.QueryType == QueryVariable && q.Dimension == "" {
		return badQuery("a variable query needs a dimension")
	}
	if len(q.GroupBy) > 2 {
		return badQuery("group by at most two dimensions, got %d (%s)", len(q.GroupBy), strings.Join(q.GroupBy, ", "))
	}
	if len(q.GroupBy) == 2 && q.GroupBy[0] == q.GroupBy[1] {
		return badQuery("group by %q twice", q.GroupBy[0])
	}
	return nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
