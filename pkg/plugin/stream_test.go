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
	other, err := d.SubscribeStream(ctx, &backend.SubscribeStreamRequest{Path: "orders/raw"})
	require.NoError(t, err)
	assert.Equal(t, backend.SubscribeStreamStatusNotFound, other.Status)
	pub, err := d.PublishStream(ctx, &backend.PublishStreamRequest{Path: "live_feed"})
	require.NoError(t, err)
	assert.Equal(t, backend.PublishStreamStatusPermissionDenied, pub.Status, "the feed is read-only")

	sent := make(framesSent, 16)
	done := make(chan error, 1)
	go func() {
		done <- d.RunStream(ctx, &backend.RunStreamRequest{Path: "live_feed"}, backend.NewStreamSender(sent))
	}()

	db.Exec(t, `INSERT INTO orders (id, customer_key, created_at, status, total, currency)
		VALUES ('live-1', 'c-live', now(), 'paid', 42.50, 'USD')`)
	deadline := time.After(20 * time.Second) // the poll runs every 2 s; this only bounds a broken stream
	for found := false; !found; {
		select {
		case f := <-sent:
			ids, _ := f.FieldByName("id")
			amounts, _ := f.FieldByName("amount")
			require.NotNil(t, ids)
			for i := 0; i < ids.Len(); i++ {
				if ids.At(i) == "live-1" {
					found = true
					assert.Equal(t, 42.5, amounts.At(i))
				}
			}
		case <-deadline:
			t.Fatal("no frame with the new order reached the subscriber")
		}
	}
	cancel()
	require.NoError(t, <-done, "the stream ends cleanly when Grafana closes it")
}
