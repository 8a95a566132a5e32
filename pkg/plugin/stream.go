package plugin

import (
	"context"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/supportops/grafana-support-analytics/pkg/engine"
	"github.com/supportops/grafana-support-analytics/pkg/frames"
)

var _ backend.StreamHandler = (*Datasource)(nil)

// The live feed stream (Grafana Live, channel ds/<uid>/live_feed): new orders and cart events, polled
// from the order store with a cursor.
const (
	livePath         = "live_feed"
	livePollInterval = 2 * time.Second
	liveBacklog      = 24 * time.Hour // what a new subscriber is sent first
	liveBatch        = 200
)

// SubscribeStream allows the live feed path only.
func (d *Datasource) SubscribeStream(_ context.Context, req *backend.SubscribeStreamRequest) (*backend.SubscribeStreamResponse, error) {
	if strings.Trim(req.Path, "/") != livePath {
		return &backend.SubscribeStreamResponse{Status: backend.SubscribeStreamStatusNotFound}, nil
	}
	return &backend.SubscribeStreamResponse{Status: backend.SubscribeStreamStatusOK}, nil
}

// PublishStream is refused: the feed is read-only.
func (d *Datasource) PublishStream(context.Context, *backend.PublishStreamRequest) (*backend.PublishStreamResponse, error) {
	return &backend.PublishStreamResponse{Status: backend.PublishStreamStatusPermissionDenied}, nil
}

// RunStream polls the order store every few seconds for events after the cursor and sends them as
// frames, newest first, until Grafana closes the stream (no subscriber left) or the instance goes.
// A failed poll is logged and retried at the next tick: the store may come back.
func (d *Datasource) RunStream(ctx context.Context, req *backend.RunStreamRequest, sender *backend.StreamSender) error {
	logger := backend.Logger.FromContext(ctx)
	e, err := d.engineOrErr()
	if err != nil {
		return err
	}
	cursor := time.Now().Add(-liveBacklog)
	ticker := time.NewTicker(livePollInterval)
	defer ticker.Stop()
	for {
		next, err := d.pushFeed(ctx, e, cursor, sender)
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

// pushFeed sends the events created after cursor and returns the new cursor.
func (d *Datasource) pushFeed(ctx context.Context, e *engine.Engine, cursor time.Time, sender *backend.StreamSender) (time.Time, error) {
	from := cursor.Add(time.Microsecond)
	events, err := e.Feed(ctx, from, time.Now().Add(time.Hour), liveBatch)
	if err != nil || len(events) == 0 {
		return cursor, err
	}
	frame := frames.Table("", engine.FeedTable(events), d.Settings().Currency)
	if err := sender.SendFrame(frame, data.IncludeAll); err != nil {
		return cursor, err
	}
	return events[0].At, nil
}
