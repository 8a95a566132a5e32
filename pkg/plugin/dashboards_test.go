package plugin_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
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
	Current    struct {
		Value any `json:"value"`
	} `json:"current"`
	Options []struct {
		Value string `json:"value"`
	} `json:"options"`
}

// customValue is the current value of a custom (single-value) variable.
func (v variableModel) customValue() string {
	s, _ := v.Current.Value.(string)
	return s
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
				Title       string `json:"title"`
				URL         string `json:"url"`
				TargetBlank bool   `json:"targetBlank"`
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
		if v.Type == "custom" {
			checkAttributionVariable(t, d, v)
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

// attributionFields are the query fields a custom variable may set: the attribution options.
var attributionFields = []string{"model", "anchor", "dateBasis"}

// checkAttributionVariable: a custom variable chooses an attribution option (the Synthesis dashboard's
// anchor): one value at a time, every value one the query model accepts for each field that uses it,
// its current value among them, and used by at least one query.
func checkAttributionVariable(t *testing.T, d *dashboardModel, v variableModel) {
	t.Helper()
	assert.False(t, v.Multi || v.IncludeAll, "%s: an attribution option takes one value", v.Name)
	require.NotEmpty(t, v.Options, v.Name)
	var values []string
	for _, o := range v.Options {
		values = append(values, o.Value)
	}
	assert.Contains(t, values, v.customValue(), "%s: the current value is one of its options", v.Name)
	used := 0
	for _, p := range d.allPanels() {
		for _, raw := range p.Targets {
			var q struct {
				Attribution map[string]any `json:"attribution"`
			}
			require.NoError(t, json.Unmarshal(raw, &q))
			for field, ref := range q.Attribution {
				m := wholeReference.FindStringSubmatch(fmt.Sprint(ref))
				if m == nil || m[1]+m[2]+m[4] != v.Name {
					continue
				}
				used++
				require.Contains(t, attributionFields, field, "panel %q: attribution.%s set by $%s", p.Title, field, v.Name)
				for _, value := range values {
					_, err := models.ParseQuery(json.RawMessage(fmt.Sprintf(`{"metrics": ["attributed_revenue"], "attribution": {%q: %q}}`, field, value)))
					assert.NoError(t, err, "%s: value %q of attribution.%s", v.Name, value, field)
				}
			}
		}
	}
	assert.Positive(t, used, "custom variable %s is used by no query's attribution", v.Name)
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
		if strings.Contains(l.URL, "${__data.") {
			// Grafana 12.4 aborts the queries of a panel opened with viewPanel by an in-page link
			// that also changes a variable, and never sends them again (the table kept every row):
			// such a link opens a new tab, which loads the dashboard afresh.
			assert.True(t, l.TargetBlank, "%s: a link that sets a variable from the clicked value must open a new tab", where)
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
		// The demo's opening hours, as provisioned: the VIP queue's business-hours panels need them.
		"businessHours": provisionedJSONData(t)["businessHours"],
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

// provisionedJSONData is the jsonData of the provisioned Support Analytics data source.
func provisionedJSONData(t *testing.T) map[string]any {
	t.Helper()
	var file dataSourcesFile
	decodeStrict(t, filepath.Join(repoRoot, "provisioning", "datasources", "support-analytics.yaml"), &file)
	for _, ds := range file.Datasources {
		if ds.UID == dataSourceUID {
			return ds.JSONData
		}
	}
	t.Fatalf("no provisioned data source with uid %s", dataSourceUID)
	return nil
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
// the variable's selected value, or becomes empty when All is selected (no selection here); an
// attribution option holding a variable gets its selected value, else the variable's current one.
// Variables anywhere else, or unknown ones, are errors.
func interpolate(t *testing.T, d *dashboardModel, raw json.RawMessage, where string, selected map[string]string) json.RawMessage {
	t.Helper()
	var q map[string]any
	require.NoError(t, json.Unmarshal(raw, &q))
	attribution, _ := q["attribution"].(map[string]any)
	for field, ref := range attribution {
		s, _ := ref.(string)
		m := wholeReference.FindStringSubmatch(s)
		if m == nil {
			continue
		}
		name := m[1] + m[2] + m[4]
		v, ok := d.variable(name)
		require.True(t, ok, "%s: attribution.%s uses $%s, which the dashboard does not define", where, field, name)
		attribution[field] = v.customValue()
		if value, ok := selected[name]; ok {
			attribution[field] = value
		}
	}
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
				if v.Type == "custom" { // the filtered run takes its last option (the anchor: closed)
					selected[v.Name] = v.Options[len(v.Options)-1].Value
					continue
				}
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
			t.Run("drill-downs", func(t *testing.T) { checkDrillDowns(ctx, t, ds, d, from, now) })
			for _, p := range d.allPanels() {
				t.Run(p.Title, func(t *testing.T) {
					checkPanelRuns(ctx, t, ds, d, p, from, now)
					checkPanelRunsFiltered(ctx, t, ds, d, p, from, now, selected)
					checkPanelRunsPublic(ctx, t, ds, p, from, now)
					// Over the default range and over 7 days starting mid-day, as "Last 7 days" does.
					checkPointsInRange(ctx, t, ds, d, p, from, now)
					checkPointsInRange(ctx, t, ds, d, p, now.Add(-7*24*time.Hour-37*time.Minute), now.Add(-37*time.Minute))
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
					switch {
					case strings.Contains(n.Text, "was not applied to this query"): // expected on some panels
						assert.Equal(t, data.NoticeSeverityInfo, n.Severity, "query %s: %s", ref, n.Text)
					case strings.Contains(n.Text, "is not supported"): // the user should change it
						assert.Equal(t, data.NoticeSeverityWarning, n.Severity, "query %s: %s", ref, n.Text)
					}
				}
			}
		}
		assert.Contains(t, strings.Join(notices, "\n"), `the ad hoc filter topic =~ ship.* was not applied: operator "=~" is not supported`, "query %s", ref)
	}
}

// checkPanelRunsPublic: a public dashboard or an embed sends the stored queries with their
// variables unset. Each query then says so once, at info level (a plain icon in the panel header,
// not a warning triangle), and shows what All would.
func checkPanelRunsPublic(ctx context.Context, t *testing.T, ds backend.QueryDataHandler, p panelModel, from, to time.Time) {
	if p.TimeFrom != "" {
		from = rangeOf(t, p.TimeFrom, to)
	}
	var queries []backend.DataQuery
	for _, raw := range p.Targets {
		queries = append(queries, storedQuery(t, raw, from, to))
	}
	for ref, r := range runStored(ctx, t, ds, queries).Responses {
		require.NoError(t, r.Error, "query %s as a public dashboard sends it", ref)
		var info []string
		for _, f := range r.Frames {
			if f.Meta == nil {
				continue
			}
			for _, n := range f.Meta.Notices {
				if strings.Contains(n.Text, "dashboard variable") {
					assert.Equal(t, data.NoticeSeverityInfo, n.Severity, "query %s: %s", ref, n.Text)
					info = append(info, n.Text)
				}
			}
		}
		var raw struct {
			Filters     map[string][]string `json:"filters"`
			Attribution map[string]any      `json:"attribution"`
		}
		for _, q := range queries {
			if q.RefID == ref {
				require.NoError(t, json.Unmarshal(q.JSON, &raw))
			}
		}
		variables := 0
		for _, values := range raw.Filters {
			if slices.ContainsFunc(values, func(v string) bool { return strings.HasPrefix(v, "$") }) {
				variables++
			}
		}
		for key, v := range raw.Attribution { // attribution.anchor, model, dateBasis from a variable
			if s, ok := v.(string); ok && strings.HasPrefix(s, "$") {
				variables++
				for _, n := range info {
					assert.Contains(t, n, "attribution", "query %s: the notice names attribution.%s", ref, key)
				}
			}
		}
		if variables == 0 {
			assert.Empty(t, info, "query %s has no variable", ref)
			continue
		}
		assert.Len(t, info, 1, "query %s: one notice for its %d unset variables", ref, variables)
	}
}

// checkPointsInRange: every point of a time series lies in [from, to), where Grafana draws it (it
// hides the others as "Data outside time range"), and a cut first bucket is drawn at from.
func checkPointsInRange(ctx context.Context, t *testing.T, ds backend.QueryDataHandler, d *dashboardModel, p panelModel, from, to time.Time) {
	if p.TimeFrom != "" {
		from = rangeOf(t, p.TimeFrom, to)
	}
	var queries []backend.DataQuery
	for _, raw := range p.Targets {
		queries = append(queries, storedQuery(t, interpolate(t, d, raw, p.Title, nil), from, to))
	}
	for ref, r := range runStored(ctx, t, ds, queries).Responses {
		require.NoError(t, r.Error, "query %s over [%s, %s)", ref, from, to)
		for _, f := range r.Frames {
			if f.Meta == nil || f.Meta.Type != data.FrameTypeTimeSeriesWide {
				continue
			}
			require.NotEmpty(t, f.Fields)
			times := f.Fields[0]
			require.Equal(t, data.FieldTypeTime, times.Type(), "query %s: time first", ref)
			require.Positive(t, times.Len(), "query %s: no bucket", ref)
			for i := 0; i < times.Len(); i++ {
				at := times.At(i).(time.Time)
				assert.False(t, at.Before(from) || !at.Before(to), "query %s: point %d at %s is outside [%s, %s)", ref, i, at, from, to)
			}
			assert.True(t, times.At(0).(time.Time).Equal(from),
				"query %s: the first bucket, whole or cut, is drawn at the range's start %s, not %s", ref, from, times.At(0))
		}
	}
}

// drillCount is, for the metric a link is on, the count of tickets the drill-down must list (SPEC
// 5.6: the set that number counted), and the filters that count adds. A rate links to the tickets
// it is computed over: its denominator when that is a count of tickets.
var drillCount = map[string]struct {
	metric  string
	filters map[string][]string
}{
	"tickets":                      {"tickets", nil},
	"engagement_rate":              {"tickets", map[string][]string{"channels": {"chat"}}},
	"closed_tickets":               {"closed_tickets", nil},
	"automation_rate":              {"closed_tickets", nil},
	"conversation_conversion_rate": {"closed_tickets", nil},
	"resolution_seconds_p50":       {"closed_tickets", nil},
	"resolution_seconds_p90":       {"closed_tickets", nil},
	"converted_tickets":            {"converted_tickets", nil},
	"ticket_conversion_rate":       {"converted_tickets", nil},
	"attributed_revenue":           {"converted_tickets", nil},
	"attributed_average_basket":    {"converted_tickets", nil},
	"attributed_orders":            {"converted_tickets", nil},
	"csat":                         {"responses", nil},
	"csat_lower_bound":             {"responses", nil},
	"csat_average":                 {"responses", nil},
	"responses":                    {"responses", nil},
}

// listedNumber computes, from the rows of its drill-down, a number that is not a count: its list is
// the tickets it is computed over, and must give it again.
var listedNumber = map[string]func(t *testing.T, list *data.Frame) float64{
	"first_response_seconds_p50": func(t *testing.T, list *data.Frame) float64 { return nearestRank(t, list, 50) },
	"first_response_seconds_p90": func(t *testing.T, list *data.Frame) float64 { return nearestRank(t, list, 90) },
	// Met (an agent's first response within its priority's target) over the due tickets listed.
	"first_response_sla_rate": func(t *testing.T, list *data.Frame) float64 {
		targets := defaultSettings(t).SLATargets
		frt, _ := list.FieldByName("first_response_seconds")
		priority, _ := list.FieldByName("priority")
		require.NotNil(t, frt)
		require.NotNil(t, priority)
		met := 0
		for i := 0; i < list.Rows(); i++ {
			target, ok := targets[fmt.Sprint(priority.At(i))]
			if !ok {
				target = targets["normal"]
			}
			if v, ok := frt.ConcreteAt(i); ok && v.(float64) <= target.Seconds() {
				met++
			}
		}
		return float64(met) / float64(list.Rows()) * 100
	},
}

// nearestRank is the p-th percentile, by nearest rank, of the listed first response times: every
// listed ticket has one.
func nearestRank(t *testing.T, list *data.Frame, p float64) float64 {
	frt, _ := list.FieldByName("first_response_seconds")
	require.NotNil(t, frt)
	var v []float64
	for i := 0; i < frt.Len(); i++ {
		x, ok := frt.ConcreteAt(i)
		require.True(t, ok, "row %d of the answered tickets has no first response", i)
		v = append(v, x.(float64))
	}
	slices.Sort(v)
	return v[max(1, int(math.Ceil(p/100*float64(len(v)))))-1]
}

// defaultSettings are the settings of demoInstance (defaults but for the connection).
func defaultSettings(t *testing.T) models.Settings {
	s, err := models.LoadSettings(backend.DataSourceInstanceSettings{JSONData: []byte(`{"helpdeskHost":"db","helpdeskUser":"u","currency":"` + demoCurrency + `","timezone":"Europe/Paris"}`)})
	require.NoError(t, err)
	return s
}

// drillLink is one data link of a panel, on the fields of metric.
type drillLink struct {
	title, url, metric string
}

func (p panelModel) drillLinks(t *testing.T) []drillLink {
	var first models.Query
	first, err := models.ParseQuery(p.Targets[0])
	require.NoError(t, err)
	if len(first.Metrics) == 0 {
		return nil
	}
	var out []drillLink
	for _, l := range p.FieldConfig.Defaults.Links {
		out = append(out, drillLink{l.Title, l.URL, first.Metrics[0]})
	}
	for _, o := range p.FieldConfig.Overrides {
		for _, prop := range o.Properties {
			if prop.ID != "links" {
				continue
			}
			var links []struct{ Title, URL string }
			require.NoError(t, json.Unmarshal(prop.Value, &links))
			re := grafanaRegex(t, o.Matcher.Options)
			metric := ""
			for _, m := range first.Metrics {
				if re.MatchString(m) {
					metric = m
					break
				}
			}
			require.NotEmpty(t, metric, "override %s links no metric of the panel", o.Matcher.Options)
			for _, l := range links {
				out = append(out, drillLink{l.Title, l.URL, metric})
			}
		}
	}
	return out
}

// checkDrillDowns: every link from a number to a tickets table lists exactly the tickets that number
// counted (same time basis, same filters): the table's rows equal the count of the link's metric
// (drillCount) over the panel's filters and, for a clicked bar or row, its value.
func checkDrillDowns(ctx context.Context, t *testing.T, ds backend.QueryDataHandler, d *dashboardModel, from, to time.Time) {
	checked := 0
	for _, p := range d.allPanels() {
		for _, l := range p.drillLinks(t) {
			where := fmt.Sprintf("panel %q, link %q on %s", p.Title, l.title, l.metric)
			if l.metric == "response_rate" {
				// Surveys sent in the range and answered: no tickets basis lists surveys sent; its link
				// shows the responses of the range.
				continue
			}
			count, ok := drillCount[l.metric]
			_, fromList := listedNumber[l.metric]
			require.True(t, ok || fromList, "%s: no drill-down count for %s", where, l.metric)
			if fromList {
				count.metric = l.metric // the number itself, computed again from the list
			}
			m := regexp.MustCompile(`^/d/[\w-]+/[\w-]+\?(.*)$`).FindStringSubmatch(l.url)
			require.NotNil(t, m, where)
			var target panelModel
			selected := map[string]string{}
			clicked := map[string]string{} // variable -> field of the clicked row
			for _, param := range strings.Split(m[1], "&") {
				switch {
				case strings.HasPrefix(param, "viewPanel=panel-"):
					id, _ := strconv.Atoi(strings.TrimPrefix(param, "viewPanel=panel-"))
					target, ok = d.panel(id)
					require.True(t, ok, where)
				case strings.HasPrefix(param, "var-"):
					name, value, _ := strings.Cut(strings.TrimPrefix(param, "var-"), "=")
					if f := regexp.MustCompile(`^\$\{__data\.fields\.(\w+)(:\w+)?\}$`).FindStringSubmatch(value); f != nil {
						clicked[name] = f[1]
					} else if value != "$__all" {
						selected[name] = value
					}
				}
				// ${v:queryparam} keeps the variable's current value: All here, as the panel's own query.
			}
			// The number: the panel's query, counting, for the clicked row when the link sets one.
			var q map[string]any
			require.NoError(t, json.Unmarshal(interpolate(t, d, p.Targets[0], p.Title, nil), &q))
			filters, _ := q["filters"].(map[string]any)
			if filters == nil {
				filters = map[string]any{}
			}
			if len(clicked) > 0 {
				resp := runStored(ctx, t, ds, []backend.DataQuery{storedQuery(t, interpolate(t, d, p.Targets[0], p.Title, nil), from, to)})
				f := resp.Responses["A"].Frames[0]
				require.Positive(t, f.Rows(), where)
				for name, field := range clicked {
					col, _ := f.FieldByName(field)
					require.NotNil(t, col, "%s: the link reads field %s, which the result lacks", where, field)
					value := fmt.Sprint(col.At(0))
					selected[name] = value
					dim, ok := dimensionOf(field)
					require.True(t, ok, where)
					filters[dim] = []any{value}
				}
			}
			for key, values := range count.filters {
				filters[key] = values
			}
			q["filters"], q["metrics"], q["compare"], q["groupBy"] = filters, []string{count.metric}, "none", []string{}
			raw, err := json.Marshal(q)
			require.NoError(t, err)
			resp := runStored(ctx, t, ds, []backend.DataQuery{storedQuery(t, raw, from, to)})
			want := total(t, resp.Responses["A"], count.metric)

			// The list: the linked table with the variables the link sets, every row.
			var list map[string]any
			require.NoError(t, json.Unmarshal(interpolate(t, d, target.Targets[0], target.Title, selected), &list))
			list["limit"] = models.MaxLimit
			raw, err = json.Marshal(list)
			require.NoError(t, err)
			resp = runStored(ctx, t, ds, []backend.DataQuery{storedQuery(t, raw, from, to)})
			require.NoError(t, resp.Responses["A"].Error, where)
			rows := resp.Responses["A"].Frames[0].Rows()
			assert.Positive(t, rows, "%s: an empty list proves nothing", where)
			if number, ok := listedNumber[l.metric]; ok {
				got := number(t, resp.Responses["A"].Frames[0])
				assert.InDelta(t, want, got, 1e-9*max(1, want), "%s opens %q with %v: its %d tickets give %v, the number is %v", where, target.Title, selected, rows, got, want)
				t.Logf("%s: %d tickets listed, %s = %v from the list, %v", where, rows, l.metric, got, want)
				checked++
				continue
			}
			assert.Equal(t, int(want), rows, "%s opens %q with %v: %d tickets for a number of %v (%s)", where, target.Title, selected, rows, want, count.metric)
			t.Logf("%s: %d tickets listed, %s = %v", where, rows, count.metric, want)
			checked++
		}
	}
	if d.UID != "sa-ecommerce" {
		assert.Positive(t, checked, "no drill-down link checked")
	}
}

// dimensionOf is the filter key of a dimension column.
func dimensionOf(field string) (string, bool) {
	for _, dim := range engine.Dimensions {
		if dim.Key == field && dim.Filter != "" {
			return dim.Filter, true
		}
	}
	return "", false
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
