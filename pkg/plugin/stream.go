package plugin

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/supportops/grafana-support-analytics/pkg/engine"
	"github.com/supportops/grafana-support-analytics/pkg/frames"
)

var _ backend.StreamHandler = (*Datasource)(nil)

// The live feed stream (Grafana Live, channel ds/<uid>/live_feed[/<limit>]): the latest orders and
// cart events, newest first. The order store is polled with a cursor; whenever something new came
// in, the whole list (the newest <limit> events, 50 by default) is sent again, so that the panel
// replaces its table and keeps the newest rows on top (Grafana appends streamed rows at the end
// and trims from the start: sending only the new rows would push them to the bottom).
const (
	livePath         = "live_feed"
	livePollInterval = 2 * time.Second
	liveDefaultLimit = 50
	liveMaxLimit     = 1000
)

// liveLimit parses the channel path: live_feed, or live_feed/<limit> with 1 <= limit <= 1000.
func liveLimit(path string) (int, bool) {
	rest, ok := strings.CutPrefix(strings.Trim(path, "/"), livePath)
	if !ok {
		return 0, false
	}
	if rest == "" {
		return liveDefaultLimit, true
	}
	n, err := strconv.Atoi(strings.TrimPrefix(rest, "/"))
	if !strings.HasPrefix(rest, "/") || err != nil || n < 1 || n > liveMaxLimit {
		return 0, false
	}
	return n, true
}

// SubscribeStream allows the live feed paths only.
func (d *Datasource) SubscribeStream(_ context.Context, req *backend.SubscribeStreamRequest) (*backend.SubscribeStreamResponse, error) {
	if _, ok := liveLimit(req.Path); !ok {
		return &backend.SubscribeStreamResponse{Status: backend.SubscribeStreamStatusNotFound}, nil
	}
	return &backend.SubscribeStreamResponse{Status: backend.SubscribeStreamStatusOK}, nil
}

// PublishStream is refused: the feed is read-only.
func (d *Datasource) PublishStream(context.Context, *backend.PublishStreamRequest) (*backend.PublishStreamResponse, error) {
	return &backend.PublishStreamResponse{Status: backend.PublishStreamStatusPermissionDenied}, nil
}

// RunStream polls the order store every few seconds for events after the cursor; when there are
// any (and once at the start), it sends the newest events as one frame, newest first, until
// Grafana closes the stream (no subscriber left) or the instance goes. A failed poll is logged and
// retried at the next tick: the store may come back.
func (d *Datasource) RunStream(ctx context.Context, req *backend.RunStreamRequest, sender *backend.StreamSender) error {
	logger := backend.Logger.FromContext(ctx)
	limit, ok := liveLimit(req.Path)
	if !ok {
		return backend.DownstreamErrorf("unknown stream %q: the live feed is live_feed or live_feed/<limit>", req.Path)
	}
	e, err := d.engineOrErr()
	if err != nil {
		return err
	}
	var cursor time.Time // zero: nothing sent yet
	ticker := time.NewTicker(livePollInterval)
	defer ticker.Stop()
	for {
		next, err := d.pushFeed(ctx, e, cursor, limit, sender)
		if err != nil && ctx.Err() == nil {
			logger.Error("live feed poll failed", "error", err)
		}
		cursor = next
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}

// pushFeed sends the newest events when any came after cursor (or when nothing was sent yet), and
// returns the new cursor: the newest event's time.
func (d *Datasource) pushFeed(ctx context.Context, e *engine.Engine, cursor time.Time, limit int, sender *backend.StreamSender) (time.Time, error) {
	to := time.Now().Add(time.Hour)
	if !cursor.IsZero() {
		fresh, err := e.Feed(ctx, cursor.Add(time.Microsecond), to, 1)
		if err != nil || len(fresh) == 0 {
			return cursor, err
		}
	}
	events, err := e.Feed(ctx, time.Unix(0, 0), to, limit)
	if err != nil {
		return cursor, err
	}
	frame := frames.Table("", engine.FeedTable(events), d.Settings().Currency)
	if err := sender.SendFrame(frame, data.IncludeAll); err != nil {
		return cursor, err
	}
	if len(events) == 0 {
		return time.Unix(0, 0), nil
	}
	return events[0].At, nil
}
