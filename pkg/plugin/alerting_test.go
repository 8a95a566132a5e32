package plugin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supportops/grafana-support-analytics/pkg/demo"
	"github.com/supportops/grafana-support-analytics/pkg/models"
	"github.com/supportops/grafana-support-analytics/pkg/testutil/pgtest"
)

// expressionsUID is the data source uid of Grafana's server-side expressions.
const expressionsUID = "__expr__"

// alertingFile is Grafana's alert rule provisioning format (apiVersion 1). Decoding it with known
// fields only turns a misspelt field, which Grafana would silently ignore, into a test failure.
type alertingFile struct {
	APIVersion int `yaml:"apiVersion"`
	Groups     []struct {
		OrgID    int         `yaml:"orgId"`
		Name     string      `yaml:"name"`
		Folder   string      `yaml:"folder"`
		Interval string      `yaml:"interval"`
		Rules    []alertRule `yaml:"rules"`
	} `yaml:"groups"`
}

type alertRule struct {
	UID          string            `yaml:"uid"`
	Title        string            `yaml:"title"`
	Condition    string            `yaml:"condition"`
	Data         []alertQuery      `yaml:"data"`
	NoDataState  string            `yaml:"noDataState"`
	ExecErrState string            `yaml:"execErrState"`
	For          string            `yaml:"for"`
	Labels       map[string]string `yaml:"labels"`
	Annotations  map[string]string `yaml:"annotations"`
	IsPaused     bool              `yaml:"isPaused"`
}

type alertQuery struct {
	RefID             string `yaml:"refId"`
	QueryType         string `yaml:"queryType"`
	RelativeTimeRange struct {
		From int64 `yaml:"from"`
		To   int64 `yaml:"to"`
	} `yaml:"relativeTimeRange"`
	DatasourceUID string         `yaml:"datasourceUid"`
	Model         map[string]any `yaml:"model"`
}

func (q alertQuery) modelJSON(t *testing.T) json.RawMessage {
	t.Helper()
	raw, err := json.Marshal(q.Model)
	require.NoError(t, err)
	return raw
}

// csatRule is the provisioned "CSAT below target" rule.
func csatRule(t *testing.T) alertRule {
	t.Helper()
	var file alertingFile
	decodeStrict(t, filepath.Join(repoRoot, "provisioning", "alerting", "csat-alert.yaml"), &file)
	require.Equal(t, 1, file.APIVersion)
	require.Len(t, file.Groups, 1)
	g := file.Groups[0]
	assert.Equal(t, "Support Analytics", g.Folder, "the folder of the provisioned dashboards")
	assert.NotEmpty(t, g.Name)
	interval, err := time.ParseDuration(g.Interval)
	require.NoError(t, err)
	assert.Equal(t, 5*time.Minute, interval)
	require.Len(t, g.Rules, 1)
	return g.Rules[0]
}

func TestCSATAlertRuleIsWellFormed(t *testing.T) {
	rule := csatRule(t)
	assert.Equal(t, "CSAT below target", rule.Title)
	assert.Regexp(t, `^[a-zA-Z0-9_-]{1,40}$`, rule.UID)
	assert.Equal(t, "Error", rule.ExecErrState, "a store that is down must not fire or resolve the rule")
	assert.Contains(t, []string{"OK", "NoData"}, rule.NoDataState)
	pending, err := time.ParseDuration(rule.For)
	require.NoError(t, err)
	assert.Equal(t, 15*time.Minute, pending)
	assert.Contains(t, rule.Annotations["summary"], "$values", "the summary shows the value")
	assert.NotEmpty(t, rule.Annotations["description"])
	assert.NotEmpty(t, rule.Labels)
	assert.False(t, rule.IsPaused)

	refIDs := map[string]alertQuery{}
	for _, q := range rule.Data {
		assert.NotContains(t, refIDs, q.RefID, "refId %s twice", q.RefID)
		refIDs[q.RefID] = q
		assert.Equal(t, q.RefID, q.Model["refId"], "model refId of %s", q.RefID)
	}
	require.Contains(t, refIDs, rule.Condition, "the condition is one of the rule's queries")

	var metrics []string
	for _, q := range rule.Data {
		switch q.DatasourceUID {
		case dataSourceUID:
			assert.EqualValues(t, 86400, q.RelativeTimeRange.From, "%s covers the last 24 hours", q.RefID)
			assert.Zero(t, q.RelativeTimeRange.To)
			raw := q.modelJSON(t)
			assert.NotContains(t, string(raw), "$", "%s: an alert rule has no template variables", q.RefID)
			parsed, err := models.ParseQuery(raw)
			require.NoError(t, err, q.RefID)
			assert.Equal(t, models.QueryMetrics, parsed.QueryType)
			assert.Empty(t, parsed.GroupBy, "%s: one number, not a series per dimension", q.RefID)
			metrics = append(metrics, parsed.Metrics...)
		case expressionsUID:
			for _, ref := range expressionInputs(q) {
				assert.Contains(t, refIDs, ref, "%s uses %s", q.RefID, ref)
			}
		default:
			t.Errorf("%s: data source %q is neither %s nor expressions", q.RefID, q.DatasourceUID, dataSourceUID)
		}
	}
	assert.ElementsMatch(t, []string{"csat_lower_bound", "responses"}, metrics)

	// The condition fires on a low lower bound with enough responses, nothing else.
	cond := refIDs[rule.Condition]
	require.Equal(t, expressionsUID, cond.DatasourceUID)
	require.Equal(t, "math", cond.Model["type"])
	expr, _ := cond.Model["expression"].(string)
	m := regexp.MustCompile(`^\$(\w+) < \d+ && \$(\w+) >= \d+$`).FindStringSubmatch(expr)
	require.NotNil(t, m, "condition %q", expr)
	assert.Equal(t, "csat_lower_bound", metricOf(t, refIDs, m[1]), "compared with the threshold")
	assert.Equal(t, "responses", metricOf(t, refIDs, m[2]), "compared with the minimum")
}

