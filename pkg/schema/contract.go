package schema

// Type vocabulary of Column.Type, the type families of the contract.
const (
	Text        = "text"
	TextArray   = "text[]"
	Timestamptz = "timestamptz"
	Integer     = "integer"
	Smallint    = "smallint"
	Numeric     = "numeric"
	Date        = "date"
)

// Column is one column of the contract. Optional columns may be missing from a store;
// Nullable columns may hold NULL (a required column can be nullable: orders.project).
type Column struct {
	Name     string
	Type     string
	Optional bool
	Nullable bool
}

// Relation is one table or view of the contract. Optional relations may be missing; the
// metrics that need them then report an error that says so.
type Relation struct {
	Name     string
	Optional bool
	Columns  []Column
}

func col(name, typ string) Column     { return Column{Name: name, Type: typ} }
func nullCol(name, typ string) Column { return Column{Name: name, Type: typ, Nullable: true} }

// Helpdesk is the contract of the helpdesk store.
var Helpdesk = []Relation{
	{Name: "tickets", Columns: []Column{
		col("id", Text),
		nullCol("customer_key", Text),
		col("channel", Text),
		col("project", Text),
		nullCol("topic", Text),
		col("priority", Text),
		col("tags", TextArray),
		col("created_at", Timestamptz),
		nullCol("closed_at", Timestamptz),
		nullCol("closing_agent", Text),
	}},
	{Name: "messages", Columns: []Column{
		col("ticket_id", Text),
		col("sent_at", Timestamptz),
		col("sender_kind", Text),
		nullCol("agent", Text),
	}},
	{Name: "csat_responses", Columns: []Column{
		col("ticket_id", Text),
		col("sent_at", Timestamptz),
		nullCol("responded_at", Timestamptz),
		nullCol("score", Smallint),
		{Name: "agent", Type: Text, Optional: true, Nullable: true},
	}},
	{Name: "chat_displays", Optional: true, Columns: []Column{
		col("displayed_at", Timestamptz),
		col("project", Text),
		col("channel", Text),
		col("displays", Integer),
	}},
}

// Orders is the contract of the order store.
var Orders = []Relation{
	{Name: "customers", Columns: []Column{
		col("customer_key", Text),
		col("created_at", Timestamptz),
		col("tags", TextArray),
	}},
	{Name: "orders", Columns: []Column{
		col("id", Text),
		col("customer_key", Text),
		col("created_at", Timestamptz),
		col("status", Text),
		col("total", Numeric),
		col("currency", Text),
		nullCol("project", Text),
	}},
	{Name: "order_lines", Columns: []Column{
		col("order_id", Text),
		col("product_id", Text),
		col("product_name", Text),
		col("quantity", Integer),
		col("line_total", Numeric),
	}},
	{Name: "cart_events", Optional: true, Columns: []Column{
		nullCol("customer_key", Text),
		col("created_at", Timestamptz),
		col("amount", Numeric),
		col("currency", Text),
	}},
	{Name: "exchange_rates", Optional: true, Columns: []Column{
		col("currency", Text),
		col("day", Date),
		col("rate", Numeric),
	}},
}

// Family maps a PostgreSQL type name, as information_schema.columns.udt_name or pg_type.typname
// give it, to the vocabulary of Column.Type. Types outside the vocabulary come back unchanged
// (e.g. "int8", "float8", "bool"), so a caller can name them in a message.
func Family(udtName string) string {
	switch udtName {
	case "text", "varchar", "bpchar", "name", "citext":
		return Text
	case "_text", "_varchar", "_bpchar", "_citext":
		return TextArray
	case "timestamptz":
		return Timestamptz
	case "int4":
		return Integer
	case "int2":
		return Smallint
	case "numeric":
		return Numeric
	case "date":
		return Date
	}
	return udtName
}
