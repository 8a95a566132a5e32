package demo

import (
	"math"
	"math/big"

	"github.com/jackc/pgx/v5/pgtype"
)

// The rows of every table, in the contract's column order. A row slice is reused between
// rows: COPY encodes each row before asking for the next.

func (w *world) helpdeskTables() []table {
	return []table{
		{name: "tickets", rows: w.ticketRows, columns: []string{"id", "customer_key", "channel", "project", "topic",
			"priority", "tags", "created_at", "closed_at", "closing_agent"}},
		{name: "messages", rows: w.messageRows, columns: []string{"ticket_id", "sent_at", "sender_kind", "agent"}},
		{name: "csat_responses", rows: w.surveyRows, columns: []string{"ticket_id", "sent_at", "responded_at", "score", "agent"}},
		{name: "chat_displays", rows: w.displayRows, columns: []string{"displayed_at", "project", "channel", "displays"}},
	}
}

func (w *world) orderTables() []table {
	return []table{
		{name: "customers", rows: w.customerRows, columns: []string{"customer_key", "created_at", "tags"}},
		{name: "orders", rows: w.orderRows, columns: []string{"id", "customer_key", "created_at", "status", "total",
			"currency", "project"}},
		{name: "order_lines", rows: w.lineRows, columns: []string{"order_id", "product_id", "product_name", "quantity",
			"line_total"}},
		{name: "cart_events", rows: w.cartRows, columns: []string{"customer_key", "created_at", "amount", "currency"}},
		{name: "exchange_rates", rows: w.rateRows, skip: w.opt.NoRates, columns: []string{"currency", "day", "rate"}},
	}
}

// nullable returns nil (SQL NULL) for a negative index, else names[i].
func nullable(names []string, i int) any {
	if i < 0 {
		return nil
	}
	return names[i]
}

func nullableTime(t int64) any {
	if t == 0 {
		return nil
	}
	return unixTime(t)
}

func decimal(units int64, exp int32) pgtype.Numeric {
	return pgtype.Numeric{Int: big.NewInt(units), Exp: exp, Valid: true}
}

func cents(c int64) pgtype.Numeric { return decimal(c, -2) }

func (w *world) key(cust int32) any {
	if cust < 0 {
		return nil
	}
	return customerKey(cust)
}

func (w *world) ticketRows(yield func([]any) bool) {
	row := make([]any, 10)
	var d ticketDetail
	for i, t := range w.tickets {
		w.ticketDetail(i, &d)
		row[0], row[1], row[2], row[3] = ticketID(i), w.key(t.cust), channels[d.channel], projects[d.project]
		row[4], row[5], row[6], row[7] = nullable(topics, d.topic), priorities[d.priority], d.tags, unixTime(t.at)
		row[8], row[9] = nullableTime(d.closed), nullable(agents, d.closer)
		if !yield(row) {
			return
		}
	}
}

func (w *world) messageRows(yield func([]any) bool) {
	row := make([]any, 4)
	var d ticketDetail
	for i := range w.tickets {
		w.ticketDetail(i, &d)
		id := ticketID(i)
		for _, m := range d.messages {
			row[0], row[1], row[2], row[3] = id, unixTime(m.at), m.kind, nullable(agents, m.agent)
			if !yield(row) {
				return
			}
		}
	}
}

func (w *world) surveyRows(yield func([]any) bool) {
	row := make([]any, 5)
	var d ticketDetail
	for i := range w.tickets {
		w.ticketDetail(i, &d)
		s := d.survey
		if s == nil {
			continue
		}
		var score any
		if s.responded != 0 {
			score = s.score
		}
		row[0], row[1], row[2], row[3], row[4] = ticketID(i), unixTime(s.sent), nullableTime(s.responded), score,
			nullable(agents, s.agent)
		if !yield(row) {
			return
		}
	}
}

