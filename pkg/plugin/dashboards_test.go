package plugin_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/instancemgmt"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supportops/grafana-support-analytics/pkg/demo"
	"github.com/supportops/grafana-support-analytics/pkg/engine"
	"github.com/supportops/grafana-support-analytics/pkg/frames"
	"github.com/supportops/grafana-support-analytics/pkg/models"
	"github.com/supportops/grafana-support-analytics/pkg/plugin"
	"github.com/supportops/grafana-support-analytics/pkg/testutil/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

const (
	shippedPluginID = "supportops-analytics-datasource"
	// dsVariable is how every panel names the data source: the provisioned uid, literally. Public
	// (shared) dashboards resolve the uid on the server, where dashboard variables do not exist.
	dsVariable   = "support-analytics"
	demoCurrency = "USD"
)

// shippedDashboards are the stable uids of SPEC 6: links, alert rules and users' bookmarks use them.
var shippedDashboards = []string{"sa-synthesis", "sa-support-revenue", "sa-csat", "sa-vip-queue", "sa-ecommerce"}

type dashDatasourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type dashboardModel struct {
	UID           string   `json:"uid"`
	Title         string   `json:"title"`
	Description   string   `json:"description"`
	Tags          []string `json:"tags"`
	SchemaVersion int      `json:"schemaVersion"`
	Time          struct {
		From string `json:"from"`
		To   string `json:"to"`
	} `json:"time"`
	Annotations struct {
		List []json.RawMessage `json:"list"`
	} `json:"annotations"`
	Templating struct {
		List []variableModel `json:"list"`
	} `json:"templating"`
	Panels []panelModel `json:"panels"`

	file string
}

type variableModel struct {
	Name       string             `json:"name"`
	Type       string             `json:"type"`
	Query      json.RawMessage    `json:"query"`
	Datasource *dashDatasourceRef `json:"datasource"`
	Multi      bool               `json:"multi"`
	IncludeAll bool               `json:"includeAll"`
	AllValue   string             `json:"allValue"`
}

type panelModel struct {
	ID              int                `json:"id"`
	Type            string             `json:"type"`
	Title           string             `json:"title"`
	Description     string             `json:"description"`
	Datasource      *dashDatasourceRef `json:"datasource"`
	Targets         []json.RawMessage  `json:"targets"`
	TimeFrom        string             `json:"timeFrom"`
	Transformations []struct {
		ID string `json:"id"`
	} `json:"transformations"`
	FieldConfig struct {
		Defaults struct {
			Unit  string `json:"unit"`
			Links []struct {
				Title string `json:"title"`
				URL   string `json:"url"`
			} `json:"links"`
		} `json:"defaults"`
		Overrides []struct {
			Matcher struct {
				ID      string `json:"id"`
				Options string `json:"options"`
			} `json:"matcher"`
			Properties []struct {
				ID    string          `json:"id"`
				Value json.RawMessage `json:"value"`
			} `json:"properties"`
		} `json:"overrides"`
	} `json:"fieldConfig"`
	Options struct {
		ReduceOptions *struct {
			Fields string `json:"fields"`
			Values bool   `json:"values"`
		} `json:"reduceOptions"`
		XField string `json:"xField"`
	} `json:"options"`
	Panels []panelModel `json:"panels"` // a collapsed row's panels
}

// loadDashboards reads every dashboard the plugin ships.
func loadDashboards(t *testing.T) []*dashboardModel {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(repoRoot, "dashboards", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, paths, "no dashboard in dashboards/")
	var out []*dashboardModel
	for _, path := range paths {
		var d dashboardModel
		require.NoError(t, json.Unmarshal(readFile(t, path), &d), path)
		d.file = filepath.Base(path)
		out = append(out, &d)
	}
	return out
}