// metricOf follows reduce expressions down to the data source query and returns its metric.
func metricOf(t *testing.T, refIDs map[string]alertQuery, ref string) string {
	t.Helper()
	q, ok := refIDs[ref]
	require.True(t, ok, ref)
	if q.DatasourceUID == expressionsUID {
		require.Equal(t, "reduce", q.Model["type"], "%s between the query and the condition", ref)
		return metricOf(t, refIDs, q.Model["expression"].(string))
	}
	parsed, err := models.ParseQuery(q.modelJSON(t))
	require.NoError(t, err)
	require.Len(t, parsed.Metrics, 1, ref)
	return parsed.Metrics[0]
}

// expressionInputs are the refIds an expression reads: math's $X, reduce's expression.
func expressionInputs(q alertQuery) []string {
	expr, _ := q.Model["expression"].(string)
	if q.Model["type"] != "math" {
		return []string{expr}
	}
	var refs []string
	for _, m := range regexp.MustCompile(`\$\{?(\w+)\}?`).FindAllStringSubmatch(expr, -1) {
		refs = append(refs, m[1])
	}
	return refs
}

// ruleQueries are the rule's data source queries as the alerting scheduler sends them at now.
// runAlert sends queries as Grafana's alerting does, with the FromAlert header.
func runAlert(ctx context.Context, t *testing.T, ds backend.QueryDataHandler, queries []backend.DataQuery) *backend.QueryDataResponse {
	t.Helper()
	resp, err := ds.QueryData(ctx, &backend.QueryDataRequest{Queries: queries, Headers: map[string]string{"FromAlert": "true"}})
	require.NoError(t, err)
	require.Len(t, resp.Responses, len(queries))
	return resp
}

func ruleQueries(t *testing.T, rule alertRule, now time.Time) []backend.DataQuery {
	t.Helper()
	var out []backend.DataQuery
	for _, q := range rule.Data {
		if q.DatasourceUID != dataSourceUID {
			continue
		}
		from := now.Add(-time.Duration(q.RelativeTimeRange.From) * time.Second)
		to := now.Add(-time.Duration(q.RelativeTimeRange.To) * time.Second)
		out = append(out, storedQuery(t, q.modelJSON(t), from, to))
	}
	require.NotEmpty(t, out)
	return out
}

func TestCSATAlertQueriesReturnNumbers(t *testing.T) {
	ds := demoInstance(t, pgtest.Start(t), demo.Size{})
	rule := csatRule(t)
	resp := runAlert(context.Background(), t, ds, ruleQueries(t, rule, demo.DefaultEnd))
	for ref, r := range resp.Responses {
		require.NoError(t, r.Error, ref)
		require.Len(t, r.Frames, 1, ref)
		f := r.Frames[0]
		require.NotNil(t, f.Meta, ref)
		// Server-side expressions read a numeric-wide frame as numbers, one per numeric field: one
		// field per query, so that each expression input is one value.
		assert.Equal(t, data.FrameTypeNumericWide, f.Meta.Type, ref)
		require.Len(t, f.Fields, 1, ref)
		field := f.Fields[0]
		assert.Equal(t, data.FieldTypeNullableFloat64, field.Type(), ref)
		require.Equal(t, 1, field.Len(), ref)
		v, ok := field.ConcreteAt(0)
		// The demo's last day has a few responses: both numbers are there.
		assert.True(t, ok, "%s: %s has a value", ref, field.Name)
		assert.IsType(t, float64(0), v, ref)
	}
}

