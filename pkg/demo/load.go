package demo

import (
	"context"
	"fmt"
	"iter"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/supportops/grafana-support-analytics/pkg/schema"
)

// Conn is a connection to one store: *pgx.Conn and *pgxpool.Pool are.
type Conn interface {
	schema.Beginner
	Exec(ctx context.Context, sql string, arguments ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, arguments ...any) pgx.Row
	CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, rows pgx.CopyFromSource) (int64, error)
}

// Load generates the data of opt and loads it: it creates each store's contract tables in its
// schema (dropping them first with opt.Drop), COPYs the rows, builds the indexes and runs
// ANALYZE. helpdesk and orders may be the same connection. It returns the row count of each
// table. It refuses to add to tables that already hold rows unless opt.Drop is set.
func Load(ctx context.Context, helpdesk, orders Conn, opt Options) (map[string]int64, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	began := time.Now()
	w := newWorld(opt)
	opt.Logf("generated the skeleton (%d customers, %d orders, %d tickets) in %s",
		len(w.customers), len(w.orders), len(w.tickets), time.Since(began).Round(time.Millisecond))

	stores := []storeLoad{
		{conn: helpdesk, schema: opt.HelpdeskSchema, store: schema.StoreHelpdesk, tables: w.helpdeskTables()},
		{conn: orders, schema: opt.OrdersSchema, store: schema.StoreOrders, tables: w.orderTables()},
	}
	for _, s := range stores {
		if err := s.prepare(ctx, opt.Drop); err != nil {
			return nil, err
		}
	}
	// Two stores load side by side when they can: different connections, or one pool.
	_, pooled := helpdesk.(*pgxpool.Pool)
	concurrent := helpdesk != orders || pooled
	results := make([]map[string]int64, len(stores))
	errs := make([]error, len(stores))
	run := func(i int) { results[i], errs[i] = stores[i].load(ctx, opt.Logf) }
	if concurrent {
		done := make(chan int)
		for i := range stores {
			go func() { run(i); done <- i }()
		}
		for range stores {
			<-done
		}
	} else {
		for i := range stores {
			run(i)
		}
	}
	counts := map[string]int64{}
	for i, err := range errs {
		if err != nil {
			return nil, err
		}
		for k, v := range results[i] {
			counts[k] = v
		}
	}
	opt.Logf("loaded in %s", time.Since(began).Round(time.Millisecond))
	return counts, nil
}

type table struct {
	name    string
	columns []string
	rows    iter.Seq[[]any]
	skip    bool
}

type storeLoad struct {
	conn   Conn
	schema string
	store  string
	tables []table
}

func (s storeLoad) ident(name string) string {
	return pgx.Identifier{s.schema, name}.Sanitize()
}

// prepare (re)creates the tables of the store, without their indexes, and makes sure they are
// empty.
func (s storeLoad) prepare(ctx context.Context, drop bool) error {
	if drop {
		for _, t := range s.tables {
			if _, err := s.conn.Exec(ctx, "DROP TABLE IF EXISTS "+s.ident(t.name)); err != nil {
				return fmt.Errorf("drop %s: %w", s.ident(t.name), err)
			}
		}
	}
	if err := schema.ApplyDDL(ctx, s.conn, s.schema, schema.DDLFor(s.store, schema.Tables)); err != nil {
		return err
	}
	for _, t := range s.tables {
		var full bool
		if err := s.conn.QueryRow(ctx, "SELECT EXISTS (SELECT FROM "+s.ident(t.name)+")").Scan(&full); err != nil {
			return fmt.Errorf("%s: %w", s.ident(t.name), err)
		}
		if full {
			return fmt.Errorf("%s already holds rows; drop the tables first (seed -drop)", s.ident(t.name))
		}
	}
	return nil
}

func (s storeLoad) load(ctx context.Context, logf func(string, ...any)) (map[string]int64, error) {
	counts := map[string]int64{}
	for _, t := range s.tables {
		began := time.Now()
		n := int64(0)
		if !t.skip {
			var err error
			if n, err = copyRows(ctx, s.conn, pgx.Identifier{s.schema, t.name}, t.columns, t.rows); err != nil {
				return nil, fmt.Errorf("load %s: %w", s.ident(t.name), err)
			}
		}
		counts[t.name] = n
		logf("%-16s %9d rows in %s", t.name, n, time.Since(began).Round(time.Millisecond))
	}
	began := time.Now()
	if err := pgx.BeginFunc(ctx, s.conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL maintenance_work_mem = '256MB'"); err != nil {
			return err
		}
		return schema.ApplyDDL(ctx, tx, s.schema, schema.DDLFor(s.store, schema.Indexes))
	}); err != nil {
		return nil, fmt.Errorf("indexes of the %s store: %w", s.store, err)
	}
	logf("%s indexes built in %s", s.store, time.Since(began).Round(time.Millisecond))
	for _, t := range s.tables {
		if _, err := s.conn.Exec(ctx, "ANALYZE "+s.ident(t.name)); err != nil {
			return nil, fmt.Errorf("analyze %s: %w", s.ident(t.name), err)
		}
	}
	return counts, nil
}

// copyRows streams rows into COPY: they are generated as PostgreSQL consumes them.
func copyRows(ctx context.Context, conn Conn, name pgx.Identifier, columns []string, rows iter.Seq[[]any]) (int64, error) {
	next, stop := iter.Pull(rows)
	defer stop()
	return conn.CopyFrom(ctx, name, columns, &pulledRows{next: next})
}

type pulledRows struct {
	next func() ([]any, bool)
	row  []any
}

func (p *pulledRows) Next() bool {
	var ok bool
	p.row, ok = p.next()
	return ok
}

func (p *pulledRows) Values() ([]any, error) { return p.row, nil }
func (p *pulledRows) Err() error             { return nil }
