package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

// The bench rewrites only the part of the report between these markers; the text around them is
// the document's own.
const (
	beginMarker = "<!-- bench:begin (written by go run ./cmd/bench) -->"
	endMarker   = "<!-- bench:end -->"
)

// Targets of issue 5 at benchmark scale.
const (
	warmTarget   = 150 * time.Millisecond
	memoryTarget = 200 << 20
)

type report struct {
	cfg                   config
	dataset               []tableSize
	machine               machine
	postgres              string
	end                   time.Time // of the data
	started               time.Time
	loadBefore, loadAfter string
	ranges                []*timings
}

type machine struct {
	cpus   int
	memory string
	model  string
}

func readMachine() machine {
	m := machine{cpus: runtime.NumCPU(), memory: "unknown", model: "unknown"}
	if v := procField("/proc/cpuinfo", "model name"); v != "" {
		m.model = v
	}
	if v := procField("/proc/meminfo", "MemTotal"); v != "" {
		var kb int64
		if _, err := fmt.Sscanf(v, "%d kB", &kb); err == nil {
			m.memory = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
		}
	}
	return m
}

// procField is the value of the first "key : value" line of a /proc file.
func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// loadAverage is the 1, 5 and 15 minute load average.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func ms(d time.Duration) string {
	if d >= 10*time.Second {
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	if d >= time.Second {
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
	return fmt.Sprintf("%d ms", d.Round(time.Millisecond).Milliseconds())
}

func mib(b uint64) string { return fmt.Sprintf("%d MiB", b>>20) }

func ratio(a, b time.Duration) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", float64(a)/float64(b))
}

// perRow is the plugin's cold refresh time per row in range.
func (t *timings) perRow() string {
	if t.rows == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f µs", float64(median(t.cold).Microseconds())/float64(t.rows))
}

func (t *timings) summary() string {
	return fmt.Sprintf("%d days (medians of %d): scan limit %s, best SQL %s, naive SQL %s, plugin cold %s, warm %s; peak heap %s, RSS %s",
		t.days, len(t.scan), ms(median(t.scan)), ms(median(t.best)), ms(median(t.naive)), ms(median(t.cold)),
		ms(median(t.warm)), mib(t.heap), mib(t.rss))
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}

// figures is the generated part of the report.
func (r *report) figures() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w(beginMarker)
	w("Run of %s, `go run ./cmd/bench -runs %d` (%d rounds, medians; %d warm refreshes per round).", r.started.UTC().Format("2006-01-02 15:04 MST"),
		r.cfg.runs, r.cfg.runs, warmRepeats)
	w("")
	w("Machine: %d CPUs (%s), %s memory; %s; %s. Load average (1, 5, 15 min) %s at the start, %s at the end: the",
		r.machine.cpus, r.machine.model, r.machine.memory, r.postgres, runtime.Version(), r.loadBefore, r.loadAfter)
	w("machine was shared with other work, so figures move by some percent between runs.")
	w("")
	w("Dataset (pkg/demo, `demo.Bench`, 395 days ending %s):", r.end.Format(time.DateOnly))
	w("")
	w("| relation | rows | size |")
	w("|---|---:|---:|")
	for _, t := range r.dataset {
		w("| %s | %d | %s |", t.name, t.rows, mib(uint64(t.bytes)))
	}
	w("")
	w("| work | " + r.columns(func(t *timings) string { return fmt.Sprintf("%d days", t.days) }) + " |")
	w("|---|" + strings.Repeat("---:|", len(r.ranges)))
	w("| tickets and orders in range | " + r.columns(func(t *timings) string { return fmt.Sprint(t.rows) }) + " |")
	w("| (a) scan limit: one scan of the rows in range | " + r.columns(func(t *timings) string { return ms(median(t.scan)) }) + " |")
	w("| (b) best hand-written SQL, revenue report | " + r.columns(func(t *timings) string { return ms(median(t.best)) }) + " |")
	w("| (c) naive SQL (range join + DISTINCT ON), revenue report | " + r.columns(func(t *timings) string { return ms(median(t.naive)) }) + " |")
	w("| (d) plugin, full refresh of both dashboards, cold | " + r.columns(func(t *timings) string { return ms(median(t.cold)) }) + " |")
	w("| (d) plugin, full refresh, warm (read cache) | " + r.columns(func(t *timings) string { return ms(median(t.warm)) }) + " |")
	w("| plugin cold / best SQL | " + r.columns(func(t *timings) string { return ratio(median(t.cold), median(t.best)) }) + " |")
	w("| plugin cold / naive SQL | " + r.columns(func(t *timings) string { return ratio(median(t.cold), median(t.naive)) }) + " |")
	w("| plugin cold / scan limit | " + r.columns(func(t *timings) string { return ratio(median(t.cold), median(t.scan)) }) + " |")
	w("| plugin warm / scan limit | " + r.columns(func(t *timings) string { return ratio(median(t.warm), median(t.scan)) }) + " |")
	w("| plugin cold, per row in range | " + r.columns(func(t *timings) string { return t.perRow() }) + " |")
	for i, name := range readNames {
		w("| plugin read alone: %s | "+r.columns(func(t *timings) string { return ms(median(t.reads[i])) })+" |", name)
	}
	w("| plugin peak Go heap in use | " + r.columns(func(t *timings) string { return mib(t.heap) }) + " |")
	w("| bench process peak RSS during refreshes | " + r.columns(func(t *timings) string { return mib(t.rss) }) + " |")
	w("")
	w("Targets:")
	w("")
	for _, t := range r.ranges {
		cold, best := median(t.cold), median(t.best)
		w("- %d days: full refresh cold %s vs best hand-written SQL for the revenue panel alone %s: %s.", t.days, ms(cold), ms(best), verdict(cold <= best))
		if t.days <= 31 {
			warm := median(t.warm)
			w("- %d days: full refresh warm %s <= %s: %s.", t.days, ms(warm), ms(warmTarget), verdict(warm <= warmTarget))
		}
		if t.days >= 365 {
			w("- %d days: plugin memory (peak Go heap %s, process RSS %s) <= %s: %s.", t.days, mib(t.heap), mib(t.rss),
				mib(memoryTarget), verdict(t.heap <= memoryTarget && t.rss <= memoryTarget))
		}
	}
	w(endMarker)
	return b.String()
}

func (r *report) columns(f func(*timings) string) string {
	cols := make([]string, len(r.ranges))
	for i, t := range r.ranges {
		cols[i] = f(t)
	}
	return strings.Join(cols, " | ")
}

// markdown is the report: the existing document with its figures replaced, or a new one.
func (r *report) markdown(existing string) string {
	figures := r.figures()
	if i, j := strings.Index(existing, beginMarker), strings.Index(existing, endMarker); i >= 0 && j > i {
		return existing[:i] + strings.TrimSuffix(figures, "\n") + existing[j+len(endMarker):]
	}
	return "# Benchmarks\n\n" + figures
}
