package plugin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/datasource"
	"github.com/grafana/grafana-plugin-sdk-go/backend/tracing"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"go.opentelemetry.io/otel/attribute"

	"github.com/supportops/grafana-support-analytics/pkg/engine"
	"github.com/supportops/grafana-support-analytics/pkg/frames"
	"github.com/supportops/grafana-support-analytics/pkg/models"
	"github.com/supportops/grafana-support-analytics/pkg/store"
)

// answer computes one parsed query into frames.
type answer func(ctx context.Context, e *engine.Engine, refID string, r engine.Request) (data.Frames, error)

func metricsAnswer(ctx context.Context, e *engine.Engine, refID string, r engine.Request) (data.Frames, error) {
	res, err := e.Metrics(ctx, r)
	if err != nil {
		return nil, err
	}
	return data.Frames{frames.Metrics(refID, res)}, nil
}

func tableAnswer(run func(*engine.Engine, context.Context, engine.Request) (*engine.Table, error), currency func(*engine.Engine) string) answer {
	return func(ctx context.Context, e *engine.Engine, refID string, r engine.Request) (data.Frames, error) {
		t, err := run(e, ctx, r)
		if err != nil {
			return nil, err
		}
		t.Info = append(slices.Clone(r.Query.Notices), t.Info...)
		return data.Frames{frames.Table(refID, t, currency(e))}, nil
	}
}

// newQueryHandler routes each query type of SPEC 4 to its computation.
func newQueryHandler(d *Datasource) backend.QueryDataHandler {
	mux := datasource.NewQueryTypeMux()
	cur := func(*engine.Engine) string { return d.Settings().Currency }
	handlers := map[string]answer{
		models.QueryMetrics:     metricsAnswer,
		models.QueryTickets:     tableAnswer((*engine.Engine).Tickets, cur),
		models.QueryTopProducts: tableAnswer((*engine.Engine).TopProducts, cur),
		models.QueryLiveFeed:    tableAnswer((*engine.Engine).LiveFeed, cur),
		models.QueryRetention:   tableAnswer((*engine.Engine).Retention, cur),
		models.QueryVariable:    tableAnswer((*engine.Engine).Variable, cur),
	}
	for qt, h := range handlers {
		mux.HandleFunc(qt, d.runAll(h))
	}
	// A query without queryType is a metrics query; an unknown type gets its own error from ParseQuery.
	mux.HandleFunc("", d.runAll(func(ctx context.Context, e *engine.Engine, refID string, r engine.Request) (data.Frames, error) {
		switch r.Query.QueryType {
		case models.QueryMetrics:
			return metricsAnswer(ctx, e, refID, r)
		}
		if h, ok := handlers[r.Query.QueryType]; ok {
			return h(ctx, e, refID, r)
		}
		return nil, fmt.Errorf("%w: unknown queryType %q", models.ErrBadQuery, r.Query.QueryType)
	}))
	return mux
}

// runAll answers every query of a request concurrently, each on its own: one bad query or one failed
// read never takes the others down.
func (d *Datasource) runAll(h answer) backend.QueryDataHandlerFunc {
	return func(ctx context.Context, req *backend.QueryDataRequest) (*backend.QueryDataResponse, error) {
		resp := backend.NewQueryDataResponse()
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, q := range req.Queries {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := d.runOne(ctx, h, q, fromAlert(req))
				mu.Lock()
				resp.Responses[q.RefID] = r
				mu.Unlock()
			}()
		}
		wg.Wait()
		return resp, nil
	}
}

// fromAlert reports whether Grafana's alerting sent the request.
func fromAlert(req *backend.QueryDataRequest) bool {
	return req.Headers["FromAlert"] == "true" || req.GetHTTPHeader("FromAlert") == "true"
}

