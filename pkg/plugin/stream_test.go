package plugin_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supportops/grafana-support-analytics/pkg/testutil/pgtest"
)

// framesSent collects what the stream sends, as Grafana Live would receive it.
type framesSent chan *data.Frame

func (c framesSent) Send(p *backend.StreamPacket) error {
	var f data.Frame
	if err := f.UnmarshalJSON(p.Data); err != nil {
		return err
	}
	c <- &f
	return nil
}

func TestLiveFeedStreamPushesNewOrders(t *testing.T) {
	db := pgtest.Start(t).NewDatabase(t)
	db.LoadSchema(t, "public")
	d := newInstance(t, map[string]any{
		"helpdeskHost": db.Host + ":" + strconv.Itoa(db.Port), "helpdeskDatabase": db.Name,
		"helpdeskUser": db.User, "helpdeskSslMode": "disable",
	}, map[string]string{"helpdeskPassword": db.Password})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	sub, err := d.SubscribeStream(ctx, &backend.SubscribeStreamRequest{Path: "live_feed"})
	require.NoError(t, err)
	assert.Equal(t, backend.SubscribeStreamStatusOK, sub.Status)
	for _, path := range []string{"live_feed/3", "live_feed/1000"} {
		ok, err := d.SubscribeStream(ctx, &backend.SubscribeStreamRequest{Path: path})
		require.NoError(t, err)
		assert.Equal(t, backend.SubscribeStreamStatusOK, ok.Status, path)
	}
	for _, path := range []string{"orders/raw", "live_feed/0", "live_feed/1001", "live_feed/x", "live_feedx"} {
		other, err := d.SubscribeStream(ctx, &backend.SubscribeStreamRequest{Path: path})
		require.NoError(t, err)
		assert.Equal(t, backend.SubscribeStreamStatusNotFound, other.Status, path)
	}
	pub, err := d.PublishStream(ctx, &backend.PublishStreamRequest{Path: "live_feed"})
	require.NoError(t, err)
	assert.Equal(t, backend.PublishStreamStatusPermissionDenied, pub.Status, "the feed is read-only")

	// Three older orders: the first frame is the newest two of them, newest first.
	db.Exec(t, `INSERT INTO orders (id, customer_key, created_at, status, total, currency) VALUES
		('old-1', 'c-live', now() - interval '3 hours', 'paid', 10, 'USD'),
		('old-2', 'c-live', now() - interval '2 hours', 'paid', 20, 'USD'),
		('old-3', 'c-live', now() - interval '1 hour', 'paid', 30, 'USD')`)
	sent := make(framesSent, 16)
	done := make(chan error, 1)
	go func() {
		done <- d.RunStream(ctx, &backend.RunStreamRequest{Path: "live_feed/2"}, backend.NewStreamSender(sent))
	}()
	ids := func(f *data.Frame) []string {
		field, _ := f.FieldByName("id")
		require.NotNil(t, field)
		var out []string
		for i := 0; i < field.Len(); i++ {
			out = append(out, field.At(i).(string))
		}
		return out
	}
	deadline := time.After(20 * time.Second) // the poll runs every 2 s; this only bounds a broken stream
	select {
	case f := <-sent:
		assert.Equal(t, []string{"old-3", "old-2"}, ids(f))
	case <-deadline:
		t.Fatal("the subscriber got no first frame")
	}

	// A new order: the whole list again, the new order on top, still two rows.
	db.Exec(t, `INSERT INTO orders (id, customer_key, created_at, status, total, currency)
		VALUES ('live-1', 'c-live', now(), 'paid', 42.50, 'USD')`)
	for found := false; !found; {
		select {
		case f := <-sent:
			got := ids(f)
			if got[0] != "live-1" {
				assert.Equal(t, []string{"old-3", "old-2"}, got, "a frame is sent only when something is new")
				continue
			}
			found = true
			assert.Equal(t, []string{"live-1", "old-3"}, got)
			amounts, _ := f.FieldByName("amount")
			assert.Equal(t, 42.5, amounts.At(0))
		case <-deadline:
			t.Fatal("no frame with the new order on top reached the subscriber")
		}
	}
	cancel()
	require.NoError(t, <-done, "the stream ends cleanly when Grafana closes it")
}
