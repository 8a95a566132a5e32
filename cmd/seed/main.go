// Command seed loads deterministic demo data into the two stores of the data contract.
//
//	go run ./cmd/seed -url postgres://user:pass@host:5432/db [-orders-url ...]
//	    [-helpdesk-schema public] [-orders-schema public] [-scale demo|bench]
//	    [-customers N -tickets N -orders N] [-seed 1] [-end 2026-11-23T00:00:00Z | -now]
//	    [-days 395] [-drop] [-no-rates]
//
// The same flags and seed always produce the same data; -now ends the data at the current
// time instead, so that dashboards over "the last 30 days" show something.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"sort"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/supportops/grafana-support-analytics/pkg/demo"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("seed: ")
	if err := run(os.Args[1:]); err != nil {
		log.Fatal(err)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	url := fs.String("url", "", "PostgreSQL URL of the helpdesk store (and of the order store without -orders-url)")
	ordersURL := fs.String("orders-url", "", "PostgreSQL URL of the order store, when it is another database")
	var opt demo.Options
	fs.StringVar(&opt.HelpdeskSchema, "helpdesk-schema", "public", "schema of the helpdesk tables")
	fs.StringVar(&opt.OrdersSchema, "orders-schema", "public", "schema of the order tables")
	scale := fs.String("scale", "demo", "demo (2k customers, 6k tickets, 5k orders), bench (500k, 1M, 2M, heavy-tailed buyers) or bench10x (5M, 10M, 20M)")
	fs.IntVar(&opt.Customers, "customers", 0, "number of customers (overrides the scale)")
	fs.IntVar(&opt.Tickets, "tickets", 0, "number of tickets (overrides the scale)")
	fs.IntVar(&opt.Orders, "orders", 0, "number of orders (overrides the scale)")
	fs.Uint64Var(&opt.Seed, "seed", 1, "random seed")
	end := fs.String("end", demo.DefaultEnd.Format(time.RFC3339), "exclusive end of the data (RFC 3339)")
	now := fs.Bool("now", false, "end the data at the current time (overrides -end)")
	fs.IntVar(&opt.Days, "days", 395, "length of the period in days")
	fs.BoolVar(&opt.Drop, "drop", false, "drop the contract tables first")
	fs.BoolVar(&opt.NoRates, "no-rates", false, "leave exchange_rates empty")
	quiet := fs.Bool("q", false, "no progress output")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *url == "" {
		return errors.New("-url is required")
	}
	size, err := demo.ScaleByName(*scale)
	if err != nil {
		return err
	}
	opt.Customers = cmp.Or(opt.Customers, size.Customers)
	opt.Tickets = cmp.Or(opt.Tickets, size.Tickets)
	opt.Orders = cmp.Or(opt.Orders, size.Orders)
	opt.MaxOrders = size.MaxOrders
	if opt.End, err = time.Parse(time.RFC3339, *end); err != nil {
		return fmt.Errorf("-end: %w", err)
	}
	if *now {
		opt.End = time.Now().UTC().Truncate(time.Minute)
	}
	if !*quiet {
		opt.Logf = log.Printf
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	helpdesk, err := connect(ctx, *url)
	if err != nil {
		return err
	}
	defer helpdesk.Close()
	orders := helpdesk
	if *ordersURL != "" {
		if orders, err = connect(ctx, *ordersURL); err != nil {
			return err
		}
		defer orders.Close()
	}
	counts, err := demo.Load(ctx, helpdesk, orders, opt)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(counts))
	for name := range counts {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Printf("%-16s %9d\n", name, counts[name])
	}
	return nil
}

func connect(ctx context.Context, url string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("bad URL: %w", err) // pgx leaves the password out of its messages
	}
	cfg.MaxConns = 4
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to %s/%s: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Database, err)
	}
	return pool, nil
}
