package engine

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Concurrent identical reads (a dashboard refresh) run once; a repeat within the TTL reads nothing.
func TestReadCacheSharesConcurrentReads(t *testing.T) {
	c := newReadCache(time.Minute, 8)
	var calls atomic.Int32
	release := make(chan struct{})
	read := func(ctx context.Context) (any, error) {
		calls.Add(1)
		<-release
		return "rows", nil
	}
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := c.get(context.Background(), "k", read)
			assert.NoError(t, err)
			assert.Equal(t, "rows", v)
		}()
	}
	for c.order.Len() == 0 { // wait until the first reader is in flight
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	assert.Equal(t, int32(1), calls.Load())
	_, err := c.get(context.Background(), "k", read)
	require.NoError(t, err)
	assert.Equal(t, int32(1), calls.Load(), "a repeat within the TTL is served from the cache")
}

// A failed read is not kept; an expired one is read again; the cache holds at most max reads.
func TestReadCacheForgetsFailuresAndExpires(t *testing.T) {
	c := newReadCache(time.Hour, 2)
	boom := errors.New("store down")
	_, err := c.get(context.Background(), "k", func(context.Context) (any, error) { return nil, boom })
	require.ErrorIs(t, err, boom)
	v, err := c.get(context.Background(), "k", func(context.Context) (any, error) { return 1, nil })
	require.NoError(t, err)
	assert.Equal(t, 1, v, "the store is asked again after a failure")

	for _, k := range []string{"a", "b", "c"} {
		_, _ = c.get(context.Background(), k, func(context.Context) (any, error) { return k, nil })
	}
	assert.Equal(t, 2, c.order.Len(), "bounded")

	c.ttl = 0
	v, err = c.get(context.Background(), "c", func(context.Context) (any, error) { return "fresh", nil })
	require.NoError(t, err)
	assert.Equal(t, "fresh", v, "expired")
}

// When the query that started a shared read is cancelled, the statement is cancelled with it and the
// other queries read again with their own context.
func TestReadCacheCancelledLeaderDoesNotFailOthers(t *testing.T) {
	c := newReadCache(time.Minute, 8)
	leaderCtx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	go func() {
		_, err := c.get(leaderCtx, "k", func(ctx context.Context) (any, error) {
			close(started)
			<-ctx.Done()
			return nil, ctx.Err()
		})
		assert.ErrorIs(t, err, context.Canceled)
	}()
	<-started
	done := make(chan any)
	go func() {
		v, err := c.get(context.Background(), "k", func(context.Context) (any, error) { return "mine", nil })
		assert.NoError(t, err)
		done <- v
	}()
	cancel()
	assert.Equal(t, "mine", <-done)
}

// Read bounds widen to the grid with a cache, so refreshes seconds apart share reads.
func TestWidenAlignsReadBounds(t *testing.T) {
	e := (&Engine{}).Cached(NewCache(time.Minute, 4))
	from := time.Date(2026, 3, 1, 10, 2, 30, 0, time.UTC)
	to := time.Date(2026, 3, 31, 10, 2, 30, 0, time.UTC)
	f, tt := e.widen(from, to)
	assert.Equal(t, time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), f)
	assert.Equal(t, time.Date(2026, 3, 31, 10, 5, 0, 0, time.UTC), tt)
	f2, t2 := e.widen(from.Add(40*time.Second), to.Add(40*time.Second))
	assert.Equal(t, f, f2)
	assert.Equal(t, tt, t2)
}
