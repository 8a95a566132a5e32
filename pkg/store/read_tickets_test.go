package store

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/supportops/grafana-support-analytics/pkg/testutil/pgtest"
)

// A ticket read of the tickets answered in a range holds those alone, each once, all listed apart;
// a read kept to some customers holds the tickets of theirs a read of the same ranges holds.
func TestReadTicketsAnsweredAndByCustomer(t *testing.T) {
	ctx := context.Background()
	db := pgtest.Start(t).NewDatabase(t)
	db.LoadSchema(t, "support")
	db.LoadSchema(t, "shop")
	ticket := func(id, customer, created, closed string) {
		db.Exec(t, `INSERT INTO support.tickets (id, customer_key, channel, project, created_at, closed_at)
VALUES ($1, NULLIF($2, ''), 'email', 'shop', $3::timestamptz, NULLIF($4, '')::timestamptz)`, id, customer, created, closed)
	}
	survey := func(id, sent, responded string) {
		db.Exec(t, `INSERT INTO support.csat_responses (ticket_id, sent_at, responded_at, score)
VALUES ($1, $2::timestamptz, NULLIF($3, '')::timestamptz, CASE WHEN $3 = '' THEN NULL ELSE 4 END)`, id, sent, responded)
	}
	// The range [03-10, 03-12).
	ticket("T1", "c1", "2026-03-10T10:00:00Z", "2026-03-10T11:00:00Z") // created in range, answered in it
	ticket("T2", "c1", "2026-03-11T10:00:00Z", "")                     // created in range, no survey
	ticket("T3", "c2", "2026-02-01T10:00:00Z", "2026-02-02T10:00:00Z") // old, answered twice in range
	ticket("T4", "c2", "2026-02-03T10:00:00Z", "2026-02-04T10:00:00Z") // old, sent in range, answered after it
	ticket("T5", "c2", "2026-02-05T10:00:00Z", "2026-02-06T10:00:00Z") // old, no survey
	ticket("T6", "c2", "2026-02-07T10:00:00Z", "")                     // old, still open
	ticket("T7", "c3", "2026-03-10T12:00:00Z", "")                     // another customer, created in range
	ticket("T8", "", "2026-03-10T13:00:00Z", "")                       // no customer, answered in range
	survey("T1", "2026-03-10T11:00:00Z", "2026-03-10T12:00:00Z")
	survey("T3", "2026-02-02T10:00:00Z", "2026-03-10T09:00:00Z")
	survey("T3", "2026-03-10T10:00:00Z", "2026-03-11T09:00:00Z")
	survey("T4", "2026-03-11T10:00:00Z", "2026-03-13T09:00:00Z")
	survey("T5", "2026-03-11T11:00:00Z", "")
	survey("T8", "2026-03-10T14:00:00Z", "2026-03-10T15:00:00Z")
	db.GrantRead(t, "support")
	db.GrantRead(t, "shop")
	s := open(t, settingsFor(db, "support", "shop")).Helpdesk
	from, to := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 12, 0, 0, 0, 0, time.UTC)
	ids := func(r TicketRead) ([]string, []string) {
		t.Helper()
		got, err := s.ReadTickets(ctx, r)
		require.NoError(t, err)
		var out []string
		for i := range got.Len() {
			out = append(out, got.ID.At(i))
		}
		slices.Sort(out)
		listed := slices.Sorted(slices.Values(got.Listed))
		return out, listed
	}
	got, listed := ids(TicketRead{SurveysFrom: &from, SurveysTo: &to, Answered: true})
	require.Equal(t, []string{"T1", "T3", "T8"}, got, "answered in range, T3 once; not T4 (answered after) nor T5 (unanswered)")
	require.Equal(t, got, listed)

	ranges := TicketRead{CreatedFrom: from, CreatedTo: to, ClosedFrom: from, ClosedTo: to, SurveysFrom: &from, SurveysTo: &to}
	all, _ := ids(ranges)
	require.Equal(t, []string{"T1", "T2", "T3", "T4", "T5", "T7", "T8"}, all, "the ranges, and the surveys sent or answered in range")
	for _, c := range []struct {
		customers []string
		open      bool
		want      []string
	}{
		{[]string{"c2"}, false, []string{"T3", "T4", "T5"}},
		{[]string{"c1", "c2"}, false, []string{"T1", "T2", "T3", "T4", "T5"}},
		{[]string{"c2"}, true, []string{"T3", "T4", "T5", "T6"}}, // with the open ones created before the end
		{[]string{"nobody"}, false, nil},
	} {
		r := ranges
		r.Customers, r.Open = c.customers, c.open
		got, listed := ids(r)
		require.Equal(t, c.want, got, "customers %v, open %v", c.customers, c.open)
		require.Equal(t, got, listed)
	}
}