// allPanels flattens rows.
func (d *dashboardModel) allPanels() []panelModel {
	var out []panelModel
	var walk func([]panelModel)
	walk = func(ps []panelModel) {
		for _, p := range ps {
			if p.Type == "row" {
				walk(p.Panels)
				continue
			}
			out = append(out, p)
		}
	}
	walk(d.Panels)
	return out
}

func (d *dashboardModel) variable(name string) (variableModel, bool) {
	for _, v := range d.Templating.List {
		if v.Name == name {
			return v, true
		}
	}
	return variableModel{}, false
}

func (d *dashboardModel) panel(id int) (panelModel, bool) {
	for _, p := range d.allPanels() {
		if p.ID == id {
			return p, true
		}
	}
	return panelModel{}, false
}

func TestDashboardsAreWellFormed(t *testing.T) {
	dashboards := loadDashboards(t)
	var uids []string
	for _, d := range dashboards {
		t.Run(d.file, func(t *testing.T) {
			assert.NotContains(t, uids, d.UID, "uid used twice")
			uids = append(uids, d.UID)
			assert.NotEmpty(t, d.Title)
			assert.NotEmpty(t, d.Description)
			assert.Contains(t, d.Tags, "support-analytics")
			assert.GreaterOrEqual(t, d.SchemaVersion, 41)
			assert.Empty(t, d.Annotations.List, "annotations would query another data source")
			checkVariables(t, d)
			ids := map[int]bool{}
			for _, p := range d.allPanels() {
				assert.False(t, ids[p.ID], "panel id %d used twice", p.ID)
				ids[p.ID] = true
				checkPanelShape(t, d, p)
			}
		})
	}
	assert.ElementsMatch(t, shippedDashboards, uids)
}

func checkVariables(t *testing.T, d *dashboardModel) {
	t.Helper()
	_, ok := d.variable("datasource")
	assert.False(t, ok, "a datasource variable breaks public dashboards: use the provisioned uid")
	for _, v := range d.Templating.List {
		if v.Name == "datasource" {
			continue
		}
		if v.Type == "adhoc" {
			// Ad hoc filters: keys and values come from the data source, which copies the filters into
			// every query (adhocFilters) for the backend to apply.
			assert.Equal(t, &dashDatasourceRef{shippedPluginID, dsVariable}, v.Datasource, v.Name)
			continue
		}
		assert.Equal(t, "query", v.Type, v.Name)
		assert.Equal(t, &dashDatasourceRef{shippedPluginID, dsVariable}, v.Datasource, v.Name)
		// All must reach the plugin as an empty filter: the frontend does that for the default
		// all value only (a custom allValue such as ".*" would become a literal filter value).
		assert.True(t, v.Multi && v.IncludeAll, "%s: multi-value with All", v.Name)
		assert.Empty(t, v.AllValue, v.Name)
		q, err := models.ParseQuery(v.Query)
		if assert.NoError(t, err, v.Name) {
			assert.Equal(t, models.QueryVariable, q.QueryType, v.Name)
			assert.Equal(t, v.Name, q.Dimension, "variable %s lists another dimension", v.Name)
		}
	}
}

func checkPanelShape(t *testing.T, d *dashboardModel, p panelModel) {
	t.Helper()
	where := fmt.Sprintf("panel %d %q", p.ID, p.Title)
	assert.NotEmpty(t, p.Title, where)
	assert.NotEmpty(t, p.Description, "%s: the description states what the numbers mean", where)
	assert.Equal(t, &dashDatasourceRef{shippedPluginID, dsVariable}, p.Datasource, where)
	require.NotEmpty(t, p.Targets, where)
	for _, tr := range p.Transformations {
		// Transformations run in the browser: shared dashboards and embeds must not depend on them.
		assert.Equal(t, "organize", tr.ID, "%s: transformation %s computes in the browser", where, tr.ID)
	}
	for _, raw := range p.Targets {
		var ref struct {
			Datasource *dashDatasourceRef `json:"datasource"`
		}
		require.NoError(t, json.Unmarshal(raw, &ref), where)
		if ref.Datasource != nil {
			assert.Equal(t, &dashDatasourceRef{shippedPluginID, dsVariable}, ref.Datasource, where)
		}
		_, err := models.ParseQuery(raw)
		assert.NoError(t, err, "%s: the query as stored (uninterpolated, as a public dashboard sends it)", where)
	}
	checkLinks(t, d, p, where)
}

