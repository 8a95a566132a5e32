package plugin

// Scenario 1 (panics): a panic anywhere in a query, also in the goroutines the engine starts for its
// reads, fails that query alone and leaves the process up.

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supportops/grafana-support-analytics/pkg/engine"
	"github.com/supportops/grafana-support-analytics/pkg/store"
	"github.com/supportops/grafana-support-analytics/pkg/testutil/pgtest"
)

// panicky is the helpdesk store with a bug in the read named broken: tickets, messages, csat_responses
// and their sums are read in goroutines of the engine or on the query's own, ticket values on the
// query's own.
type panicky struct {
	*store.Store
	broken string
}

func (p panicky) ReadTickets(ctx context.Context, r store.TicketRead) (*store.Tickets, error) {
	if p.broken == "tickets" {
		panic("bug in ReadTickets")
	}
	return p.Store.ReadTickets(ctx, r)
}

func (p panicky) ReadSurveys(ctx context.Context, from, to time.Time) (*store.Surveys, error) {
	if p.broken == "surveys" {
		var s *store.Surveys
		_ = s.Ticket[0] // a nil pointer dereference
	}
	return p.Store.ReadSurveys(ctx, from, to)
}

func (p panicky) ReadSurveySlots(ctx context.Context, r store.SurveySlotRead) (*store.SurveySlots, error) {
	if p.broken == "survey sums" {
		panic("bug in ReadSurveySlots")
	}
	return p.Store.ReadSurveySlots(ctx, r)
}

func (p panicky) ScanMessages(ctx context.Context, r store.MessageRead, f func([]byte, int64, uint8)) error {
	if p.broken == "messages" {
		panic("bug in ScanMessages")
	}
	return p.Store.ScanMessages(ctx, r, f)
}

func (p panicky) ReadTicketValues(ctx context.Context, dim string, from, to time.Time) ([]string, error) {
	if p.broken == "values" {
		panic("bug in ReadTicketValues")
	}
	return p.Store.ReadTicketValues(ctx, dim, from, to)
}

func TestPanicsFailTheirQueryAlone(t *testing.T) {
	db := pgtest.Start(t).NewDatabase(t)
	db.LoadSchema(t, "public")
	raw, err := json.Marshal(map[string]any{"helpdeskHost": db.Host + ":" + strconv.Itoa(db.Port), "helpdeskDatabase": db.Name,
		"helpdeskUser": db.User, "helpdeskSslMode": "disable"})
	require.NoError(t, err)
	inst, err := NewDatasource(context.Background(), backend.DataSourceInstanceSettings{JSONData: raw,
		DecryptedSecureJSONData: map[string]string{"helpdeskPassword": db.Password}})
	require.NoError(t, err)
	d := inst.(*Datasource)
	t.Cleanup(d.Dispose)

	to := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	q := func(ref, model string) backend.DataQuery {
		return backend.DataQuery{RefID: ref, JSON: json.RawMessage(model), TimeRange: backend.TimeRange{From: to.AddDate(0, 0, -7), To: to}}
	}
	tests := []struct {
		broken, query string
		guarded       bool // the reads go through the guards of NewDatasource
		want          string
		alertOnly     bool // the read is made for alert rules only
	}{
		{"tickets", `{"metrics":["tickets"]}`, true,
			"internal error in the Support Analytics plugin reading tickets from the helpdesk store: bug in ReadTickets", false},
		// By tag: the surveys and their tickets are read (the survey sums carry no tags).
		{"surveys", `{"metrics":["responses"],"groupBy":["tag"]}`, true,
			"internal error in the Support Analytics plugin reading csat_responses from the helpdesk store: runtime error: invalid memory address or nil pointer dereference", false},
		// Summed for alert rules only: through the cache, a dashboard's CSAT panels share the survey rows.
		{"survey sums", `{"metrics":["responses"]}`, true,
			"internal error in the Support Analytics plugin reading csat_responses sums from the helpdesk store: bug in ReadSurveySlots", true},
		// The message summaries, streamed in a goroutine of the engine, for alert rules and panels alike.
		{"messages", `{"metrics":["automation_rate"]}`, true,
			"internal error in the Support Analytics plugin reading messages from the helpdesk store: bug in ScanMessages", false},
		// On the query's own goroutine, past the guards: runOne's recovery.
		{"values", `{"queryType":"variable","dimension":"topic"}`, false,
			"internal error in the Support Analytics plugin: bug in ReadTicketValues", false},
	}
	for _, tt := range tests {
		var helpdesk engine.HelpdeskReader = panicky{d.stores.Helpdesk, tt.broken}
		if tt.guarded {
			helpdesk = safeHelpdesk{helpdesk}
		}
		d.direct = engine.New(d.settings, helpdesk, safeOrders{d.stores.Orders})
		d.engine = d.direct.Cached(engine.NewCache(time.Minute, 8))
		for _, alert := range []bool{false, true} {
			if tt.alertOnly && !alert {
				continue
			}
			req := &backend.QueryDataRequest{Queries: []backend.DataQuery{q("bug", tt.query), q("revenue", `{"metrics":["revenue"]}`)}}
			if alert {
				req.Headers = map[string]string{"FromAlert": "true"}
			}
			resp, err := d.QueryData(context.Background(), req)
			require.NoError(t, err)
			r := resp.Responses["bug"]
			assert.EqualError(t, r.Error, tt.want, tt.broken)
			assert.Equal(t, backend.ErrorSourcePlugin, r.ErrorSource, "%s: our bug, not the user's", tt.broken)
			assert.Equal(t, backend.StatusInternal, r.Status, tt.broken)
			assert.NoError(t, resp.Responses["revenue"].Error, "%s: the other query is answered", tt.broken)
		}
	}
}
