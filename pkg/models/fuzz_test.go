package models_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/supportops/grafana-support-analytics/pkg/models"
)

// querySeeds are valid and broken query models: every query type and field, wrong types, bad
// enumerations, injection-looking values, template variables, truncated and non-UTF-8 JSON.
var querySeeds = []string{
	``,
	`{}`,
	`null`,
	`[]`,
	`"metrics"`,
	`{"queryType":"metrics","metrics":["tickets"]}`,
	`{"metrics":["tickets","csat"],"groupBy":["time","agent"],"interval":"day","compare":"previous_period","timezone":"Europe/Paris"}`,
	`{"metrics":["attributed_revenue"],"attribution":{"windowHours":24,"model":"first_touch","dateBasis":"order"}}`,
	`{"metrics":["revenue"],"filters":{"products":["x'; DROP TABLE orders; --"],"currencies":["EUR"]}}`,
	`{"metrics":["tickets"],"filters":{"agents":["$agent"],"topics":["${topic:csv}"],"tags":["[[tag]]"],"channels":["$__all"]}}`,
	`{"metrics":["tickets"],"filters":{"topics":["a\u0000b","\\","%","_","'\"",";"]}}`,
	"{\"metrics\":[\"tickets\"],\"filters\":{\"topics\":[\"\xff\xfe\"]}}",
	`{"queryType":"tickets","limit":5,"sortBy":"created","only":"converted","filters":{"segments":["vip"]}}`,
	`{"queryType":"top_products","sortBy":"quantity","limit":3}`,
	`{"queryType":"live_feed","limit":50}`,
	`{"queryType":"retention","months":24}`,
	`{"queryType":"variable","dimension":"agent"}`,
	`{"queryType":"nope"}`,
	`{"queryType":42}`,
	`{"metrics":"tickets"}`,
	`{"metrics":[]}`,
	`{"metrics":["tickets"],"groupBy":["a","b","c"]}`,
	`{"metrics":["tickets"],"groupBy":["agent","agent"]}`,
	`{"metrics":["tickets"],"interval":"fortnight"}`,
	`{"metrics":["tickets"],"compare":"yesterday"}`,
	`{"metrics":["tickets"],"attribution":{"windowHours":-1}}`,
	`{"metrics":["tickets"],"attribution":{"windowHours":1e308}}`,
	`{"queryType":"tickets","limit":-1}`,
	`{"queryType":"tickets","limit":1e20}`,
	`{"queryType":"retention","months":121}`,
	`{"queryType":"top_products","sortBy":"price"}`,
	`{"metrics":["tickets"],"filters":{"agents":"alice"}}`,
	`{"metrics":["tickets"],"filters":[]}`,
	`{"metrics":["tickets"]`,
	`{"metrics":["tickets"]}}`,
	`{"refId":"A","datasource":{"type":"supportops-analytics-datasource","uid":"x"},"metrics":["tickets"],"hide":false,"intervalMs":60000,"maxDataPoints":1000}`,
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range querySeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		q, err := models.ParseQuery(raw)
		if err != nil {
			checkUserError(t, err, models.ErrBadQuery)
			return
		}
		if err := q.Validate(); err != nil {
			t.Fatalf("ParseQuery accepted a query Validate refuses: %v", err)
		}
		// A parsed query survives a round trip through its JSON unchanged: the fields the plugin
		// reads are the fields it was given, after defaults.
		again, err := json.Marshal(q)
		if err != nil {
			t.Fatalf("marshal parsed query: %v", err)
		}
		q2, err := models.ParseQuery(again)
		if err != nil {
			t.Fatalf("the parsed query %s no longer parses: %v", again, err)
		}
		q.Notices, q2.Notices = nil, nil
		a, _ := json.Marshal(q)
		b, _ := json.Marshal(q2)
		if string(a) != string(b) {
			t.Fatalf("round trip changed the query:\n%s\n%s", a, b)
		}
	})
}

