package plugin_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/supportops/grafana-support-analytics/pkg/demo"
	"github.com/supportops/grafana-support-analytics/pkg/plugin"
	"github.com/supportops/grafana-support-analytics/pkg/testutil/pgtest"
)

// fuzzSeeds are valid queries of every type and broken ones.
var fuzzSeeds = []string{
	`{"metrics":["tickets"]}`,
	`{"queryType":"metrics","metrics":["tickets","closed_tickets","first_response_seconds_p90","resolution_seconds_p50","first_response_sla_rate"],"groupBy":["time","priority"],"interval":"hour"}`,
	`{"metrics":["csat","csat_lower_bound","responses","response_rate"],"groupBy":["agent"],"compare":"previous_year","timezone":"Europe/Paris"}`,
	`{"metrics":["attributed_revenue","attributed_orders","ticket_conversion_rate","conversation_conversion_rate"],"groupBy":["time","segment"],"interval":"week","attribution":{"windowHours":24,"model":"first_touch","dateBasis":"order"}}`,
	`{"metrics":["revenue","orders","new_customer_revenue_share"],"groupBy":["customer_type","currency"],"compare":"previous_period"}`,
	`{"metrics":["items_sold"],"groupBy":["product"],"filters":{"products":["x'; DROP TABLE orders; --"]}}`,
	`{"metrics":["engagement_rate","automation_rate"],"groupBy":["channel"],"filters":{"channels":["$channel"],"projects":["${project}"]}}`,
	`{"metrics":["tickets"],"groupBy":["tag","topic"],"filters":{"tags":["a\u0000b","%","\\"],"segments":["vip"]}}`,
	`{"queryType":"tickets","limit":3,"filters":{"agents":["alice"]}}`,
	`{"queryType":"top_products","sortBy":"quantity","limit":2}`,
	`{"queryType":"live_feed","limit":5}`,
	`{"queryType":"retention","months":3}`,
	`{"queryType":"variable","dimension":"project"}`,
	`{"queryType":"variable","dimension":"time"}`,
	`{"queryType":"nope"}`,
	`{"metrics":["tickets"],"groupBy":["agent","agent"]}`,
	`{"metrics":["revenue"],"groupBy":["agent"]}`,
	`{"metrics":["tickets"],"interval":"fortnight"}`,
	`{"metrics":["tickets"],"timezone":"Local"}`,
	`{"metrics":["tickets"`,
	`[]`,
	``,
}

// FuzzQueryData sends one fuzzed query (its JSON and its range, in hours before the end of the
// demo data) beside a good one through a plugin instance over a small demo store. No input may
// panic, fail the request, disturb the good query or end in the plugin's own error.
func FuzzQueryData(f *testing.F) {
	for i, s := range fuzzSeeds {
		f.Add([]byte(s), int32(24*(1+i%40)), int16(i%3))
	}
	f.Add([]byte(`{"metrics":["tickets"]}`), int32(24*800), int16(0))
	f.Add([]byte(`{"metrics":["tickets"]}`), int32(-24), int16(0))
	d := fuzzInstance(f)
	ctx := context.Background()
	good := dq("good", `{"metrics":["tickets"]}`, demoFrom, demoTo)

	f.Fuzz(func(t *testing.T, model []byte, spanHours int32, endHours int16) {
		to := demoTo.Add(-time.Duration(endHours) * time.Hour)
		q := backend.DataQuery{RefID: "fuzz", JSON: model, TimeRange: backend.TimeRange{From: to.Add(-time.Duration(spanHours) * time.Hour), To: to}}
		resp, err := d.QueryData(ctx, &backend.QueryDataRequest{Queries: []backend.DataQuery{q, good}})
		if err != nil {
			t.Fatalf("QueryData failed as a whole: %v", err)
		}
		if len(resp.Responses) != 2 {
			t.Fatalf("%d answers to 2 queries", len(resp.Responses))
		}
		if r := resp.Responses["good"]; r.Error != nil || len(r.Frames) == 0 {
			t.Fatalf("the good query beside it failed: %v", r.Error)
		}
		r := resp.Responses["fuzz"]
		if r.Error != nil {
			msg := r.Error.Error()
			if r.ErrorSource != backend.ErrorSourceDownstream || strings.Contains(msg, "internal error") {
				t.Fatalf("the plugin's own error (a bug), status %d: %s", r.Status, msg)
			}
			if strings.TrimSpace(msg) == "" {
				t.Fatal("an error without a message")
			}
			return
		}
		if len(r.Frames) == 0 {
			t.Fatal("neither frames nor an error")
		}
		if _, err := r.Frames.MarshalArrow(); err != nil {
			t.Fatalf("the frames cannot be sent to Grafana: %v", err)
		}
		for _, fr := range r.Frames {
			if fr.Meta == nil || fr.Meta.Type == data.FrameTypeUnknown {
				t.Fatalf("frame %q without a type", fr.Name)
			}
		}
	})
}

// fuzzInstance is an instance over a small demo store, built once per fuzzing process.
func fuzzInstance(tb testing.TB) *plugin.Datasource {
	tb.Helper()
	db := pgtest.Start(tb).NewDatabase(tb)
	_, err := demo.Load(context.Background(), db.AdminPool, db.AdminPool, demo.Options{
		HelpdeskSchema: "support", OrdersSchema: "shop",
		Size: demo.Size{Customers: 60, Tickets: 150, Orders: 100},
	})
	if err != nil {
		tb.Fatal(err)
	}
	db.GrantRead(tb, "support")
	db.GrantRead(tb, "shop")
	raw, err := json.Marshal(map[string]any{
		"helpdeskHost": db.Host + ":" + strconv.Itoa(db.Port), "helpdeskDatabase": db.Name, "helpdeskUser": db.User,
		"helpdeskSchema": "support", "ordersSchema": "shop", "helpdeskSslMode": "disable", "queryTimeoutSeconds": 10,
	})
	if err != nil {
		tb.Fatal(err)
	}
	inst, err := plugin.NewDatasource(context.Background(), backend.DataSourceInstanceSettings{
		JSONData: raw, DecryptedSecureJSONData: map[string]string{"helpdeskPassword": db.Password}})
	if err != nil {
		tb.Fatal(err)
	}
	d := inst.(*plugin.Datasource)
	tb.Cleanup(d.Dispose)
	return d
}