// checkLinks: every number of tickets links to a drill-down table (a tickets query) of its dashboard,
// opened alone with the same time range and variables.
func checkLinks(t *testing.T, d *dashboardModel, p panelModel, where string) {
	t.Helper()
	links := p.FieldConfig.Defaults.Links
	if p.Type != "table" && needsDrillDown(t, p) {
		assert.NotEmpty(t, links, "%s: its numbers link to the tickets behind them", where)
	}
	for _, l := range links {
		assert.NotEmpty(t, l.Title, where)
		assert.Contains(t, l.URL, "${__url_time_range}", "%s: the link keeps the time range", where)
		m := regexp.MustCompile(`^/d/([\w-]+)/[\w-]+\?(.*)$`).FindStringSubmatch(l.URL)
		require.NotNil(t, m, "%s: link %s", where, l.URL)
		require.Equal(t, d.UID, m[1], "%s: drill-downs are on the same dashboard", where)
		params := strings.Split(m[2], "&")
		var viewPanel int
		carried := map[string]bool{}
		for _, param := range params {
			switch {
			case param == "${__url_time_range}":
			case strings.HasPrefix(param, "viewPanel=panel-"):
				viewPanel, _ = strconv.Atoi(strings.TrimPrefix(param, "viewPanel=panel-"))
			case strings.HasPrefix(param, "var-"):
				name, _, _ := strings.Cut(strings.TrimPrefix(param, "var-"), "=")
				carried[name] = true
			default:
				qp := regexp.MustCompile(`^\$\{(\w+):queryparam\}$`).FindStringSubmatch(param)
				require.NotNil(t, qp, "%s: unexpected link parameter %s", where, param)
				carried[qp[1]] = true
			}
		}
		for name := range carried {
			_, ok := d.variable(name)
			assert.True(t, ok, "%s: the link sets %s, which the dashboard has no variable for", where, name)
		}
		for _, v := range d.Templating.List {
			if v.Name != "datasource" {
				assert.True(t, carried[v.Name], "%s: the link drops variable %s", where, v.Name)
			}
		}
		target, ok := d.panel(viewPanel)
		require.True(t, ok, "%s: the link opens panel %d, which does not exist", where, viewPanel)
		q, err := models.ParseQuery(target.Targets[0])
		require.NoError(t, err)
		assert.Equal(t, models.QueryTickets, q.QueryType, "%s: the link opens %q, not a tickets table", where, target.Title)
	}
}

// needsDrillDown: a panel shows numbers of tickets (helpdesk or attribution metrics).
func needsDrillDown(t *testing.T, p panelModel) bool {
	for _, raw := range p.Targets {
		q, err := models.ParseQuery(raw)
		require.NoError(t, err)
		for _, key := range q.Metrics {
			if m, ok := engine.Lookup(key); ok && m.Store != "orders" {
				return true
			}
		}
	}
	return false
}

// --- running the dashboards against the demo store