// A store that is down is an error of the rule's queries, never zeros that would resolve (or, with
// the lower bound, fire) the alert.
func TestCSATAlertQueriesFailWhenStoreIsDown(t *testing.T) {
	srv := pgtest.StartPrivate(t)
	ds := demoInstance(t, srv, demo.Size{Customers: 100, Tickets: 300, Orders: 150})
	rule := csatRule(t)
	ctx := context.Background()
	queries := ruleQueries(t, rule, demo.DefaultEnd)

	for ref, r := range runAlert(ctx, t, ds, queries).Responses {
		require.NoError(t, r.Error, "%s before the store goes down", ref)
	}
	require.NoError(t, srv.Stop())
	for ref, r := range runAlert(ctx, t, ds, queries).Responses {
		assert.Error(t, r.Error, ref)
		assert.Equal(t, backend.ErrorSourceDownstream, r.ErrorSource, "%s: the store's fault, not the plugin's", ref)
		for _, f := range r.Frames {
			for _, field := range f.Fields {
				assert.Zero(t, field.Len(), "%s: no values with an error", ref)
			}
		}
	}
}

// alertValue and alertData are what Grafana's alerting gives an annotation template
// (pkg/services/ngalert/state/template): $values maps a refId to its value and labels; in the Error
// state, and for a query that returned nothing, a refId is absent.
type alertValue struct {
	Labels map[string]string
	Value  float64
}

func (v alertValue) String() string { return strconv.FormatFloat(v.Value, 'f', -1, 64) }

type alertData struct {
	Labels map[string]string
	Values map[string]alertValue
	Value  string
}

// expandAnnotation expands an annotation as Grafana 12 does: the same variables prepended, the same
// missingkey=invalid option, and a humanize that, like Prometheus's, fails on what is not a number.
func expandAnnotation(tmpl string, d alertData) (string, error) {
	humanize := func(v any) (string, error) {
		f, ok := v.(float64)
		if !ok {
			return "", fmt.Errorf("can't convert %T to float", v)
		}
		return strconv.FormatFloat(f, 'f', -1, 64), nil
	}
	t, err := template.New("__alert_summary").Option("missingkey=invalid").
		Funcs(template.FuncMap{"humanize": humanize}).
		Parse("{{- $labels := .Labels -}}{{- $values := .Values -}}{{- $value := .Value -}}" + tmpl)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	err = t.Execute(&b, d)
	return b.String(), err
}

// The summary expands in every state of the rule: with its values, and without them (Error, where
// Grafana would otherwise log "Error in expanding template" at every evaluation and show the raw
// template).
func TestCSATAlertSummaryExpandsInEveryState(t *testing.T) {
	summary := csatRule(t).Annotations["summary"]

	// The harness fails where Grafana fails: an unguarded value in the Error state.
	_, err := expandAnnotation("{{ humanize $values.C.Value }}", alertData{Values: map[string]alertValue{}})
	require.Error(t, err, "the harness must reproduce Grafana's failure on an absent value")

	firing, err := expandAnnotation(summary, alertData{Values: map[string]alertValue{
		"C": {Value: 72.5}, "D": {Value: 41}, "E": {Value: 1}}})
	require.NoError(t, err)
	assert.Equal(t, "CSAT lower bound over the last 24 hours is 72.5% on 41 responses, under the 80% target.", firing)

	for name, values := range map[string]map[string]alertValue{"no values": {}, "nil values": nil} {
		got, err := expandAnnotation(summary, alertData{Values: values})
		require.NoError(t, err, name)
		assert.Contains(t, got, "has no value", name)
		assert.NotContains(t, got, "{{", name)
		assert.NotContains(t, got, "<no value>", name)
	}

	// A reduce over no data is NaN in Grafana: still a number.
	noData, err := expandAnnotation(summary, alertData{Values: map[string]alertValue{
		"C": {Value: math.NaN()}, "D": {Value: 0}}})
	require.NoError(t, err)
	assert.Contains(t, noData, "is NaN% on 0 responses")
}