// displayRows: hourly chat-widget displays per website, pre-aggregated, sized so that about
// 3% of displays turn into a chat ticket.
func (w *world) displayRows(yield func([]any) bool) {
	row := make([]any, 4)
	r := w.rng(streamDisplays, 0)
	hours := float64(w.end-w.start) / float64(hour)
	chatTicketsPerHour := float64(w.opt.Tickets) * 0.30 / hours
	norm := meanActivity()
	for h := w.start; h < w.end; h += hour {
		for p := range projects {
			mean := chatTicketsPerHour / 0.03 * projectShare[p] * activity(h) / norm
			n := int32(math.Round(mean * (0.8 + 0.4*r.Float64())))
			if n == 0 {
				continue
			}
			row[0], row[1], row[2], row[3] = unixTime(h), projects[p], "chat", n
			if !yield(row) {
				return
			}
		}
	}
}

// meanActivity is the average of activity over a week outside the seasonal peak.
func meanActivity() float64 {
	var sum float64
	for d := range weekdayActivity {
		for h := range hourActivity {
			sum += weekdayActivity[d] * hourActivity[h]
		}
	}
	return sum / float64(len(weekdayActivity)*len(hourActivity))
}

func (w *world) customerRows(yield func([]any) bool) {
	row := make([]any, 3)
	for i, c := range w.customers {
		tags := []string{}
		for _, t := range []struct {
			flag uint8
			name string
		}{{tagVIP, "vip"}, {tagGold, "gold"}, {tagSubscriber, "subscriber"}} {
			if c.tags&t.flag != 0 {
				tags = append(tags, t.name)
			}
		}
		row[0], row[1], row[2] = customerKey(int32(i)), unixTime(c.created), tags
		if !yield(row) {
			return
		}
	}
}

func (w *world) orderRows(yield func([]any) bool) {
	row := make([]any, 7)
	var d orderDetail
	for i, o := range w.orders {
		w.orderDetail(i, &d)
		row[0], row[1], row[2], row[3] = orderID(i), customerKey(o.cust), unixTime(o.at), d.status
		row[4], row[5], row[6] = cents(d.cents), d.currency, nullable(projects, d.project)
		if !yield(row) {
			return
		}
	}
}

func (w *world) lineRows(yield func([]any) bool) {
	row := make([]any, 5)
	var d orderDetail
	for i := range w.orders {
		w.orderDetail(i, &d)
		id := orderID(i)
		for _, l := range d.lines {
			p := w.products[l.product]
			row[0], row[1], row[2], row[3], row[4] = id, p.id, p.name, l.quantity, cents(l.cents)
			if !yield(row) {
				return
			}
		}
	}
}

// cartRows: the checkout cart before each order, then carts abandoned at random (half of
// them by anonymous visitors), one for every two orders.
func (w *world) cartRows(yield func([]any) bool) {
	row := make([]any, 4)
	var d orderDetail
	for i, o := range w.orders {
		w.orderDetail(i, &d)
		r := w.rng(streamCart, i)
		row[0], row[1], row[2], row[3] = customerKey(o.cust), unixTime(o.at-60-r.Int64N(40*60)), cents(d.cents), d.currency
		if !yield(row) {
			return
		}
	}
	for i := range len(w.orders) / 2 {
		r := w.rng(streamCart, len(w.orders)+i)
		cust := int32(-1)
		if r.Float64() < 0.5 {
			cust = int32(r.IntN(len(w.customers)))
		}
		p := w.products[w.popularity.pick(r)]
		amount := p.cents * int64(quantityWeights.pick(r)+1)
		row[0], row[1], row[2], row[3] = w.key(cust), unixTime(w.randTime(r, w.start, w.end)), cents(amount), w.opt.ShopCurrency
		if !yield(row) {
			return
		}
	}
}

func (w *world) rateRows(yield func([]any) bool) {
	row := make([]any, 3)
	for i, rate := range w.rates {
		row[0], row[1], row[2] = "EUR", unixTime((w.rateDay0+int64(i))*day), decimal(rate, -4)
		if !yield(row) {
			return
		}
	}
}