// demoInstance is a plugin instance, built as Grafana builds it, over a database loaded with the
// demo data (its period ends at demo.DefaultEnd).
func demoInstance(t *testing.T, srv *pgtest.Server, size demo.Size) backend.QueryDataHandler {
	t.Helper()
	db := srv.NewDatabase(t)
	_, err := demo.Load(context.Background(), db.AdminPool, db.AdminPool, demo.Options{Size: size})
	require.NoError(t, err)
	db.GrantRead(t, "public")
	jsonData, err := json.Marshal(map[string]any{
		"helpdeskHost":        db.Host + ":" + strconv.Itoa(db.Port),
		"helpdeskDatabase":    db.Name,
		"helpdeskUser":        db.User,
		"helpdeskSslMode":     "disable",
		"currency":            demoCurrency,
		"timezone":            "Europe/Paris",
		"queryTimeoutSeconds": 10,
	})
	require.NoError(t, err)
	settings := backend.DataSourceInstanceSettings{
		UID: dataSourceUID, Type: shippedPluginID, Name: "Support Analytics", JSONData: jsonData,
		DecryptedSecureJSONData: map[string]string{"helpdeskPassword": db.Password},
	}
	inst, err := plugin.NewDatasource(context.Background(), settings)
	require.NoError(t, err)
	if d, ok := inst.(instancemgmt.InstanceDisposer); ok {
		t.Cleanup(d.Dispose)
	}
	handler, ok := inst.(backend.QueryDataHandler)
	require.True(t, ok, "the instance answers queries")
	return contextHandler{handler, settings}
}

// contextHandler adds the plugin context Grafana sends with every request.
type contextHandler struct {
	backend.QueryDataHandler
	settings backend.DataSourceInstanceSettings
}

func (h contextHandler) QueryData(ctx context.Context, req *backend.QueryDataRequest) (*backend.QueryDataResponse, error) {
	req.PluginContext = backend.PluginContext{OrgID: 1, PluginID: shippedPluginID, DataSourceInstanceSettings: &h.settings}
	return h.QueryDataHandler.QueryData(ctx, req)
}

// storedQuery is one stored query as Grafana's query service hands it to the plugin.
func storedQuery(t *testing.T, raw json.RawMessage, from, to time.Time) backend.DataQuery {
	t.Helper()
	var head struct {
		RefID     string `json:"refId"`
		QueryType string `json:"queryType"`
	}
	require.NoError(t, json.Unmarshal(raw, &head))
	return backend.DataQuery{RefID: head.RefID, QueryType: head.QueryType, JSON: raw, MaxDataPoints: 1000,
		Interval: time.Minute, TimeRange: backend.TimeRange{From: from, To: to}}
}

var relativeTime = regexp.MustCompile(`^now-(\d+)([mhdwMy])$`)

// rangeOf resolves a relative "now-<n><unit>" against now, as Grafana's date math does.
func rangeOf(t *testing.T, from string, now time.Time) time.Time {
	t.Helper()
	m := relativeTime.FindStringSubmatch(from)
	require.NotNil(t, m, "unsupported relative time %q", from)
	n, _ := strconv.Atoi(m[1])
	switch m[2] {
	case "m":
		return now.Add(-time.Duration(n) * time.Minute)
	case "h":
		return now.Add(-time.Duration(n) * time.Hour)
	case "d":
		return now.AddDate(0, 0, -n)
	case "w":
		return now.AddDate(0, 0, -7*n)
	case "M":
		return now.AddDate(0, -n, 0)
	}
	return now.AddDate(-n, 0, 0)
}

var wholeReference = regexp.MustCompile(`^\$(\w+)$|^\$\{(\w+)(:[^}]*)?\}$|^\[\[(\w+)\]\]$`)

