package store

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/supportops/grafana-support-analytics/pkg/schema"
)

// Report is the outcome of a health check of both stores.
type Report struct {
	OK      bool
	Message string   // one line for Grafana's "Save & test"
	Errors  []string // what stops metrics from working
	Notes   []string // what limits them (optional relations, missing indexes)
}

// optionalEffects says what a missing optional relation or column costs (SPEC 2, 5).
var optionalEffects = map[string]string{
	"chat_displays":        "engagement_rate unavailable",
	"cart_events":          "live_feed shows orders only",
	"exchange_rates":       "orders in another currency than the shop's are left out of sums",
	"csat_responses.agent": "CSAT by agent credits the ticket's closing agent",
}

// recommendedIndexes are the indexes the attribution join needs (relation -> leading columns).
var recommendedIndexes = map[string][]string{
	"tickets": {"customer_key", "created_at"},
	"orders":  {"customer_key", "created_at"},
}

// Check connects to both stores in parallel and checks their data contract.
func (s *Stores) Check(ctx context.Context) Report {
	results := make([]storeCheck, 2)
	var wg sync.WaitGroup
	for i, st := range []*Store{s.Helpdesk, s.Orders} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = st.check(ctx)
		}()
	}
	wg.Wait()
	var r Report
	var summaries []string
	for _, c := range results {
		r.Errors = append(r.Errors, c.errors...)
		r.Notes = append(r.Notes, c.notes...)
		summaries = append(summaries, c.summary)
	}
	r.OK = len(r.Errors) == 0
	if r.OK {
		r.Message = strings.Join(summaries, " — ")
	} else {
		r.Message = strings.Join(r.Errors, "; ")
	}
	if len(r.Notes) > 0 {
		r.Message += ". Notes: " + strings.Join(r.Notes, "; ")
	}
	return r
}

type storeCheck struct {
	summary       string
	errors, notes []string
}

func (c *storeCheck) fail(s *Store, format string, args ...any) {
	c.errors = append(c.errors, s.label+": "+fmt.Sprintf(format, args...))
}

func (c *storeCheck) note(s *Store, format string, args ...any) {
	c.notes = append(c.notes, s.label+": "+fmt.Sprintf(format, args...))
}

func (s *Store) check(ctx context.Context) storeCheck {
	var c storeCheck
	version, err := s.version(ctx)
	if err != nil {
		c.errors = append(c.errors, err.Error())
		return c
	}
	c.summary = fmt.Sprintf("%s: %s, schema %s", s.label, version, s.schema)
	if ok, err := s.checkSchema(ctx, &c); err != nil || !ok {
		if err != nil {
			c.errors = append(c.errors, err.Error())
		}
		return c
	}
	rels, err := s.relations(ctx)
	if err != nil {
		c.errors = append(c.errors, err.Error())
		return c
	}
	for _, want := range s.contract {
		s.checkRelation(&c, want, rels[want.Name])
	}
	if err := s.checkIndexes(ctx, &c, rels); err != nil {
		c.errors = append(c.errors, err.Error())
	}
	return c
}

// queryOne runs a query expected to return a single row.
func (s *Store) queryOne(ctx context.Context, sql string, args []any, dest ...any) error {
	rows, err := s.Query(ctx, sql, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return s.Wrap(err)
		}
	}
	return rows.Err()
}

// version is "PostgreSQL 15.18" (the start of version(), without the build details).
func (s *Store) version(ctx context.Context) (string, error) {
	var v string
	if err := s.queryOne(ctx, "SELECT version()", nil, &v); err != nil {
		return "", err
	}
	if fields := strings.Fields(v); len(fields) >= 2 {
		return fields[0] + " " + strings.TrimSuffix(fields[1], ","), nil
	}
	return v, nil
}

const sqlSchema = `SELECT n.oid IS NOT NULL, coalesce(has_schema_privilege(n.oid, 'USAGE'), false)
FROM (SELECT 1) one LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = $1`

func (s *Store) checkSchema(ctx context.Context, c *storeCheck) (bool, error) {
	var exists, usage bool
	if err := s.queryOne(ctx, sqlSchema, []any{s.schema}, &exists, &usage); err != nil {
		return false, err
	}
	switch {
	case !exists:
		c.fail(s, "schema %s does not exist (check %sSchema)", s.schema, s.key)
	case !usage:
		c.fail(s, "user %s may not use schema %s (GRANT USAGE ON SCHEMA)", s.user, s.schema)
	}
	return exists && usage, nil
}

