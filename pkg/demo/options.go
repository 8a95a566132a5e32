// Package demo generates realistic, deterministic demo data for both stores of the data
// contract and bulk-loads it with COPY. cmd/seed is its command line; tests and benchmarks call
// Load directly.
package demo

import (
	"fmt"
	"time"
)

// Size is how many rows of the three main entities to generate; the other tables follow.
type Size struct {
	Customers, Tickets, Orders int
	// MaxOrders caps one customer's orders; 0 means 300. Buyers' order counts follow a power law
	// up to it: with a cap in the thousands, most buyers order once and a few resellers order
	// thousands of times, as in real shops.
	MaxOrders int
}

// Scales by name: Demo loads in seconds, Bench is for load and query benchmarks (heavy-tailed
// buyers: 60% of buyers order once, a few hundred resellers order 1000 to 5000 times), Bench10x
// is ten times Bench.
var (
	Demo     = Size{Customers: 2_000, Tickets: 6_000, Orders: 5_000}
	Bench    = Size{Customers: 500_000, Tickets: 1_000_000, Orders: 2_000_000, MaxOrders: 5_000}
	Bench10x = Size{Customers: 5_000_000, Tickets: 10_000_000, Orders: 20_000_000, MaxOrders: 5_000}
)

// ScaleByName returns the Size of "demo", "bench" or "bench10x".
func ScaleByName(name string) (Size, error) {
	switch name {
	case "demo":
		return Demo, nil
	case "bench":
		return Bench, nil
	case "bench10x":
		return Bench10x, nil
	}
	return Size{}, fmt.Errorf("unknown scale %q (want demo, bench or bench10x)", name)
}

// DefaultEnd is the fixed end of the generated period, so that a given seed always yields the
// same data.
var DefaultEnd = time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)

// Options of Load. The zero value loads the demo scale into schema public, seed 0, ending at
// DefaultEnd.
type Options struct {
	HelpdeskSchema string // default "public"
	OrdersSchema   string // default "public"
	Size                  // zero fields take Demo's values
	Seed           uint64
	End            time.Time // exclusive end of the data; default DefaultEnd
	Days           int       // length of the period; default 395 (about 13 months)
	Drop           bool      // drop the contract tables of both stores first
	NoRates        bool      // leave exchange_rates empty (EUR orders then cannot be converted)
	ShopCurrency   string    // default "USD"; the other currency is always EUR
	// Logf, when set, receives progress lines.
	Logf func(format string, args ...any)
}

func (o Options) withDefaults() (Options, error) {
	if o.HelpdeskSchema == "" {
		o.HelpdeskSchema = "public"
	}
	if o.OrdersSchema == "" {
		o.OrdersSchema = "public"
	}
	if o.Customers == 0 {
		o.Customers = Demo.Customers
	}
	if o.Tickets == 0 {
		o.Tickets = Demo.Tickets
	}
	if o.Orders == 0 {
		o.Orders = Demo.Orders
	}
	if o.MaxOrders == 0 {
		o.MaxOrders = maxOrdersPerCustomer
	}
	if o.End.IsZero() {
		o.End = DefaultEnd
	}
	if o.Days == 0 {
		o.Days = 395
	}
	if o.ShopCurrency == "" {
		o.ShopCurrency = "USD"
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	switch {
	case o.Customers < 10 || o.Tickets < 10 || o.Orders < 10:
		return o, fmt.Errorf("sizes must be at least 10 (customers %d, tickets %d, orders %d)", o.Customers, o.Tickets, o.Orders)
	case o.Orders > o.Customers*o.MaxOrders/3:
		return o, fmt.Errorf("%d orders are too many for %d customers", o.Orders, o.Customers)
	case o.Days < 7:
		return o, fmt.Errorf("days must be at least 7, got %d", o.Days)
	case o.ShopCurrency == "EUR":
		return o, fmt.Errorf("the shop currency must not be EUR (EUR is the foreign currency)")
	}
	return o, nil
}
