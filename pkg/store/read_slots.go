package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// SlotWidth is the width of the time slots ReadOrderSlots sums orders into. Every time zone in use
// today is a whole number of quarter hours from UTC, so a slot lies inside one hour, day, week or
// month of any report zone: the engine rolls the slots up into its buckets exactly.
const SlotWidth = 15 * time.Minute

// OrderSlotRead asks for the eligible orders created in exactly [From, To) (status not in Excluded),
// summed per time slot: slot k is [Phase + k*SlotWidth, Phase + (k+1)*SlotWidth) since 1970-01-01 UTC,
// and per project and per currency when ByProject and ByCurrency say so (only the columns the query
// slices or filters by: every further column multiplies the rows sent).
type OrderSlotRead struct {
	From, To   time.Time
	Excluded   []string
	Currency   string        // the shop currency
	Phase      time.Duration // 0 <= Phase < SlotWidth
	ByProject  bool
	ByCurrency bool
}

// OrderSlots are the sums of an OrderSlotRead, as columns: one row per slot, project and currency
// with at least one order whose amount converts to the shop currency. The orders whose amount does
// not convert (a currency without a rate) are not in the rows: Unconverted counts them per currency.
type OrderSlots struct {
	Start    []int64 // micros: the slot's start (it may be before From; its orders are not)
	Project  []int32 // Projects id, -1 NULL; nil unless ByProject
	Currency []int32 // Currencies id, -1 NULL; nil unless ByCurrency
	Orders   []int64 // eligible orders with a converted amount
	Amount   []int64 // the sum of their amounts, shop currency, MoneyScale

	// The orders of the range left out for their currency, per currency (Currencies id, -1 NULL).
	UnconvertedCurrency []int32
	Unconverted         []int64

	Projects, Currencies *Dict
	Rates                bool // the store has exchange_rates (the amounts were converted with them)
}

// Len is the number of rows.
func (s *OrderSlots) Len() int { return len(s.Start) }

// finite keeps a numeric that the row reads' Go conversion (read_money.go) takes: NaN and the
// infinities become NULL (not convertible) there, and here, instead of an error of the cast to int8.
// A finite value too large for int8 still fails, as it does in Go.
func finite(x string) string {
	return "CASE WHEN " + x + " > -1e300 AND " + x + " < 1e300 THEN " + x + " END"
}

// sqlSlot is the slot of the instant at, for the phase in micros given by the parameter phase: it
// is computed from the UTC date, hour and minute of at - phase, which is exact on every PostgreSQL
// version (no float epoch).
func sqlSlot(at, phase string) string {
	utc := `((` + at + ` - ` + phase + `::int8 * interval '1 microsecond') AT TIME ZONE 'UTC')`
	return `((` + utc + `::date - DATE '1970-01-01')::int8 * 96 + extract(hour FROM ` + utc + `)::int8 * 4 + extract(minute FROM ` + utc + `)::int8 / 15)`
}

// sqlOrderSlots renders the slot read for the group-by columns asked, with or without exchange_rates.
// The amount is amountSQL's, as in the history and line reads; the slot is sqlSlot's.
// Two grouping sets, in one scan: the sums by slot and columns, and the unconverted orders by currency.
func sqlOrderSlots(byProject, byCurrency, rates bool) string {
	amount := strings.Replace(amountSQL(finite("o.total"), "$4", rates), "r.rate", finite("r.rate"), 1)
	slot := sqlSlot("o.created_at", "$5")
	set := "x.slot"
	project := "NULL::text"
	if byProject {
		set += ", x.project"
		project = "x.project"
	}
	if byCurrency {
		set += ", x.currency"
	}
	return `SELECT x.slot, ` + project + `, x.currency, count(x.amount)::int8, coalesce(sum(x.amount), 0)::int8,
       (count(*) - count(x.amount))::int8, GROUPING(x.slot)::int4
FROM (
  SELECT ` + slot + ` AS slot, o.project, o.currency, ` + amount + ` AS amount
  FROM {{schema}}.orders o
  WHERE o.created_at >= $1 AND o.created_at < $2 AND NOT (coalesce(o.status, '') = ANY($3))
) x
GROUP BY GROUPING SETS ((` + set + `), (x.currency))`
}

// The eight statements, all static: index byProject<<2 | byCurrency<<1 | rates.
var sqlSlots = func() (out [8]string) {
	for i := range out {
		out[i] = sqlOrderSlots(i&4 != 0, i&2 != 0, i&1 != 0)
	}
	return out
}()

func pick3(a, b, c bool) int {
	i := 0
	for _, x := range []bool{a, b, c} {
		i <<= 1
		if x {
			i |= 1
		}
	}
	return i
}

// ReadOrderSlots sums the eligible orders of r per slot (and project, currency) in PostgreSQL: a
// query that needs only counts and sums of orders receives a few thousand rows instead of every order.
func (s *Store) ReadOrderSlots(ctx context.Context, r OrderSlotRead) (*OrderSlots, error) {
	if r.Phase < 0 || r.Phase >= SlotWidth {
		return nil, fmt.Errorf("slot phase %s outside [0, %s)", r.Phase, SlotWidth)
	}
	rates, err := s.hasRates(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.queryRaw(ctx, sqlSlots[pick3(r.ByProject, r.ByCurrency, rates)], r.From, r.To, r.Excluded, r.Currency,
		r.Phase.Microseconds())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := &OrderSlots{Projects: NewDict(), Currencies: NewDict(), Rates: rates}
	width, phase := SlotWidth.Microseconds(), r.Phase.Microseconds()
	for rows.Next() {
		v := rows.RawValues()
		if rawInt(v[6], 0) != 0 { // the set by currency: the unconverted orders
			if n := rawInt(v[5], 0); n > 0 {
				out.UnconvertedCurrency = append(out.UnconvertedCurrency, out.Currencies.rawID(v[2]))
				out.Unconverted = append(out.Unconverted, n)
			}
			continue
		}
		n := rawInt(v[3], 0)
		if n == 0 {
			continue // only unconverted orders: nothing to count, as the row reads leave them out
		}
		out.Start = append(out.Start, rawInt(v[0], 0)*width+phase)
		if r.ByProject {
			out.Project = append(out.Project, out.Projects.rawID(v[1]))
		}
		if r.ByCurrency {
			out.Currency = append(out.Currency, out.Currencies.rawID(v[2]))
		}
		out.Orders = append(out.Orders, n)
		out.Amount = append(out.Amount, rawInt(v[4], 0))
	}
	return out, s.Wrap(rows.Err())
}
