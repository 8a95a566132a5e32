// Package store reads the helpdesk and order stores (SPEC 2): one pgx pool per store and
// instance, read-only sessions with a statement timeout, user-facing errors, the data-contract
// health check, and one reader per relation (read_*.go).
package store

import (
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend/tracing"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/supportops/grafana-support-analytics/pkg/models"
	"github.com/supportops/grafana-support-analytics/pkg/schema"
)

// queryBackstop is how long past the statement timeout a query may take before the client gives
// up on its own (a server that stopped answering never reports its timeout).
const queryBackstop = 2 * time.Second

// Store is one of the two stores of an instance.
type Store struct {
	label    string // "helpdesk store" | "order store"
	key      string // settings key prefix: "helpdesk" | "orders"
	schema   string
	user     string
	addr     string // host:port or socket path, for messages
	timeout  time.Duration
	contract []schema.Relation
	pool     *pgxpool.Pool

	rendered sync.Map // SQL template -> text with the schema quoted
	has      hasCache
}

// Label names the store in messages: "helpdesk store" or "order store".
func (s *Store) Label() string { return s.label }

// Schema is the configured schema name (unquoted).
func (s *Store) Schema() string { return s.schema }

// Query runs sqlTemplate, where every "{{schema}}" stands for the quoted schema, with ctx and
// args. Errors, also those of rows.Err(), come back through Wrap.
func (s *Store) Query(ctx context.Context, sqlTemplate string, args ...any) (pgx.Rows, error) {
	ctx, span := tracing.DefaultTracer().Start(ctx, "store.query", trace.WithAttributes(
		attribute.String("store", s.label), attribute.String("schema", s.schema)))
	ctx, cancel := context.WithTimeout(ctx, s.timeout+queryBackstop)
	sql := s.render(sqlTemplate)
	var retries int32
	rows, err := s.send(ctx, sql, args, &retries)
	if err != nil {
		err = s.wrapCtx(ctx, err)
		cancel()
		endSpan(span, err)
		return nil, err
	}
	return &storeRows{Rows: rows, ctx: ctx, store: s, cancel: cancel, span: span, sql: sql, args: args, retries: retries}, nil
}

// send runs a statement on a pooled session. A session the server ended (a restart the pool has
// not noticed yet: it pings only sessions idle for over a second) fails before the statement runs:
// when it is prepared, or at its first row (storeRows.Next). Every statement of the plugin is a
// read, so it is sent again on another session, at most once per session the pool may hold.
func (s *Store) send(ctx context.Context, sql string, args []any, retries *int32) (pgx.Rows, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	for err != nil && s.resend(ctx, err, retries) {
		rows, err = s.pool.Query(ctx, sql, args...)
	}
	return rows, err
}

// resend reports whether a statement that failed with err is sent again, counting it in retries.
func (s *Store) resend(ctx context.Context, err error, retries *int32) bool {
	if !sessionEnded(err) || ctx.Err() != nil || *retries >= s.pool.Stat().MaxConns() {
		return false
	}
	*retries++
	return true
}

func (s *Store) render(sqlTemplate string) string {
	if sql, ok := s.rendered.Load(sqlTemplate); ok {
		return sql.(string)
	}
	sql := strings.ReplaceAll(sqlTemplate, "{{schema}}", pgx.Identifier{s.schema}.Sanitize())
	s.rendered.Store(sqlTemplate, sql)
	return sql
}

func endSpan(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// storeRows releases the query's deadline and span with the rows and wraps their error. The
// error is classified before the deadline is released, which would make ctx look cancelled.
type storeRows struct {
	pgx.Rows
	ctx      context.Context
	store    *Store
	cancel   context.CancelFunc
	span     trace.Span
	once     sync.Once
	finished bool
	err      error

	sql     string
	args    []any
	retries int32
	started bool  // a row came: the statement is not sent again
	sendErr error // of sending it again
}

func (r *storeRows) Next() bool {
	for {
		if r.Rows.Next() {
			r.started = true
			return true
		}
		if r.started || r.sendErr != nil || !r.store.resend(r.ctx, r.Rows.Err(), &r.retries) {
			break
		}
		r.Rows.Close()
		var rows pgx.Rows
		if rows, r.sendErr = r.store.send(r.ctx, r.sql, r.args, &r.retries); r.sendErr == nil {
			r.Rows = rows
		}
	}
	r.finish()
	return false
}

func (r *storeRows) Close() {
	r.Rows.Close()
	r.finish()
}

func (r *storeRows) Err() error {
	if r.finished {
		return r.err
	}
	return r.store.wrapCtx(r.ctx, r.rowsErr())
}

func (r *storeRows) rowsErr() error {
	if r.sendErr != nil {
		return r.sendErr
	}
	return r.Rows.Err()
}

func (r *storeRows) finish() {
	r.once.Do(func() {
		r.err = r.store.wrapCtx(r.ctx, r.rowsErr())
		r.finished = true
		endSpan(r.span, r.err)
		r.cancel()
	})
}

// Stores are the two stores of an instance.
type Stores struct{ Helpdesk, Orders *Store }

// Open builds the pools without connecting: a store that is down must not stop the instance
// from starting, and it is retried on every query. When OrdersUsesHelpdesk, both stores share one
// pool.
func Open(s models.Settings) (*Stores, error) {
	helpdesk, err := newStore("helpdesk store", "helpdesk", s.Helpdesk, s, schema.Helpdesk, nil)
	if err != nil {
		return nil, err
	}
	var shared *pgxpool.Pool
	if s.OrdersUsesHelpdesk {
		shared = helpdesk.pool
	}
	orders, err := newStore("order store", "orders", s.Orders, s, schema.Orders, shared)
	if err != nil {
		helpdesk.pool.Close()
		return nil, err
	}
	return &Stores{Helpdesk: helpdesk, Orders: orders}, nil
}

func newStore(label, key string, st models.StoreSettings, s models.Settings, contract []schema.Relation, pool *pgxpool.Pool) (*Store, error) {
	if pool == nil {
		cfg, err := poolConfig(key, st, s)
		if err != nil {
			return nil, err
		}
		// NewWithConfig does not connect (MinConns is 0); it only fails on an invalid config.
		if pool, err = pgxpool.NewWithConfig(context.Background(), cfg); err != nil {
			return nil, err
		}
	}
	return &Store{
		label:    label,
		key:      key,
		schema:   st.Schema,
		user:     st.User,
		addr:     address(st),
		timeout:  s.QueryTimeout,
		contract: contract,
		pool:     pool,
		has:      hasCache{entries: map[string]hasEntry{}},
	}, nil
}

func address(st models.StoreSettings) string {
	port := strconv.Itoa(int(st.Port))
	if strings.HasPrefix(st.Host, "/") {
		return strings.TrimSuffix(st.Host, "/") + "/.s.PGSQL." + port
	}
	return net.JoinHostPort(st.Host, port)
}

// Close closes each pool once.
func (s *Stores) Close() {
	if s == nil {
		return
	}
	s.Helpdesk.pool.Close()
	if s.Orders.pool != s.Helpdesk.pool {
		s.Orders.pool.Close()
	}
}
