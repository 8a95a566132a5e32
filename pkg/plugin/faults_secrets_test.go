package plugin_test

import (
	"context"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supportops/grafana-support-analytics/pkg/testutil/pgtest"
)

// Scenario 9: a wrong password is named as such, never shown.
func testWrongPassword(t *testing.T, demo *pgtest.DB) {
	ctx := context.Background()
	jsonData, _ := role(t, demo, "wrongpw", nil)
	d := newInstance(t, jsonData, map[string]string{"helpdeskPassword": seen.secret("wrong")})
	want := "store: password authentication failed for user " + jsonData["helpdeskUser"].(string)
	res := health(ctx, t, d)
	assert.Equal(t, backend.HealthStatusError, res.Status)
	assert.Contains(t, res.Message, "helpdesk "+want)
	for _, alert := range []bool{false, true} {
		// Both stores share the session: whichever read fails first names its store.
		r := one(ctx, t, d, alert, dq("A", `{"metrics":["tickets","revenue"]}`, demoFrom, demoTo))
		require.Error(t, r.Error)
		assert.Contains(t, r.Error.Error(), want)
	}
}

// Scenario 9: invalid settings answer health and queries without the secrets they hold, also a
// password typed into the host field.
func testSettingsWithSecrets(t *testing.T) {
	ctx := context.Background()
	for _, jsonData := range []map[string]any{
		{"helpdeskHost": "postgres://grafana:" + seen.secret("url") + "@db:5432/support", "helpdeskUser": "grafana"},
		{"helpdeskHost": "grafana:" + seen.secret("userinfo") + "@db", "helpdeskUser": "grafana"},
		{"helpdeskHost": "host=db password=" + seen.secret("conninfo"), "helpdeskUser": "grafana"},
		{"helpdeskHost": "db", "helpdeskUser": "grafana", "timezone": "Mars/Olympus"},
		{"helpdeskHost": "db", "helpdeskUser": "grafana", "helpdeskSslMode": "verify-full"},
	} {
		secure := map[string]string{
			"helpdeskPassword": seen.secret("settings"), "ordersPassword": seen.secret("settings"),
			"helpdeskTlsCACert": "-----BEGIN CERTIFICATE-----\n" + seen.secret("pem") + "\n-----END CERTIFICATE-----",
		}
		d := newInstance(t, jsonData, secure)
		require.Error(t, d.SettingsError(), jsonData)
		assert.ErrorContains(t, d.SettingsError(), "settings: ")
		seen.err(d.SettingsError())
		assert.Equal(t, backend.HealthStatusError, health(ctx, t, d).Status)
		assert.Error(t, one(ctx, t, d, false, dq("A", `{"metrics":["tickets"]}`, demoFrom, demoTo)).Error)
	}
}