// relation is what the catalogs say about one relation of the schema.
type relation struct {
	kind     string // pg_class.relkind
	readable bool
	columns  map[string]column
}

type column struct {
	family  string // schema.Family of the base type
	display string // format_type, e.g. "double precision"
}

// sqlRelations reads every column of the contract's relations, views included; a domain counts
// as its base type.
const sqlRelations = `SELECT c.relname, c.relkind::text, has_any_column_privilege(c.oid, 'SELECT'),
       a.attname, CASE WHEN t.typtype = 'd' THEN bt.typname ELSE t.typname END,
       format_type(a.atttypid, a.atttypmod)
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_catalog.pg_type bt ON bt.oid = t.typbasetype
WHERE n.nspname = $1 AND c.relname = ANY($2) AND c.relkind IN ('r', 'v', 'm', 'f', 'p')`

func (s *Store) relations(ctx context.Context) (map[string]*relation, error) {
	names := make([]string, len(s.contract))
	for i, r := range s.contract {
		names[i] = r.Name
	}
	rows, err := s.Query(ctx, sqlRelations, s.schema, names)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]*relation{}
	var name, kind string
	var readable bool
	var attname, typname, display *string
	for rows.Next() {
		if err := rows.Scan(&name, &kind, &readable, &attname, &typname, &display); err != nil {
			return nil, s.Wrap(err)
		}
		rel := out[name]
		if rel == nil {
			rel = &relation{kind: kind, readable: readable, columns: map[string]column{}}
			out[name] = rel
		}
		if attname != nil && typname != nil && display != nil {
			rel.columns[*attname] = column{family: schema.Family(*typname), display: *display}
		}
	}
	return out, rows.Err()
}

func (s *Store) checkRelation(c *storeCheck, want schema.Relation, got *relation) {
	qualified := s.schema + "." + want.Name
	switch {
	case got == nil && want.Optional:
		c.note(s, "%s not found: %s", want.Name, optionalEffects[want.Name])
		return
	case got == nil:
		c.fail(s, "relation %s does not exist", qualified)
		return
	case !got.readable:
		c.fail(s, "user %s may not read %s (GRANT SELECT)", s.user, qualified)
	}
	for _, col := range want.Columns {
		have, ok := got.columns[col.Name]
		switch {
		case !ok && col.Optional:
			c.note(s, "%s.%s not found: %s", want.Name, col.Name, optionalEffects[want.Name+"."+col.Name])
		case !ok:
			c.fail(s, "relation %s has no column %s", qualified, col.Name)
		case !compatible(col.Type, have.family):
			c.fail(s, "column %s.%s is %s, expected %s (cast it in a view)", qualified, col.Name, have.display, col.Type)
		}
	}
}

// compatible: integer widths interchange (readers scan them into Go integers, which check the
// range); every other family must match.
func compatible(want, got string) bool {
	integers := map[string]bool{schema.Integer: true, schema.Smallint: true, "int8": true}
	return want == got || (integers[want] && integers[got])
}

// sqlIndexed finds a valid index of schema.relation whose first key columns are $3, $4.
const sqlIndexed = `SELECT EXISTS (
  SELECT 1 FROM pg_catalog.pg_index i
  JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_catalog.pg_attribute a0 ON a0.attrelid = c.oid AND a0.attnum = i.indkey[0]
  JOIN pg_catalog.pg_attribute a1 ON a1.attrelid = c.oid AND a1.attnum = i.indkey[1]
  WHERE n.nspname = $1 AND c.relname = $2 AND i.indisvalid AND i.indnkeyatts >= 2
    AND a0.attname = $3 AND a1.attname = $4)`

// checkIndexes notes missing recommended indexes on tables (a view's indexes are those of the
// tables below it, which the catalogs don't tie to the view).
func (s *Store) checkIndexes(ctx context.Context, c *storeCheck, rels map[string]*relation) error {
	for name, cols := range recommendedIndexes {
		rel := rels[name]
		if rel == nil || (rel.kind != "r" && rel.kind != "p" && rel.kind != "m") {
			continue
		}
		var ok bool
		if err := s.queryOne(ctx, sqlIndexed, []any{s.schema, name, cols[0], cols[1]}, &ok); err != nil {
			return err
		}
		if !ok {
			c.note(s, "no index on %s.%s (%s): attribution reads will be slow", s.schema, name, strings.Join(cols, ", "))
		}
	}
	return nil
}
