package store

import (
	"context"
	"strings"
	"sync"
	"time"
)

// hasTTL: the user may create an optional relation while Grafana runs.
const hasTTL = 60 * time.Second

type hasEntry struct {
	ok      bool
	checked time.Time
}

type hasCache struct {
	mu      sync.Mutex
	entries map[string]hasEntry
}

// sqlHas finds a relation (table, view, materialized view, foreign or partitioned table) of the
// schema, and one of its columns when $3 is not empty. Views have no information_schema rows for
// users who can't read them, so the catalogs are read directly.
const sqlHas = `SELECT EXISTS (
  SELECT 1 FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'v', 'm', 'f', 'p')
    AND ($3 = '' OR EXISTS (
      SELECT 1 FROM pg_catalog.pg_attribute a
      WHERE a.attrelid = c.oid AND a.attname = $3 AND a.attnum > 0 AND NOT a.attisdropped)))`

// Has reports whether an optional relation ("chat_displays") or column ("csat_responses.agent")
// exists in the store's schema. Answers are cached for a minute.
func (s *Store) Has(ctx context.Context, name string) (bool, error) {
	s.has.mu.Lock()
	e, ok := s.has.entries[name]
	s.has.mu.Unlock()
	if ok && time.Since(e.checked) < hasTTL {
		return e.ok, nil
	}
	relation, column, _ := strings.Cut(name, ".")
	rows, err := s.Query(ctx, sqlHas, s.schema, relation, column)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	var exists bool
	for rows.Next() {
		if err := rows.Scan(&exists); err != nil {
			return false, s.Wrap(err)
		}
	}
	if err := rows.Err(); err != nil {
		return false, err
	}
	s.has.mu.Lock()
	s.has.entries[name] = hasEntry{ok: exists, checked: time.Now()}
	s.has.mu.Unlock()
	return exists, nil
}