func (d *Datasource) runOne(ctx context.Context, h answer, q backend.DataQuery, alert bool) (resp backend.DataResponse) {
	ctx, span := tracing.DefaultTracer().Start(ctx, "support-analytics query")
	defer span.End()
	logger := backend.Logger.FromContext(ctx)
	defer func() {
		if p := recover(); p != nil {
			logger.Error("query panicked", "refId", q.RefID, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			resp = errorResponse(backend.PluginError(fmt.Errorf("internal error in the Support Analytics plugin: %v", p)))
		}
	}()
	parsed, err := models.ParseQuery(q.JSON)
	if err != nil {
		return errorResponse(err)
	}
	span.SetAttributes(attribute.String("query_type", parsed.QueryType), attribute.StringSlice("metrics", parsed.Metrics))
	e, err := d.engineOrErr()
	if err != nil {
		return errorResponse(err)
	}
	if alert {
		e = d.direct
	}
	r := engine.Request{Query: parsed, From: q.TimeRange.From, To: q.TimeRange.To}
	var frames data.Frames
	if alert || d.answers == nil || parsed.QueryType == models.QueryLiveFeed {
		frames, err = h(ctx, e, q.RefID, r)
	} else {
		frames, err = d.keptAnswer(ctx, h, e, q.RefID, r)
	}
	if err != nil {
		logger.Debug("query failed", "refId", q.RefID, "error", err)
		tracing.Error(span, err)
		return errorResponse(err)
	}
	return backend.DataResponse{Frames: frames}
}

// keptAnswer answers r from the instance's answer cache, or computes it once for every concurrent
// identical query (a dashboard shown twice at once). The answer is kept under a placeholder refId
// and stamped with the caller's: frames are shared read-only, only their names differ. Alert rules
// and the live feed never come here: they must see the stores as they are.
func (d *Datasource) keptAnswer(ctx context.Context, h answer, e *engine.Engine, refID string, r engine.Request) (data.Frames, error) {
	key, err := answerKey(r)
	if err != nil {
		return h(ctx, e, refID, r)
	}
	v, err := d.answers.Answer(ctx, key, func(ctx context.Context) (any, error) { return h(ctx, e, keptRefID, r) })
	if err != nil {
		return nil, err
	}
	kept := v.(data.Frames)
	out := make(data.Frames, len(kept))
	for i, f := range kept {
		c := *f
		if c.Name == keptRefID {
			c.Name = refID
		}
		c.RefID = refID
		out[i] = &c
	}
	return out, nil
}

// keptRefID names the frames of a kept answer until they are handed out.
const keptRefID = "\x00kept"

// answerKey is everything an answer depends on besides the instance: the parsed query, what parsing
// decided on the user's behalf, and the exact range.
func answerKey(r engine.Request) (string, error) {
	b, err := json.Marshal(r.Query)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s|%q|%q|%d|%d", b, r.Query.Notices, r.Query.UnknownFilters, r.From.UnixNano(), r.To.UnixNano()), nil
}

// errorResponse classifies an error: the user's query and the stores are downstream, the rest ours.
func errorResponse(err error) backend.DataResponse {
	switch {
	case errors.Is(err, models.ErrBadQuery), errors.Is(err, engine.ErrMissingRelation):
		return backend.ErrDataResponseWithSource(backend.StatusBadRequest, backend.ErrorSourceDownstream, err.Error())
	case errors.Is(err, context.Canceled):
		return backend.ErrDataResponseWithSource(backend.StatusBadRequest, backend.ErrorSourceDownstream, "the query was cancelled")
	case backend.IsDownstreamError(err):
		return backend.ErrDataResponseWithSource(backend.StatusBadGateway, backend.ErrorSourceDownstream, err.Error())
	}
	return backend.ErrDataResponseWithSource(backend.StatusInternal, backend.ErrorSourcePlugin, err.Error())
}

// engineOrErr is the instance's metric engine; a settings error is every query's error.
func (d *Datasource) engineOrErr() (*engine.Engine, error) {
	if err := d.SettingsError(); err != nil {
		return nil, err
	}
	return d.engine, nil
}

// safeHelpdesk and safeOrders turn a panic in a store read into that read's error. The engine reads
// in goroutines of its own, out of reach of runOne's recovery: a bug in a reader must fail its
// query, not take the plugin process (every data source of the Grafana server) down.
type safeHelpdesk struct{ engine.HelpdeskReader }

type safeOrders struct{ engine.OrderReader }

// recoverRead is deferred by every read; what names the read in the error and the log.
func recoverRead(ctx context.Context, label, what string, err *error) {
	if p := recover(); p != nil {
		backend.Logger.FromContext(ctx).Error("store read panicked", "store", label, "read", what,
			"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		*err = backend.PluginError(fmt.Errorf("internal error in the Support Analytics plugin reading %s from the %s: %v", what, label, p))
	}
}

func (h safeHelpdesk) ReadTickets(ctx context.Context, r store.TicketRead) (_ *store.Tickets, err error) {
	defer recoverRead(ctx, h.Label(), "tickets", &err)
	return h.HelpdeskReader.ReadTickets(ctx, r)
}

func (h safeHelpdesk) ReadMessages(ctx context.Context, r store.MessageRead) (_ *store.Messages, err error) {
	defer recoverRead(ctx, h.Label(), "messages", &err)
	return h.HelpdeskReader.ReadMessages(ctx, r)
}

func (h safeHelpdesk) ScanMessages(ctx context.Context, r store.MessageRead, f func(ticket []byte, firstReply int64, flags uint8)) (err error) {
	defer recoverRead(ctx, h.Label(), "messages", &err)
	return h.HelpdeskReader.ScanMessages(ctx, r, f)
}

func (h safeHelpdesk) ReadSurveys(ctx context.Context, from, to time.Time) (_ *store.Surveys, err error) {
	defer recoverRead(ctx, h.Label(), "csat_responses", &err)
	return h.HelpdeskReader.ReadSurveys(ctx, from, to)
}

func (h safeHelpdesk) ReadSurveySlots(ctx context.Context, r store.SurveySlotRead) (_ *store.SurveySlots, err error) {
	defer recoverRead(ctx, h.Label(), "csat_responses sums", &err)
	return h.HelpdeskReader.ReadSurveySlots(ctx, r)
}

func (h safeHelpdesk) ReadDisplays(ctx context.Context, from, to time.Time) (_ *store.Displays, err error) {
	defer recoverRead(ctx, h.Label(), "chat_displays", &err)
	return h.HelpdeskReader.ReadDisplays(ctx, from, to)
}

func (h safeHelpdesk) ReadTicketValues(ctx context.Context, dim string, from, to time.Time) (_ []string, err error) {
	defer recoverRead(ctx, h.Label(), "ticket values", &err)
	return h.HelpdeskReader.ReadTicketValues(ctx, dim, from, to)
}

func (h safeHelpdesk) ReadTicketScores(ctx context.Context, ids []string, answeredFrom time.Time) (_ map[string]int16, err error) {
	defer recoverRead(ctx, h.Label(), "ticket scores", &err)
	return h.HelpdeskReader.ReadTicketScores(ctx, ids, answeredFrom)
}

func (h safeHelpdesk) Has(ctx context.Context, name string) (_ bool, err error) {
	defer recoverRead(ctx, h.Label(), name, &err)
	return h.HelpdeskReader.Has(ctx, name)
}

func (o safeOrders) ReadOrders(ctx context.Context, r store.OrderRead) (_ *store.Orders, err error) {
	defer recoverRead(ctx, o.Label(), "orders", &err)
	return o.OrderReader.ReadOrders(ctx, r)
}

func (o safeOrders) ScanOrders(ctx context.Context, r store.OrderRead, f func(o store.Order) error) (err error) {
	defer recoverRead(ctx, o.Label(), "orders", &err)
	return o.OrderReader.ScanOrders(ctx, r, f)
}

func (o safeOrders) ReadOrderSlots(ctx context.Context, r store.OrderSlotRead) (_ *store.OrderSlots, err error) {
	defer recoverRead(ctx, o.Label(), "order sums", &err)
	return o.OrderReader.ReadOrderSlots(ctx, r)
}

func (o safeOrders) ReadProductSums(ctx context.Context, r store.ProductRead) (_ *store.ProductSums, err error) {
	defer recoverRead(ctx, o.Label(), "product sums", &err)
	return o.OrderReader.ReadProductSums(ctx, r)
}

func (o safeOrders) ReadHistory(ctx context.Context, before time.Time, keys, excluded []string, currency string, capOrders int) (_ *store.History, err error) {
	defer recoverRead(ctx, o.Label(), "order history", &err)
	return o.OrderReader.ReadHistory(ctx, before, keys, excluded, currency, capOrders)
}

func (o safeOrders) ReadFirstOrders(ctx context.Context, keys, excluded []string, currency string, capOrders int) (_ *store.FirstOrders, err error) {
	defer recoverRead(ctx, o.Label(), "first orders", &err)
	return o.OrderReader.ReadFirstOrders(ctx, keys, excluded, currency, capOrders)
}

func (o safeOrders) ReadLines(ctx context.Context, r store.OrderRead, orders *store.Orders) (_ *store.Lines, err error) {
	defer recoverRead(ctx, o.Label(), "order_lines", &err)
	return o.OrderReader.ReadLines(ctx, r, orders)
}

func (o safeOrders) ReadTaggedCustomers(ctx context.Context, tags []string) (_ map[string]bool, err error) {
	defer recoverRead(ctx, o.Label(), "customers", &err)
	return o.OrderReader.ReadTaggedCustomers(ctx, tags)
}

func (o safeOrders) ReadFeed(ctx context.Context, from, to time.Time, limit int) (_ []store.FeedEvent, err error) {
	defer recoverRead(ctx, o.Label(), "the live feed", &err)
	return o.OrderReader.ReadFeed(ctx, from, to, limit)
}

func (o safeOrders) ReadOrderValues(ctx context.Context, dim string, from, to time.Time, excluded []string) (_ []string, err error) {
	defer recoverRead(ctx, o.Label(), "order values", &err)
	return o.OrderReader.ReadOrderValues(ctx, dim, from, to, excluded)
}

func (o safeOrders) Has(ctx context.Context, name string) (_ bool, err error) {
	defer recoverRead(ctx, o.Label(), name, &err)
	return o.OrderReader.Has(ctx, name)
}
