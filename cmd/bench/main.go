// Command bench measures each shipped dashboard at benchmark scale against its peer dashboard: the
// same panels written in hand SQL (bench/peer), checked equal to the plugin's answers first. It
// writes the figures to docs/BENCHMARKS.md.
//
//	go run ./cmd/bench [-dir .bench | -url postgres://owner:pass@host/db] [-scale bench|bench10x|demo]
//	    [-runs 3] [-days 30,365] [-panel-days 30] [-check-days 30] [-out docs/BENCHMARKS.md]
//
// Without -url it starts (and stops) a private PostgreSQL cluster kept in -dir, loading the
// dataset of -scale (pkg/demo) into its own database on first use only. With -url it uses that
// database, loading the dataset into its public schema when it is not there yet (the role must be
// able to create tables). Run one bench at a time on a -dir: the cluster stops when a run ends.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/supportops/grafana-support-analytics/pkg/demo"
	"github.com/supportops/grafana-support-analytics/pkg/plugin"
	"log"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("bench: ")
	if err := run(os.Args[1:]); err != nil {
		log.Fatal(err)
	}
}

type config struct {
	dir, url, out string
	dashboards    string
	only          string
	peers         string
	runs          int
	days          []int
	panelDays     []int
	panelRuns     int
	checkDays     []int
	check         bool
	pluginOnly    bool
	cpuProfile    string
	scale         string
	loadOnly      bool
	checkOnly     bool
	memProfile    string
	panelLog      bool
}

func parseFlags(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.StringVar(&c.dir, "dir", ".bench", "directory of the private PostgreSQL cluster (kept between runs)")
	fs.StringVar(&c.url, "url", "", "PostgreSQL URL of an existing database to use instead of a private cluster")
	fs.StringVar(&c.out, "out", "docs/BENCHMARKS.md", "Markdown report to write (empty: print only)")
	fs.StringVar(&c.dashboards, "dashboards", "dashboards", "directory of the shipped dashboards")
	fs.StringVar(&c.peers, "peers", "bench/peer", "directory of the peer dashboards' SQL, one directory per dashboard")
	fs.IntVar(&c.runs, "runs", 3, "rounds of measurement; each figure is the median over them")
	days := fs.String("days", "30,365", "range lengths in days, ending at the end of the data")
	panelDays := fs.String("panel-days", "30", "ranges (among -days) at which each panel is also timed alone; empty: none")
	checkDays := fs.String("check-days", "30", "ranges (among -days) at which the peer SQL is checked equal to the plugin before timing (go test checks 30 and 365 days on the demo store)")
	fs.IntVar(&c.panelRuns, "panel-runs", 1, "rounds of the panels timed alone")
	fs.BoolVar(&c.check, "check", true, "check first that the hand-written SQL and the plugin give the same numbers")
	fs.BoolVar(&c.pluginOnly, "plugin-only", false, "measure the plugin only (no SQL baselines, no report): for profiling")
	fs.StringVar(&c.scale, "scale", "bench", "store: bench (1M tickets, 2M orders, 500k customers), bench10x (10x that, about 18 GB of disk, 8 minutes to load) or demo (for checking the peer SQL quickly), each in its own database")
	fs.BoolVar(&c.checkOnly, "check-only", false, "only check that the peer SQL gives the plugin's numbers, then stop")
	fs.BoolVar(&c.loadOnly, "load-only", false, "load the store (when not there yet) and stop")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of the plugin refreshes to this file (each refresh labelled refresh=cold, warm or auto: go tool pprof -tagfocus refresh=auto)")
	fs.StringVar(&c.only, "only", "", "with -plugin-only: the dashboards to refresh, by name (ecommerce,csat); empty: all five")
	fs.StringVar(&c.memProfile, "memprofile", "", "write a heap profile, taken at the peak of the last cold refresh, to this file")
	fs.BoolVar(&c.panelLog, "panel-log", false, "log each panel's time in every plugin refresh (cold, warm, auto-refresh): which panels a refresh waits for")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if _, err := demo.ScaleByName(c.scale); err != nil {
		return c, fmt.Errorf("-scale: %w", err)
	}
	if c.runs < 1 {
		return c, errors.New("-runs must be at least 1")
	}
	if c.only != "" {
		if !c.pluginOnly {
			return c, errors.New("-only needs -plugin-only: the report covers every dashboard")
		}
		var keep []string
		for _, name := range strings.Split(c.only, ",") {
			if !slices.Contains(refreshed, name+".json") {
				return c, fmt.Errorf("-only: no dashboard %q (one of %s)", name, strings.Join(refreshed, ", "))
			}
			keep = append(keep, name+".json")
		}
		refreshed = keep
	}
	var err error
	if c.days, err = dayList("-days", *days); err != nil {
		return c, err
	}
	if c.panelDays, err = dayList("-panel-days", *panelDays); err != nil {
		return c, err
	}
	if c.checkDays, err = dayList("-check-days", *checkDays); err != nil {
		return c, err
	}
	return c, nil
}

