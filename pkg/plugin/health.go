package plugin

import (
	"context"
	"encoding/json"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// healthDetails is the JSON detail of a health check: every error and note on its own line.
type healthDetails struct {
	Errors []string `json:"errors"`
	Notes  []string `json:"notes"`
}

// CheckHealth connects to both stores and checks their data contract ("Save & test"). A store
// problem is an ERROR result, not a Go error: that is reserved for the plugin itself breaking.
func (d *Datasource) CheckHealth(ctx context.Context, _ *backend.CheckHealthRequest) (*backend.CheckHealthResult, error) {
	if d.settingsErr != nil {
		return &backend.CheckHealthResult{Status: backend.HealthStatusError, Message: d.settingsErr.Error()}, nil
	}
	r := d.stores.Check(ctx)
	details, err := json.Marshal(healthDetails{Errors: nonNil(r.Errors), Notes: nonNil(r.Notes)})
	if err != nil {
		return nil, err
	}
	status := backend.HealthStatusOk
	if !r.OK {
		status = backend.HealthStatusError
	}
	backend.Logger.FromContext(ctx).Debug("health check", "ok", r.OK, "errors", len(r.Errors), "notes", len(r.Notes))
	return &backend.CheckHealthResult{Status: status, Message: r.Message, JSONDetails: details}, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
