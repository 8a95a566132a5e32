// Package schema holds the canonical DDL of the data contract (SPEC section 2) and the
// contract itself as data, so that the health check, the demo-data generator and the tests
// all agree on one definition.
package schema

import (
	"context"
	_ "embed"
	"fmt"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"
)

// DDL creates every relation of both stores and their indexes. Names are unqualified: run it
// through Apply, which sets the search_path.
//
//go:embed schema.sql
var DDL string

// MappingExample shows how to map one's own tables onto the contract with views (documentation
// that the tests execute).
//
//go:embed mapping_example.sql
var MappingExample string

// Store names, as the settings and the health check call them.
const (
	StoreHelpdesk = "helpdesk"
	StoreOrders   = "orders"
)

// Part selects statements of DDL by kind.
type Part int

const (
	Tables  Part = 1 << iota // CREATE TABLE
	Indexes                  // CREATE INDEX
	All     = Tables | Indexes
)

type statement struct {
	text     string
	relation string
	part     Part
}

var statements = splitDDL(DDL)

var statementTarget = regexp.MustCompile(`(?m)^CREATE (TABLE|INDEX) IF NOT EXISTS (?:\w+ ON )?(\w+)`)

func splitDDL(ddl string) []statement {
	var out []statement
	chunks := strings.Split(ddl, ";\n")
	for _, chunk := range chunks[:len(chunks)-1] { // the last chunk holds no statement
		m := statementTarget.FindStringSubmatch(chunk)
		if m == nil {
			panic("schema.sql: statement without a known target: " + chunk)
		}
		part := Tables
		if m[1] == "INDEX" {
			part = Indexes
		}
		out = append(out, statement{text: strings.TrimSpace(chunk) + ";\n", relation: m[2], part: part})
	}
	return out
}

// StoreOf names the store a contract relation belongs to ("" when it is not in the contract).
func StoreOf(relation string) string {
	for store, rels := range map[string][]Relation{StoreHelpdesk: Helpdesk, StoreOrders: Orders} {
		for _, r := range rels {
			if r.Name == relation {
				return store
			}
		}
	}
	return ""
}

// DDLFor returns the statements of DDL for one store (StoreHelpdesk or StoreOrders; "" for
// both) and part, in file order.
func DDLFor(store string, part Part) string {
	var b strings.Builder
	for _, s := range statements {
		if s.part&part != 0 && (store == "" || StoreOf(s.relation) == store) {
			b.WriteString(s.text)
		}
	}
	return b.String()
}

// Beginner is what Apply needs: *pgx.Conn, *pgxpool.Pool, *pgxpool.Conn and pgx.Tx all are.
type Beginner interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// Apply creates schemaName if needed and runs DDL (both stores, tables and indexes) in it, in
// one transaction. It is idempotent.
func Apply(ctx context.Context, conn Beginner, schemaName string) error {
	return ApplyDDL(ctx, conn, schemaName, DDL)
}

// ApplyDDL runs ddl (DDL or a part of it from DDLFor) like Apply does.
func ApplyDDL(ctx context.Context, conn Beginner, schemaName, ddl string) error {
	ident := pgx.Identifier{schemaName}.Sanitize()
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		// No arguments: pgx uses the simple protocol, so multi-statement text runs as is.
		setup := "CREATE SCHEMA IF NOT EXISTS " + ident + "; SET LOCAL search_path TO " + ident
		if _, err := tx.Exec(ctx, setup); err != nil {
			return fmt.Errorf("schema %s: %w", ident, err)
		}
		if _, err := tx.Exec(ctx, ddl); err != nil {
			return fmt.Errorf("schema %s: %w", ident, err)
		}
		return nil
	})
}