// interpolate is what the frontend sends (src/interpolate.ts): a filter list holding a variable gets
// the variable's selected value, or becomes empty when All is selected (no selection here).
// Variables anywhere else, or unknown ones, are errors.
func interpolate(t *testing.T, d *dashboardModel, raw json.RawMessage, where string, selected map[string]string) json.RawMessage {
	t.Helper()
	var q map[string]any
	require.NoError(t, json.Unmarshal(raw, &q))
	filters, _ := q["filters"].(map[string]any)
	for key, list := range filters {
		values, _ := list.([]any)
		for _, v := range values {
			s, _ := v.(string)
			if !strings.ContainsAny(s, "$[") {
				continue
			}
			m := wholeReference.FindStringSubmatch(s)
			require.NotNil(t, m, "%s: filters.%s: %q is not a variable reference", where, key, s)
			name := m[1] + m[2] + m[4]
			_, ok := d.variable(name)
			require.True(t, ok, "%s: filters.%s uses $%s, which the dashboard does not define", where, key, name)
			filters[key] = []any{}
			if value, ok := selected[name]; ok {
				filters[key] = []any{value}
			}
		}
	}
	delete(q, "filters")
	delete(q, "datasource")
	rest, err := json.Marshal(q)
	require.NoError(t, err)
	assert.NotContains(t, string(rest), "$", "%s: a variable outside the filters", where)
	q["filters"] = filters
	out, err := json.Marshal(q)
	require.NoError(t, err)
	return out
}

// TestDashboardQueriesRunOnDemoData runs every variable and every panel query of every dashboard over
// its default time range, the demo data's end being now: with All selected, every query returns data;
// with one value selected in each variable, no query fails (a metric that cannot be filtered by a
// variable's dimension would).
func TestDashboardQueriesRunOnDemoData(t *testing.T) {
	ds := demoInstance(t, pgtest.Start(t), demo.Size{})
	ctx := context.Background()
	now := demo.DefaultEnd
	for _, d := range loadDashboards(t) {
		t.Run(d.file, func(t *testing.T) {
			require.Equal(t, "now", d.Time.To)
			from := rangeOf(t, d.Time.From, now)
			selected := map[string]string{}
			for _, v := range d.Templating.List {
				if v.Type != "query" {
					continue
				}
				resp := runStored(ctx, t, ds, []backend.DataQuery{storedQuery(t, v.Query, from, now)})
				for _, r := range resp.Responses {
					require.NoError(t, r.Error, "variable %s", v.Name)
					require.NotEmpty(t, r.Frames, "variable %s", v.Name)
					f := r.Frames[0]
					require.Positive(t, f.Rows(), "variable %s has no values in the range", v.Name)
					selected[v.Name] = fmt.Sprint(f.Fields[0].At(0))
				}
			}
			for _, p := range d.allPanels() {
				t.Run(p.Title, func(t *testing.T) {
					checkPanelRuns(ctx, t, ds, d, p, from, now)
					checkPanelRunsFiltered(ctx, t, ds, d, p, from, now, selected)
					if d.hasAdhoc() {
						checkPanelRunsAdhoc(ctx, t, ds, d, p, from, now, selected)
					}
				})
			}
		})
	}
}

func runStored(ctx context.Context, t *testing.T, ds backend.QueryDataHandler, queries []backend.DataQuery) *backend.QueryDataResponse {
	t.Helper()
	resp, err := ds.QueryData(ctx, &backend.QueryDataRequest{Queries: queries})
	require.NoError(t, err)
	require.Len(t, resp.Responses, len(queries))
	return resp
}

func checkPanelRuns(ctx context.Context, t *testing.T, ds backend.QueryDataHandler, d *dashboardModel, p panelModel, from, to time.Time) {
	if p.TimeFrom != "" {
		from = rangeOf(t, p.TimeFrom, to)
	}
	var queries []backend.DataQuery
	var parsed []models.Query
	for _, raw := range p.Targets {
		sent := interpolate(t, d, raw, p.Title, nil)
		q, err := models.ParseQuery(sent)
		require.NoError(t, err)
		parsed = append(parsed, q)
		queries = append(queries, storedQuery(t, sent, from, to))
	}
	resp := runStored(ctx, t, ds, queries)
	var all data.Frames
	for i, q := range queries {
		r := resp.Responses[q.RefID]
		require.NoError(t, r.Error, "query %s", q.RefID)
		require.NotEmpty(t, r.Frames, "query %s", q.RefID)
		assert.True(t, returnsData(r.Frames, parsed[i]), "query %s returned no data over the demo period", q.RefID)
		checkFrameKind(t, p, r.Frames)
		all = append(all, r.Frames...)
	}
	checkFieldOptions(t, p, parsed, all)
}

