package engine

import (
	"container/list"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/supportops/grafana-support-analytics/pkg/store"
)

// readCache shares store reads between the queries of one data source instance: concurrent identical
// reads wait for the one in flight (a dashboard refresh sends its panels at once), and a result is
// kept for a short time so that a refresh within the TTL reads nothing. Read results are never
// modified after the read, so they can be shared. What is derived from a read is kept on the read
// itself (derive), not here. The same structure, without TTL or bound, holds those derived values.
type readCache struct {
	ttl time.Duration
	max int

	mu      sync.Mutex
	entries map[string]*list.Element
	order   *list.List // front = most recently used
}

type cacheEntry struct {
	key  string
	done chan struct{}
	val  any
	err  error
	at   time.Time
}

// Cache is the read cache of one data source instance.
type Cache = readCache

// NewCache returns a read cache keeping at most max reads for ttl.
func NewCache(ttl time.Duration, max int) *Cache { return newReadCache(ttl, max) }

// Answer returns the value kept under key within the TTL, or computes it once for all concurrent
// callers with compute (as reads are shared). A failed computation is not kept. The plugin keeps
// finished panel answers this way, keyed by the query and its exact range.
func (c *Cache) Answer(ctx context.Context, key string, compute func(ctx context.Context) (any, error)) (any, error) {
	return c.get(ctx, key, compute)
}

// readAlign is the finest grid read bounds are widened to when a cache is used (widen): a dashboard
// refreshed a few seconds or minutes later asks for a range a little later, and still finds the same
// reads. Rows are filtered to the exact range in Go, so wider reads change no number.
const readAlign = 5 * time.Minute

// Cached returns the engine reading through c.
func (e *Engine) Cached(c *Cache) *Engine {
	x := *e
	x.helpdesk = cachedHelpdesk{e.helpdesk, c}
	x.orders = cachedOrders{e.orders, c}
	x.align = readAlign
	x.cache = c
	return &x
}

// deriver is a read that keeps what is derived from it (store.Derived).
type deriver interface {
	DerivedBox(mk func() any) (uint64, any)
}

func newDerivedBox() any { return newReadCache(time.Duration(math.MaxInt64), math.MaxInt) }

// derive computes a value derived from read r once for all the queries sharing r (attribution,
// segments, indexes), and keeps it on r: it lives as long as r and no other read ever meets it.
// A value derived from several reads hangs on one of them and names the others in its key by
// readID. Concurrent callers wait for the one computing; a failed computation is not kept.
func derive[T any](ctx context.Context, r deriver, key string, f func(ctx context.Context) (T, error)) (T, error) {
	_, box := r.DerivedBox(newDerivedBox)
	return cached(ctx, box.(*readCache), key, f)
}

// readID names a read in the key of a value derived from several reads: unique in the process and
// never reused, unlike an address. A read that was not made (nil) is 0.
func readID[R any, P interface {
	*R
	deriver
}](r P) uint64 {
	if r == nil {
		return 0
	}
	id, _ := r.DerivedBox(newDerivedBox)
	return id
}

// readCells is how many cells of the read grid a range spans at most: the grid grows with the range,
// one hour at 30 days and about twelve at 365, so that the cell read beyond the range costs a small
// share of it (1/720) whatever its length.
const readCells = 720

// widen aligns read bounds outward to the engine's grid: the start down to a cell, the end up to the
// end of the cell after the one it falls in. A range moved forward by less than a cell (a dashboard
// auto-refreshed a minute later) then asks for the very same reads, which the cache still holds
// within its TTL.
func (e *Engine) widen(from, to time.Time) (time.Time, time.Time) {
	g := e.grid(from, to)
	if g <= 0 {
		return from, to
	}
	return from.Truncate(g), to.Truncate(g).Add(g)
}

// grid is the cell of the read grid for the range [from, to), 0 without a cache (exact reads).
func (e *Engine) grid(from, to time.Time) time.Duration {
	if e.align <= 0 {
		return 0
	}
	return max(e.align, (to.Sub(from) / readCells).Truncate(time.Minute))
}

func newReadCache(ttl time.Duration, max int) *readCache {
	return &readCache{ttl: ttl, max: max, entries: map[string]*list.Element{}, order: list.New()}
}

