package store

import "time"

// Null marks an absent instant or amount in the readers' int64 columns.
const Null int64 = -1 << 63

// MoneyScale is the fixed point of every amount the readers return: 1/10000 of the currency unit, exact
// for every ISO 4217 currency (at most 3 decimals). PostgreSQL rounds numeric to it, so sums in Go are
// exact integer sums.
const MoneyScale = 10000

// Micros turns an instant into the readers' time unit.
func Micros(t time.Time) int64 { return t.UnixMicro() }

// Nullable returns the id of *s, or -1 for NULL.
func (d *Dict) Nullable(s *string) int32 {
	if s == nil {
		return -1
	}
	return d.ID(*s)
}

// Message flags of a ticket.
const (
	HasAgentMessage uint8 = 1 << iota
	HasBotMessage
	HasRuleMessage
	Outbound // the earliest message of the ticket was an agent's
)

// Tickets are the helpdesk tickets a query needs, as columns (one index per ticket).
type Tickets struct {
	Derived // what the engine derives from this read lives and dies with it

	ID           Strings
	Customer     []int32 // Customers id, -1 unidentified
	Channel      []int32 // Channels id, -1 NULL
	Project      []int32
	Topic        []int32
	Priority     []int32
	ClosingAgent []int32 // Agents id, -1 NULL
	TagStart     []int32 // the tags of ticket i are TagIDs[TagStart[i]:TagStart[i+1]]
	TagIDs       []int32 // TagNames ids
	Created      []int64 // micros
	Closed       []int64 // micros or Null

	Customers, Channels, Projects, Topics, Priorities, Agents, TagNames *Dict

	// Listed are the ids of the tickets the read named apart from its ranges (surveyed, open at an
	// instant) that its ranges did not already hold: with the ranges, they make the whole read, which
	// a message read of the same tickets can ask for without listing them again.
	Listed []string
}

// Len is the number of tickets.
func (t *Tickets) Len() int { return t.ID.Len() }

// fit trims the columns once the read is complete.
func (t *Tickets) fit() {
	t.ID.fit()
	t.Customer, t.Channel, t.Project, t.Topic = fit(t.Customer), fit(t.Channel), fit(t.Project), fit(t.Topic)
	t.Priority, t.ClosingAgent, t.TagStart, t.TagIDs = fit(t.Priority), fit(t.ClosingAgent), fit(t.TagStart), fit(t.TagIDs)
	t.Created, t.Closed = fit(t.Created), fit(t.Closed)
}

// Tags returns the TagNames ids of ticket i.
func (t *Tickets) Tags(i int) []int32 { return t.TagIDs[t.TagStart[i]:t.TagStart[i+1]] }

// Messages are the message summaries of a set of tickets: one row per ticket with messages.
type Messages struct {
	Ticket     Strings // ticket id
	FirstReply []int64 // first agent message at or after the ticket's creation (micros) or Null
	Flags      []uint8
	PartStart  []int32 // with participants: the agents who wrote in ticket i are PartIDs[PartStart[i]:PartStart[i+1]]
	PartIDs    []int32 // Agents ids
	Agents     *Dict
}

// Len is the number of tickets summarised.
func (m *Messages) Len() int { return m.Ticket.Len() }

// Participants returns the Agents ids of the agents who wrote in ticket row i (none unless asked).
func (m *Messages) Participants(i int) []int32 {
	if m.PartStart == nil {
		return nil
	}
	return m.PartIDs[m.PartStart[i]:m.PartStart[i+1]]
}

// Surveys are CSAT survey rows (one per survey sent).
type Surveys struct {
	Derived // what the engine derives from this read lives and dies with it

	Ticket    []string // ticket id
	Sent      []int64
	Responded []int64 // micros or Null
	Score     []int16 // 0 when unanswered
	Agent     []int32 // Agents id of the survey's own agent column, -1 NULL or absent
	Agents    *Dict
	HasAgent  bool // the store has the optional csat_responses.agent column
}

// Displays are chat-widget display counts.
type Displays struct {
	At       []int64
	Project  []int32
	Channel  []int32
	Count    []int64
	Projects *Dict
	Channels *Dict
}

// Orders are orders whose status is counted, as columns.
type Orders struct {
	Derived // what the engine derives from this read lives and dies with it

	ID       Strings
	Customer []int32 // Customers id, -1 NULL
	Created  []int64
	Amount   []int64 // shop currency, MoneyScale; Null when its currency cannot be converted
	Currency []int32
	Project  []int32

	Customers, Currencies, Projects *Dict
}

// Len is the number of orders.
func (o *Orders) Len() int { return o.ID.Len() }

// Order is one order as ScanOrders streams it; its byte slices are only valid during the call.
type Order struct {
	Customer []byte // nil: NULL
	Created  int64
	Amount   int64 // shop currency, MoneyScale; Null when its currency cannot be converted
	Currency []byte
}

// History is, per customer, the eligible orders created before a given instant.
type History struct {
	Derived // what the engine derives from this read lives and dies with it

	Customers *Dict
	Count     []int32 // by Customers id; up to the read's cap
	Spent     []int64 // over the orders counted
}

// FirstOrders are, for each customer of a key list (by its index in the list), its first eligible
// orders ever, up to a cap: the orders of key i are Created[Start[i]:Start[i+1]], oldest first, with
// their amounts (shop currency, MoneyScale) in Amount.
type FirstOrders struct {
	Derived // what the engine derives from this read lives and dies with it

	Start   []int32 // len(keys)+1
	Created []int64
	Amount  []int64
}

// Lines are order lines of the orders read, as columns.
type Lines struct {
	Order    []int32 // index into the Orders read alongside
	Product  []int32 // Products id (product_id)
	Quantity []int64
	Amount   []int64 // shop currency, MoneyScale; Null when not convertible
	Products *Dict
	Names    []string // by Products id: the product name
}

// FeedEvent is one row of the live feed.
type FeedEvent struct {
	Kind     string // "order" or "cart"
	At       time.Time
	ID       string // order id, empty for cart events
	Customer *string
	Amount   int64 // original currency, MoneyScale
	Currency string
	Status   string
}
