// Package plugin is the Grafana-facing data source instance: one per configured data source,
// built by NewDatasource, forwarding each SDK entry point to its handler.
package plugin

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/instancemgmt"

	"github.com/supportops/grafana-support-analytics/pkg/engine"
	"github.com/supportops/grafana-support-analytics/pkg/models"
	"github.com/supportops/grafana-support-analytics/pkg/store"
)

var (
	_ backend.QueryDataHandler      = (*Datasource)(nil)
	_ backend.CheckHealthHandler    = (*Datasource)(nil)
	_ backend.CallResourceHandler   = (*Datasource)(nil)
	_ instancemgmt.InstanceDisposer = (*Datasource)(nil)
)

// The read cache of an instance: a dashboard refresh reads each store once, and a refresh within the
// TTL reads nothing (numbers may then lag the stores by up to the TTL). Alert rules bypass it: they
// must see a store that went down as an error at once.
//
// Finished answers are kept for the same TTL, keyed by the query and its exact range: the same panel
// asked again for the same range (a dashboard with an absolute range, a second viewer, an embedded
// panel, a panel re-rendered by the editor) is answered without computing. A relative range such as
// "now-30d" moves with every request, so its answers are computed again from the cached reads.
const (
	readCacheTTL     = time.Minute
	readCacheEntries = 64
	answerEntries    = 256
)

// Datasource is one data source instance: its settings, its two stores and its handlers.
type Datasource struct {
	settings    models.Settings
	settingsErr error // kept, not returned by the factory: Grafana would only show an opaque error
	stores      *store.Stores
	engine      *engine.Engine // reads through the instance's read cache
	direct      *engine.Engine // reads the stores every time: alert rules
	answers     *engine.Cache  // finished answers, by query and exact range (not for alert rules)
	queries     backend.QueryDataHandler
	resources   backend.CallResourceHandler
}

// NewDatasource builds an instance from its settings. It never fails: invalid settings become the
// answer of the health check and of every query, in words the user can act on.
func NewDatasource(ctx context.Context, s backend.DataSourceInstanceSettings) (instancemgmt.Instance, error) {
	d := &Datasource{}
	settings, err := models.LoadSettings(s)
	if err == nil {
		d.stores, err = store.Open(settings)
	}
	if err != nil {
		if !errors.Is(err, models.ErrSettings) {
			err = backend.DownstreamError(fmt.Errorf("%w: %v", models.ErrSettings, err))
		}
		backend.Logger.FromContext(ctx).Error("data source settings are not valid", "uid", s.UID, "error", err)
		d.settingsErr = err
	}
	d.settings = settings
	if d.settingsErr == nil {
		d.direct = engine.New(settings, safeHelpdesk{d.stores.Helpdesk}, safeOrders{d.stores.Orders})
		d.engine = d.direct.Cached(engine.NewCache(readCacheTTL, readCacheEntries))
		d.answers = engine.NewCache(readCacheTTL, answerEntries)
	}
	d.queries = newQueryHandler(d)
	d.resources = newResourceHandler(d)
	return d, nil
}

// Settings are the instance's parsed settings (zero when SettingsError is set).
func (d *Datasource) Settings() models.Settings { return d.settings }

// SettingsError is why the settings are unusable, or nil.
func (d *Datasource) SettingsError() error { return d.settingsErr }

// Stores are the instance's stores (nil when SettingsError is set).
func (d *Datasource) Stores() *store.Stores { return d.stores }

// QueryData answers every query with the settings error when there is one; otherwise the query
// handler does.
func (d *Datasource) QueryData(ctx context.Context, req *backend.QueryDataRequest) (*backend.QueryDataResponse, error) {
	if d.settingsErr != nil {
		resp := backend.NewQueryDataResponse()
		for _, q := range req.Queries {
			resp.Responses[q.RefID] = backend.ErrDataResponseWithSource(backend.StatusBadRequest, backend.ErrorSourceDownstream, d.settingsErr.Error())
		}
		return resp, nil
	}
	resp, err := d.queries.QueryData(ctx, req)
	if err == nil && errors.Is(ctx.Err(), context.Canceled) {
		// Grafana cancelled the request (the browser left the dashboard or sent the query again):
		// nobody reads the answer. The request's own cancellation, rather than a per-query error,
		// is what the SDK's request log records as "cancelled" at info level instead of an error.
		backend.Logger.FromContext(ctx).Debug("request cancelled", "queries", len(req.Queries))
		return nil, ctx.Err()
	}
	return resp, err
}

// CallResource forwards to the resource handler (the catalog needs no store, so it works even
// with invalid settings).
func (d *Datasource) CallResource(ctx context.Context, req *backend.CallResourceRequest, sender backend.CallResourceResponseSender) error {
	return d.resources.CallResource(ctx, req, sender)
}

// Dispose closes the pools when Grafana replaces or drops the instance.
func (d *Datasource) Dispose() {
	d.stores.Close()
}