// get returns the cached value of key, or runs read once for all concurrent callers. The read runs
// with the context of the caller that started it, so cancelling that query cancels the statement in
// PostgreSQL; the other callers then read again with their own context. A failed read is not kept.
func (c *readCache) get(ctx context.Context, key string, read func(ctx context.Context) (any, error)) (any, error) {
	for {
		c.mu.Lock()
		el, ok := c.entries[key]
		if !ok {
			break // c.mu stays locked: start the read below
		}
		e := el.Value.(*cacheEntry)
		select {
		case <-e.done:
			if e.err == nil && time.Since(e.at) < c.ttl {
				c.order.MoveToFront(el)
				c.mu.Unlock()
				return e.val, nil
			}
			c.remove(el)
			c.mu.Unlock()
			continue
		default:
		}
		c.mu.Unlock()
		select { // in flight: wait for it
		case <-e.done:
			if e.err == nil {
				return e.val, nil
			}
			if ctx.Err() == nil && (errors.Is(e.err, context.Canceled) || errors.Is(e.err, context.DeadlineExceeded)) {
				continue // its caller went away, not this one: read again
			}
			return nil, e.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	e := &cacheEntry{key: key, done: make(chan struct{})}
	el := c.order.PushFront(e)
	c.entries[key] = el
	for c.order.Len() > c.max {
		c.remove(c.order.Back())
	}
	c.mu.Unlock()

	e.val, e.err = read(ctx)
	e.at = time.Now()
	close(e.done)
	if e.err != nil {
		c.mu.Lock()
		if cur, ok := c.entries[key]; ok && cur == el {
			c.remove(el)
		}
		c.mu.Unlock()
	}
	return e.val, e.err
}

// held returns the value of key when the cache holds it, waiting for it while it is being read; ok
// is false when it is not there (or its read failed): held never reads.
func (c *readCache) held(ctx context.Context, key string) (v any, ok bool, err error) {
	c.mu.Lock()
	el, found := c.entries[key]
	c.mu.Unlock()
	if !found {
		return nil, false, nil
	}
	e := el.Value.(*cacheEntry)
	select {
	case <-e.done:
	case <-ctx.Done():
		return nil, false, ctx.Err()
	}
	if e.err != nil || time.Since(e.at) >= c.ttl {
		return nil, false, nil
	}
	return e.val, true, nil
}

// holds says whether the cache holds key or is reading it (a read that failed or expired is not
// held); it never waits.
func (c *readCache) holds(key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, found := c.entries[key]
	if !found {
		return false
	}
	e := el.Value.(*cacheEntry)
	select {
	case <-e.done:
		return e.err == nil && time.Since(e.at) < c.ttl
	default:
		return true
	}
}

// heldDerived is held for a value derived from read r.
func heldDerived[T any](ctx context.Context, r deriver, key string) (T, bool, error) {
	var zero T
	_, box := r.DerivedBox(newDerivedBox)
	v, ok, err := box.(*readCache).held(ctx, key)
	if !ok || err != nil {
		return zero, false, err
	}
	return v.(T), true, nil
}

func (c *readCache) remove(el *list.Element) {
	c.order.Remove(el)
	delete(c.entries, el.Value.(*cacheEntry).key)
}

func keyOf(parts ...any) string {
	var b strings.Builder
	for _, p := range parts {
		switch v := p.(type) {
		case time.Time:
			b.WriteString(v.UTC().Format(time.RFC3339Nano))
		case []string:
			h := fnv.New64a()
			for _, s := range v {
				h.Write([]byte(s))
				h.Write([]byte{0})
			}
			fmt.Fprintf(&b, "%d:%x", len(v), h.Sum64())
		case []time.Time:
			h := fnv.New64a()
			var buf [8]byte
			for _, t := range v {
				binary.LittleEndian.PutUint64(buf[:], uint64(t.UnixMicro()))
				h.Write(buf[:])
			}
			fmt.Fprintf(&b, "%d:%x", len(v), h.Sum64())
		default:
			fmt.Fprint(&b, v)
		}
		b.WriteByte('|')
	}
	return b.String()
}

func cached[T any](ctx context.Context, c *readCache, key string, read func(ctx context.Context) (T, error)) (T, error) {
	v, err := c.get(ctx, key, func(ctx context.Context) (any, error) { return read(ctx) })
	if err != nil {
		var zero T
		return zero, err
	}
	return v.(T), nil
}

// cachedHelpdesk and cachedOrders put a readCache in front of the stores.
type cachedHelpdesk struct {
	HelpdeskReader
	c *readCache
}

func (h cachedHelpdesk) ReadTickets(ctx context.Context, r store.TicketRead) (*store.Tickets, error) {
	key := ticketsKey(r)
	if q := r.Rest; q != nil {
		key = keyOf("tickets rest", q.At, ticketsKey(q.Of), q.Except)
	}
	return cached(ctx, h.c, key, func(ctx context.Context) (*store.Tickets, error) { return h.HelpdeskReader.ReadTickets(ctx, r) })
}

// ticketsKey keys the tickets of r's ranges.
func ticketsKey(r store.TicketRead) string {
	var sFrom, sTo time.Time
	if r.SurveysFrom != nil {
		sFrom, sTo = *r.SurveysFrom, *r.SurveysTo
	}
	return keyOf("tickets", r.CreatedFrom, r.CreatedTo, r.ClosedFrom, r.ClosedTo, r.Open, sFrom, sTo, r.Answered, r.Customers != nil,
		r.Customers)
}

func (h cachedHelpdesk) ReadSurveys(ctx context.Context, from, to time.Time) (*store.Surveys, error) {
	return cached(ctx, h.c, keyOf("surveys", from, to), func(ctx context.Context) (*store.Surveys, error) {
		return h.HelpdeskReader.ReadSurveys(ctx, from, to)
	})
}

// ReadSurveySlots is shared by the CSAT panels of a refresh that ask for the same range and columns.
func (h cachedHelpdesk) ReadSurveySlots(ctx context.Context, r store.SurveySlotRead) (*store.SurveySlots, error) {
	key := keyOf("survey slots", r.From, r.To, r.Phase, r.ByTime, r.Responded, r.Sent, r.ByAgent, r.ByChannel, r.ByProject,
		r.ByTopic, r.ByPriority, r.ByScore)
	return cached(ctx, h.c, key, func(ctx context.Context) (*store.SurveySlots, error) { return h.HelpdeskReader.ReadSurveySlots(ctx, r) })
}

func (h cachedHelpdesk) ReadDisplays(ctx context.Context, from, to time.Time) (*store.Displays, error) {
	return cached(ctx, h.c, keyOf("displays", from, to), func(ctx context.Context) (*store.Displays, error) {
		return h.HelpdeskReader.ReadDisplays(ctx, from, to)
	})
}

type cachedOrders struct {
	OrderReader
	c *readCache
}

func (o cachedOrders) ReadOrders(ctx context.Context, r store.OrderRead) (*store.Orders, error) {
	key := keyOf("orders", r.From, r.To, r.Excluded, r.Currency)
	return cached(ctx, o.c, key, func(ctx context.Context) (*store.Orders, error) { return o.OrderReader.ReadOrders(ctx, r) })
}

// ReadOrderSlots is shared by the queries of a refresh that ask for the same range and columns:
// revenue, orders and average order value panels, with or without time.
func (o cachedOrders) ReadOrderSlots(ctx context.Context, r store.OrderSlotRead) (*store.OrderSlots, error) {
	key := keyOf("order slots", r.From, r.To, r.Excluded, r.Currency, r.Phase, r.ByProject, r.ByCurrency)
	return cached(ctx, o.c, key, func(ctx context.Context) (*store.OrderSlots, error) { return o.OrderReader.ReadOrderSlots(ctx, r) })
}

// ReadProductSums is shared by the top products panels of a refresh (by revenue, by quantity).
func (o cachedOrders) ReadProductSums(ctx context.Context, r store.ProductRead) (*store.ProductSums, error) {
	key := keyOf("product sums", r.From, r.To, r.Excluded, r.Currency, r.ByProject, r.ByCurrency)
	return cached(ctx, o.c, key, func(ctx context.Context) (*store.ProductSums, error) { return o.OrderReader.ReadProductSums(ctx, r) })
}

func (o cachedOrders) ReadCustomerTotals(ctx context.Context, r store.TotalsRead) (*store.Totals, error) {
	key := keyOf("totals", r.Keys, r.Before, r.Excluded, r.Currency, r.Tags, r.CapOrders)
	return cached(ctx, o.c, key, func(ctx context.Context) (*store.Totals, error) { return o.OrderReader.ReadCustomerTotals(ctx, r) })
}

func (o cachedOrders) ReadHistory(ctx context.Context, before time.Time, keys, excluded []string, currency string, capOrders int) (*store.History, error) {
	key := keyOf("history", before, keys, excluded, currency, capOrders)
	return cached(ctx, o.c, key, func(ctx context.Context) (*store.History, error) {
		return o.OrderReader.ReadHistory(ctx, before, keys, excluded, currency, capOrders)
	})
}