// checkPanelRunsFiltered: with a value selected in every variable, the panel's queries still run.
func checkPanelRunsFiltered(ctx context.Context, t *testing.T, ds backend.QueryDataHandler, d *dashboardModel, p panelModel, from, to time.Time, selected map[string]string) {
	if p.TimeFrom != "" {
		from = rangeOf(t, p.TimeFrom, to)
	}
	var queries []backend.DataQuery
	for _, raw := range p.Targets {
		queries = append(queries, storedQuery(t, interpolate(t, d, raw, p.Title, selected), from, to))
	}
	for ref, r := range runStored(ctx, t, ds, queries).Responses {
		assert.NoError(t, r.Error, "query %s with %v selected", ref, selected)
	}
}

func (d *dashboardModel) hasAdhoc() bool {
	for _, v := range d.Templating.List {
		if v.Type == "adhoc" {
			return true
		}
	}
	return false
}

// checkPanelRunsAdhoc: with ad hoc filters set, as the frontend sends them (adhocFilters in every
// query), the panel's queries run; a filter a query cannot apply, and an operator the plugin does not
// apply, are notices on that query, never errors.
func checkPanelRunsAdhoc(ctx context.Context, t *testing.T, ds backend.QueryDataHandler, d *dashboardModel, p panelModel, from, to time.Time, selected map[string]string) {
	if p.TimeFrom != "" {
		from = rangeOf(t, p.TimeFrom, to)
	}
	adhoc := []models.AdhocFilter{
		{Key: "agent", Operator: models.AdhocNotEquals, Value: cmp.Or(selected["agent"], "alice")},
		{Key: "channel", Operator: models.AdhocOneOf, Values: []string{cmp.Or(selected["channel"], "chat"), "email"}},
		{Key: "topic", Operator: "=~", Value: "ship.*"},
	}
	var queries []backend.DataQuery
	for _, raw := range p.Targets {
		var q map[string]any
		require.NoError(t, json.Unmarshal(interpolate(t, d, raw, p.Title, nil), &q))
		q["adhocFilters"] = adhoc
		sent, err := json.Marshal(q)
		require.NoError(t, err)
		queries = append(queries, storedQuery(t, sent, from, to))
	}
	for ref, r := range runStored(ctx, t, ds, queries).Responses {
		if !assert.NoError(t, r.Error, "query %s with ad hoc filters", ref) {
			continue
		}
		var notices []string
		for _, f := range r.Frames {
			if f.Meta != nil {
				for _, n := range f.Meta.Notices {
					notices = append(notices, n.Text)
				}
			}
		}
		assert.Contains(t, strings.Join(notices, "\n"), `the ad hoc filter topic =~ ship.* was not applied: operator "=~" is not supported`, "query %s", ref)
	}
}

// returnsData: a metrics query has at least one value; a table at least one row.
func returnsData(fs data.Frames, q models.Query) bool {
	for _, f := range fs {
		if q.QueryType != models.QueryMetrics {
			if f.Rows() > 0 {
				return true
			}
			continue
		}
		for _, field := range f.Fields {
			if _, ok := engine.Lookup(field.Name); !ok {
				continue
			}
			for i := 0; i < field.Len(); i++ {
				if v, ok := field.ConcreteAt(i); ok && v != nil {
					return true
				}
			}
		}
	}
	return false
}

