package plugin_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supportops/grafana-support-analytics/pkg/testutil/pgtest"
)

func TestCheckHealth(t *testing.T) {
	db := pgtest.Start(t).NewDatabase(t)
	db.LoadSchema(t, "support")
	db.LoadSchema(t, "shop")
	db.Exec(t, "DROP TABLE support.chat_displays")
	port := strconv.Itoa(pgtest.ClosedPort(t))
	const wrong = "Wrong-Pa55-In-Process"

	tests := []struct {
		name    string
		extra   map[string]any
		secure  map[string]string
		status  backend.HealthStatus
		message string // a regular expression
		details string
	}{
		{
			name:    "OK with a note",
			status:  backend.HealthStatusOk,
			message: `^helpdesk store: PostgreSQL \d+\.\d+, schema support — order store: PostgreSQL \d+\.\d+, schema shop\. Notes: helpdesk store: chat_displays not found: engagement_rate unavailable$`,
			details: `{"errors":[],"notes":["helpdesk store: chat_displays not found: engagement_rate unavailable"]}`,
		},
		{
			name:    "wrong password",
			secure:  map[string]string{"helpdeskPassword": wrong},
			status:  backend.HealthStatusError,
			message: `^helpdesk store: password authentication failed for user grafana; order store: password authentication failed for user grafana$`,
		},
		{
			name:    "separate order store on a closed port",
			extra:   map[string]any{"ordersHost": "127.0.0.1:" + port, "ordersUser": "shop", "ordersSslMode": "disable"},
			status:  backend.HealthStatusError,
			message: `^order store: cannot connect to 127\.0\.0\.1:` + port + `: connection refused\. Notes: helpdesk store: chat_displays not found`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			jsonData, secure := dbSettings(db, "support", "shop", tt.extra)
			for k, v := range tt.secure {
				secure[k] = v
			}
			res, err := newInstance(t, jsonData, secure).CheckHealth(context.Background(), &backend.CheckHealthRequest{})
			require.NoError(t, err)
			assert.Equal(t, tt.status, res.Status, res.Message)
			assert.Regexp(t, tt.message, res.Message)
			if tt.details != "" {
				assert.JSONEq(t, tt.details, string(res.JSONDetails))
			}
			for _, secret := range []string{wrong, db.Password} {
				assert.NotContains(t, res.Message, secret)
				assert.NotContains(t, string(res.JSONDetails), secret)
			}
		})
	}
}
