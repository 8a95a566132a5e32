package store

import (
	"context"
	"fmt"
	"time"
)

// Distinct values of a dimension in a range, for template variables and the query editor's filters.
// One static statement per dimension.
var (
	sqlTicketValues = map[string]string{
		"agent":    `SELECT DISTINCT closing_agent FROM {{schema}}.tickets WHERE created_at >= $1 AND created_at < $2 AND closing_agent IS NOT NULL ORDER BY 1`,
		"channel":  `SELECT DISTINCT channel FROM {{schema}}.tickets WHERE created_at >= $1 AND created_at < $2 AND channel IS NOT NULL ORDER BY 1`,
		"project":  `SELECT DISTINCT project FROM {{schema}}.tickets WHERE created_at >= $1 AND created_at < $2 AND project IS NOT NULL ORDER BY 1`,
		"topic":    `SELECT DISTINCT topic FROM {{schema}}.tickets WHERE created_at >= $1 AND created_at < $2 AND topic IS NOT NULL ORDER BY 1`,
		"priority": `SELECT DISTINCT priority FROM {{schema}}.tickets WHERE created_at >= $1 AND created_at < $2 AND priority IS NOT NULL ORDER BY 1`,
		"tag":      `SELECT DISTINCT tag FROM {{schema}}.tickets, unnest(tags) AS tag WHERE created_at >= $1 AND created_at < $2 AND tag IS NOT NULL ORDER BY 1`,
	}
	sqlOrderValues = map[string]string{
		"currency": `SELECT DISTINCT currency FROM {{schema}}.orders WHERE created_at >= $1 AND created_at < $2 AND NOT (coalesce(status, '') = ANY($3)) AND currency IS NOT NULL ORDER BY 1`,
		"project":  `SELECT DISTINCT project FROM {{schema}}.orders WHERE created_at >= $1 AND created_at < $2 AND NOT (coalesce(status, '') = ANY($3)) AND project IS NOT NULL ORDER BY 1`,
		"product": `SELECT DISTINCT l.product_name FROM {{schema}}.orders o JOIN {{schema}}.order_lines l ON l.order_id = o.id
  WHERE o.created_at >= $1 AND o.created_at < $2 AND NOT (coalesce(o.status, '') = ANY($3)) AND l.product_name IS NOT NULL ORDER BY 1`,
	}
)

// ReadTicketValues returns the distinct values of a ticket dimension over the tickets created in [from, to).
func (s *Store) ReadTicketValues(ctx context.Context, dim string, from, to time.Time) ([]string, error) {
	q, ok := sqlTicketValues[dim]
	if !ok {
		return nil, fmt.Errorf("no ticket values for dimension %q", dim)
	}
	return s.strings(ctx, q, from, to)
}

// ReadOrderValues returns the distinct values of an order dimension over the eligible orders of [from, to).
func (s *Store) ReadOrderValues(ctx context.Context, dim string, from, to time.Time, excluded []string) ([]string, error) {
	q, ok := sqlOrderValues[dim]
	if !ok {
		return nil, fmt.Errorf("no order values for dimension %q", dim)
	}
	return s.strings(ctx, q, from, to, excluded)
}

func (s *Store) strings(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := s.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []string{}
	var v string
	for rows.Next() {
		if err := rows.Scan(&v); err != nil {
			return nil, s.Wrap(err)
		}
		out = append(out, v)
	}
	return out, s.Wrap(rows.Err())
}