func FuzzLoadSettings(f *testing.F) {
	seeds := []struct{ json, password string }{
		{`{"helpdeskHost":"db:5432","helpdeskUser":"grafana"}`, "Pw-1"},
		{`{"helpdeskHost":"[::1]:6432","helpdeskUser":"u","helpdeskSchema":"support-eu","ordersHost":"/var/run/postgresql:5433","ordersUser":"o","ordersSchema":"shop"}`, ""},
		{`{"helpdeskHost":"db","helpdeskUser":"u","helpdeskSchema":"a\"b"}`, "x'; DROP"},
		{`{"helpdeskHost":"db","helpdeskUser":"u","maxOpenConns":"0","queryTimeoutSeconds":1e400,"maxRangeDays":-3}`, ""},
		{`{"helpdeskHost":"db","helpdeskUser":"u","vipMinSpent":"12.34567","slaTargets":{"urgent":60,"":"x"}}`, ""},
		{`{"helpdeskHost":"db","helpdeskUser":"u","excludedStatuses":"cancelled,\u0000","vipTags":["vip",7]}`, ""},
		{`{"helpdeskHost":"postgres://u:p@db/x","helpdeskUser":"u"}`, ""},
		{`{"helpdeskHost":"db","helpdeskUser":"u","timezone":"Local","weekStart":"friday","currency":"euro"}`, ""},
		{`{"helpdeskHost":"db","helpdeskUser":"u","helpdeskSslMode":"verify-full","ordersDatabase":"other"}`, ""},
		{`{"helpdeskHost":"db","helpdeskUser":"u","slaClock":"business","businessHours":{"timezone":"Europe/Paris","week":{"monday":[["09:00","12:30"],["13:30","24:00"]],"Sunday":[]},"holidays":["2026-12-25"]}}`, ""},
		{`{"helpdeskHost":"db","helpdeskUser":"u","businessHours":{"week":{"friday":[["22:00","02:00"],["9:5","x"]],"mon":[]},"holidays":[7]}}`, ""},
		{`not json`, ""},
	}
	for _, s := range seeds {
		f.Add([]byte(s.json), s.password)
	}
	f.Fuzz(func(t *testing.T, raw []byte, password string) {
		s, err := models.LoadSettings(backend.DataSourceInstanceSettings{JSONData: raw,
			DecryptedSecureJSONData: map[string]string{"helpdeskPassword": password, "ordersPassword": password}})
		if err != nil {
			checkUserError(t, err, models.ErrSettings)
			if len(password) >= 6 && strings.Contains(err.Error(), password) {
				t.Fatalf("the settings error shows the password: %v", err)
			}
			return
		}
		if s.MaxOpenConns < 1 || s.QueryTimeout <= 0 || s.MaxRangeDays < 1 || s.Location == nil {
			t.Fatalf("accepted settings out of bounds: %+v", s)
		}
		if bh := s.BusinessHours; bh != nil {
			if bh.Location == nil || bh.WeeklySeconds() <= 0 {
				t.Fatalf("accepted business hours never open or without a zone: %+v", bh)
			}
			for _, day := range bh.Week {
				for k, iv := range day {
					if iv.Start < 0 || iv.End > 86400 || iv.End <= iv.Start || (k > 0 && iv.Start < day[k-1].End) {
						t.Fatalf("accepted opening intervals %v", day)
					}
				}
			}
		} else if s.SLAClock != models.SLAClockCalendar {
			t.Fatalf("accepted slaClock %q without business hours", s.SLAClock)
		}
		for _, st := range []models.StoreSettings{s.Helpdesk, s.Orders} {
			if st.Host == "" || st.Port == 0 || st.User == "" || st.Database == "" || st.Schema == "" {
				t.Fatalf("accepted a store without host, port, user, database or schema: %+v", st)
			}
			if strings.ContainsAny(st.Schema, "\"'\x00") {
				t.Fatalf("accepted schema %q", st.Schema)
			}
		}
		// List values go to PostgreSQL as text parameters, which cannot hold a NUL byte.
		for _, v := range append(append([]string{}, s.ExcludedStatuses...), s.VIPTags...) {
			if strings.ContainsRune(v, 0) {
				t.Fatalf("accepted a list value with a NUL byte: %q", v)
			}
		}
	})
}

// checkUserError requires a downstream error of kind with a short, readable message.
func checkUserError(t *testing.T, err, kind error) {
	t.Helper()
	msg := err.Error()
	switch {
	case !errors.Is(err, kind):
		t.Fatalf("error is not a %v error: %v", kind, err)
	case kind == models.ErrSettings && !backend.IsDownstreamError(err):
		t.Fatalf("settings error is not a downstream error: %v", err)
	case !utf8.ValidString(msg):
		t.Fatalf("error message is not valid UTF-8: %q", msg)
	case strings.TrimSpace(strings.TrimPrefix(msg, kind.Error()+":")) == "":
		t.Fatalf("error without a message: %q", msg)
	}
}