func run(args []string) error {
	cfg, err := parseFlags(args)
	if err != nil {
		return err
	}
	plugin.LimitMemory() // as the plugin's main does: the bench process stands for the plugin's
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	db, err := openDatabase(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.close()
	if err := db.seed(ctx); err != nil {
		return err
	}
	if cfg.loadOnly {
		return nil
	}
	b, err := newBench(ctx, db, cfg.dashboards, cfg.peers)
	if err != nil {
		return err
	}
	defer b.close()
	if cfg.checkOnly {
		for _, days := range cfg.days {
			checks, err := b.checkPeers(ctx, db.end.AddDate(0, 0, -days), db.end)
			log.Print(coverage(days, checks))
			if err != nil {
				return err
			}
		}
		return nil
	}
	b.heapFile = cfg.memProfile
	b.panelLog = cfg.panelLog
	rep := &report{cfg: cfg, args: strings.Join(append([]string{""}, args...), " "), machine: readMachine(),
		postgres: db.version(ctx), end: db.end, started: time.Now(), load: db.load, scale: cfg.scale}
	if !cfg.pluginOnly {
		rep.dataset = db.describe(ctx)
	}
	rep.loadBefore = loadAverage()
	if cfg.cpuProfile != "" {
		stopProfile, err := startCPUProfile(cfg.cpuProfile)
		if err != nil {
			return err
		}
		defer stopProfile()
	}
	for _, days := range cfg.days {
		to := db.end
		from := to.AddDate(0, 0, -days)
		checked := 0
		if cfg.check && !cfg.pluginOnly && slices.Contains(cfg.checkDays, days) {
			checks, err := b.checkPeers(ctx, from, to)
			log.Print(coverage(days, checks))
			if err != nil {
				return err // loudly: the figures would compare different numbers
			}
			for _, c := range checks {
				if c.peer != nil {
					checked++
				}
			}
		}
		r, err := b.measureRange(ctx, days, from, to, cfg.runs, !cfg.pluginOnly)
		if err != nil {
			return fmt.Errorf("%d days: %w", days, err)
		}
		r.checked = checked
		if slices.Contains(cfg.panelDays, days) {
			if err := b.measurePanels(ctx, r, from, to, cfg.panelRuns, !cfg.pluginOnly); err != nil {
				return fmt.Errorf("%d days, panels alone: %w", days, err)
			}
		}
		rep.ranges = append(rep.ranges, r)
		log.Print(r.summary())
	}
	rep.loadAfter = loadAverage()
	if cfg.pluginOnly {
		return nil
	}
	fmt.Println(rep.figures())
	if cfg.out == "" {
		return nil
	}
	existing, err := os.ReadFile(cfg.out)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return os.WriteFile(cfg.out, []byte(rep.markdown(string(existing))), 0o644)
}

func dayList(flag, s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if strings.TrimSpace(f) == "" {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%s: %q is not a number of days", flag, f)
		}
		out = append(out, n)
	}
	return out, nil
}

func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return pprof.Lookup("heap").WriteTo(f, 0)
}