// checkFrameKind: each visualisation gets the frame shape it draws.
func checkFrameKind(t *testing.T, p panelModel, fs data.Frames) {
	t.Helper()
	want := map[string][]data.FrameType{
		"stat":       {data.FrameTypeNumericWide},
		"timeseries": {data.FrameTypeTimeSeriesWide},
		"barchart":   {data.FrameTypeNumericLong},
		"piechart":   {data.FrameTypeNumericLong},
		"table":      {data.FrameTypeNumericLong, data.FrameTypeTable},
	}[p.Type]
	require.NotNil(t, want, "panel type %s is not expected", p.Type)
	for _, f := range fs {
		require.NotNil(t, f.Meta)
		assert.Contains(t, want, f.Meta.Type, "a %s panel", p.Type)
	}
	if p.Options.XField != "" {
		assert.True(t, framesHaveField(fs, func(f *data.Field) bool { return f.Name == p.Options.XField }),
			"xField %s is not a field of the result", p.Options.XField)
	}
	if ro := p.Options.ReduceOptions; ro != nil && ro.Values {
		assert.True(t, framesHaveField(fs, func(f *data.Field) bool { return f.Type() == data.FieldTypeString }),
			"one value per row needs a string field to name the rows")
	}
}

func framesHaveField(fs data.Frames, pred func(*data.Field) bool) bool {
	for _, f := range fs {
		if slices.ContainsFunc(f.Fields, pred) {
			return true
		}
	}
	return false
}

func fieldDisplayName(f *data.Field) string {
	if f.Config != nil && f.Config.DisplayNameFromDS != "" {
		return f.Config.DisplayNameFromDS
	}
	return f.Name
}

// grafanaRegex turns Grafana's "/pattern/" matcher option into a Go regexp.
func grafanaRegex(t *testing.T, option string) *regexp.Regexp {
	t.Helper()
	pattern := option
	if strings.HasPrefix(option, "/") && strings.HasSuffix(option, "/") && len(option) > 1 {
		pattern = option[1 : len(option)-1]
	}
	re, err := regexp.Compile(pattern)
	require.NoError(t, err, option)
	return re
}

// checkFieldOptions: field selections and overrides name fields that exist (Grafana matches display
// names; the dashboards match field names too), a stat never shows the previous value, and a unit
// set on a panel is its metrics' unit.
func checkFieldOptions(t *testing.T, p panelModel, parsed []models.Query, fs data.Frames) {
	t.Helper()
	matches := func(re *regexp.Regexp) (n int, previous bool) {
		for _, f := range fs {
			for _, field := range f.Fields {
				if re.MatchString(field.Name) || re.MatchString(fieldDisplayName(field)) {
					n++
					previous = previous || strings.HasSuffix(field.Name, "_previous")
				}
			}
		}
		return n, previous
	}
	if ro := p.Options.ReduceOptions; ro != nil && ro.Fields != "" {
		n, previous := matches(grafanaRegex(t, ro.Fields))
		assert.Positive(t, n, "reduceOptions.fields %s selects no field", ro.Fields)
		assert.False(t, previous, "reduceOptions.fields %s shows the previous period's value", ro.Fields)
	}
	for _, o := range p.FieldConfig.Overrides {
		var n int
		switch o.Matcher.ID {
		case "byName":
			n, _ = matches(regexp.MustCompile("^" + regexp.QuoteMeta(o.Matcher.Options) + "$"))
		case "byRegexp":
			n, _ = matches(grafanaRegex(t, o.Matcher.Options))
		default:
			t.Errorf("override matcher %s is not checked", o.Matcher.ID)
		}
		assert.Positive(t, n, "override %s %q matches no field", o.Matcher.ID, o.Matcher.Options)
		for _, prop := range o.Properties {
			assert.NotEqual(t, "unit", prop.ID, "override %q sets a unit: the frames carry it", o.Matcher.Options)
		}
	}
	if unit := p.FieldConfig.Defaults.Unit; unit != "" {
		for _, q := range parsed {
			for _, key := range q.Metrics {
				m, ok := engine.Lookup(key)
				require.True(t, ok)
				assert.Equal(t, frames.Unit(m.Unit, demoCurrency), unit, "unit of %s", key)
			}
		}
	}
}
