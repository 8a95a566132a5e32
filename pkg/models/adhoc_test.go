package models_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supportops/grafana-support-analytics/pkg/models"
)

// The ad hoc filters of Grafana's AdHocVariableFilter shape parse as they are sent, and each operator
// reads as an inclusion or an exclusion of its values.
func TestAdhocFilters(t *testing.T) {
	q, err := models.ParseQuery(json.RawMessage(`{"metrics": ["tickets"], "adhocFilters": [
		{"key": "agent", "operator": "=", "value": "alice", "keyLabel": "Agent", "origin": "dashboard"},
		{"key": "channel", "operator": "!=", "value": "chat"},
		{"key": "tag", "operator": "=|", "value": "refund", "values": ["refund", "vip"]},
		{"key": "topic", "operator": "!=|", "value": "", "values": ["shipping"]},
		{"key": "priority", "operator": "=|", "value": "high"},
		{"key": "project", "operator": "=~", "value": "shop.*"}]}`))
	require.NoError(t, err)
	require.Len(t, q.AdhocFilters, 6)
	type want struct {
		exclude bool
		values  []string
		ok      bool
		text    string
	}
	for i, w := range []want{
		{false, []string{"alice"}, true, "agent = alice"},
		{true, []string{"chat"}, true, "channel != chat"},
		{false, []string{"refund", "vip"}, true, "tag =| refund, vip"},
		{true, []string{"shipping"}, true, "topic !=| shipping"},
		{false, []string{"high"}, true, "priority =| high"}, // =| without values: its value
		{false, nil, false, "project =~ shop.*"},
	} {
		f := q.AdhocFilters[i]
		exclude, values, ok := f.Exclude()
		assert.Equal(t, w, want{exclude, values, ok, f.String()}, "filter %d", i)
	}
	assert.Equal(t, `the ad hoc filter project =~ shop.* was not applied: operator "=~" is not supported by Support Analytics; use =, !=, =| (one of) and !=| (none of)`,
		models.UnsupportedAdhocNotice(q.AdhocFilters[5]))
}
