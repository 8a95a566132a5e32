package engine

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supportops/grafana-support-analytics/pkg/store"
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

// Read bounds widen to a grid that grows with the range (one hour at 30 days), ending a cell after the
// range's end: refreshes seconds or minutes apart share reads, even from a range ending on the grid.
func TestWidenAlignsReadBounds(t *testing.T) {
	e := (&Engine{}).Cached(NewCache(time.Minute, 4))
	from := time.Date(2026, 3, 1, 10, 2, 30, 0, time.UTC)
	to := time.Date(2026, 3, 31, 10, 2, 30, 0, time.UTC)
	f, tt := e.widen(from, to)
	assert.Equal(t, time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), f)
	assert.Equal(t, time.Date(2026, 3, 31, 11, 0, 0, 0, time.UTC), tt)
	f2, t2 := e.widen(from.Add(40*time.Minute), to.Add(40*time.Minute))
	assert.Equal(t, f, f2, "a range moved 40 minutes within the same hour: the same reads")
	assert.Equal(t, tt, t2)

	// A range ending on the grid (midnight) still has a cell of slack: a minute later, the same reads.
	midnight := time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)
	f, tt = e.widen(midnight.AddDate(0, 0, -30), midnight)
	f2, t2 = e.widen(midnight.AddDate(0, 0, -30).Add(time.Minute), midnight.Add(time.Minute))
	assert.Equal(t, [2]time.Time{midnight.AddDate(0, 0, -30), midnight.Add(time.Hour)}, [2]time.Time{f, tt})
	assert.Equal(t, [2]time.Time{f, tt}, [2]time.Time{f2, t2})

	// Short ranges keep the 5-minute grid; a year gets 12 h 10 min cells (365 days / 720).
	f, tt = e.widen(from, from.Add(6*time.Hour))
	assert.Equal(t, [2]time.Time{time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), time.Date(2026, 3, 1, 16, 5, 0, 0, time.UTC)}, [2]time.Time{f, tt})
	_, tt = e.widen(midnight.AddDate(0, 0, -365), midnight)
	assert.Equal(t, 12*time.Hour+10*time.Minute, tt.Sub(midnight.Truncate(12*time.Hour+10*time.Minute)))

	// Without a cache reads are exact.
	f, tt = (&Engine{}).widen(from, to)
	assert.Equal(t, [2]time.Time{from, to}, [2]time.Time{f, tt})
}

// What is derived from a read is kept on that read: another read with the same key computes its own,
// and the same read computes once.
func TestDerivedValuesLiveOnTheirRead(t *testing.T) {
	ctx := context.Background()
	var computed atomic.Int32
	deriveFrom := func(r *store.Tickets, v string) string {
		got, err := derive(ctx, r, "segments", func(context.Context) (string, error) {
			computed.Add(1)
			return v, nil
		})
		require.NoError(t, err)
		return got
	}
	older, newer := &store.Tickets{}, &store.Tickets{}
	assert.Equal(t, "older", deriveFrom(older, "older"))
	assert.Equal(t, "older", deriveFrom(older, "again"), "the same read derives once")
	assert.Equal(t, "newer", deriveFrom(newer, "newer"), "a new read never sees an older read's value")
	assert.Equal(t, int32(2), computed.Load())

	// Reads are named in keys by ids that are never reused, not by addresses.
	assert.NotZero(t, readID(older))
	assert.Equal(t, readID(older), readID(older))
	assert.NotEqual(t, readID(older), readID(newer))
	assert.Zero(t, readID((*store.History)(nil)), "a read not made")

	// A failed derivation is not kept: the next caller computes again.
	boom := errors.New("store down")
	_, err := derive(ctx, newer, "pairs", func(context.Context) (int, error) { return 0, boom })
	require.ErrorIs(t, err, boom)
	v, err := derive(ctx, newer, "pairs", func(context.Context) (int, error) { return 7, nil })
	require.NoError(t, err)
	assert.Equal(t, 7, v)
}

// The defect this design removes: a derived value keyed by a read's address outlives the read, and a
// new read allocated at the same address meets it. Reads are freed and made again until the address
// comes back (Go's allocator reuses a freed slot quickly); the new read must derive its own value.
func TestNewReadAtAnOldAddressDerivesAfresh(t *testing.T) {
	ctx := context.Background()
	byAddress := newReadCache(time.Hour, 1000) // the former scheme: one cache, keys with %p
	oldAddr := func() string {
		old := &store.Tickets{Created: []int64{1}}
		_, err := derive(ctx, old, "segments", func(context.Context) (string, error) { return "old", nil })
		require.NoError(t, err)
		_, err = cached(ctx, byAddress, keyOf("segments", fmt.Sprintf("%p", old)), func(context.Context) (string, error) { return "old", nil })
		require.NoError(t, err)
		return fmt.Sprintf("%p", old)
	}()
	for attempt := 0; attempt < 200; attempt++ {
		runtime.GC()
		for range 1000 {
			r := &store.Tickets{Created: []int64{2}}
			if fmt.Sprintf("%p", r) != oldAddr {
				continue
			}
			stale, _ := cached(ctx, byAddress, keyOf("segments", fmt.Sprintf("%p", r)), func(context.Context) (string, error) { return "new", nil })
			assert.Equal(t, "old", stale, "keyed by address, the new read meets the old read's value")
			got, err := derive(ctx, r, "segments", func(context.Context) (string, error) { return "new", nil })
			require.NoError(t, err)
			assert.Equal(t, "new", got, "kept on the read, the new read derives its own")
			return
		}
	}
	t.Skip("the allocator did not reuse the freed read's address in 200 collections; TestDerivedValuesLiveOnTheirRead covers the rule")
}
