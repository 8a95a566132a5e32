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

// Targets of issue 11 at benchmark scale.
const (
	coldRatioTarget = 0.5 // plugin cold / peer dashboard
	coldYearTarget  = 8 * time.Second
	warmTarget30    = 100 * time.Millisecond
	warmTarget365   = 400 * time.Millisecond
	autoTarget      = 100 * time.Millisecond
	rssTarget       = 250 << 20
)

type report struct {
	cfg                   config
	args                  string
	dataset               []tableSize
	machine               machine
	postgres              string
	end                   time.Time // of the data
	started               time.Time
	loadBefore, loadAfter string
	load                  time.Duration // store load time, when this run loaded it
	scale                 string
	ranges                []*rangeTimings
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

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}

// perRow is the plugin's cold refresh time, all five dashboards, per row in range.
func (t *rangeTimings) perRow() time.Duration {
	if t.rows == 0 {
		return 0
	}
	return t.coldTotal() / time.Duration(t.rows)
}

func ns(d time.Duration) string { return fmt.Sprintf("%.2f µs", float64(d.Nanoseconds())/1000) }

// figures is the generated part of the report.
func (r *report) figures() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w(beginMarker)
	w("Run of %s, `go run ./cmd/bench%s` (%d rounds, medians; %d warm refreshes per round).", r.started.UTC().Format("2006-01-02 15:04 MST"),
		r.args, r.cfg.runs, warmRepeats)
	w("")
	w("Machine: %d CPUs (%s), %s memory; %s; %s. Load average (1, 5, 15 min) %s at the start, %s at the end.",
		r.machine.cpus, r.machine.model, r.machine.memory, r.postgres, runtime.Version(), r.loadBefore, r.loadAfter)
	w("")
	load := "reused from an earlier run"
	if r.load > 0 {
		load = "generated, loaded, indexed and vacuumed by this run in " + ms(r.load)
	}
	w("Store (pkg/demo, scale `%s`, 395 days ending %s; %s):", r.scale, r.end.Format(time.DateOnly), load)
	w("")
	w("| relation | rows | size |")
	w("|---|---:|---:|")
	for _, t := range r.dataset {
		w("| %s | %d | %s |", t.name, t.rows, mib(uint64(t.bytes)))
	}
	w("")
	for _, t := range r.ranges {
		if t.checked > 0 {
			w("Before timing %d days, the peer SQL of %d panels was checked equal to the plugin's answers on this store.", t.days, t.checked)
		}
	}
	w("")
	for _, t := range r.ranges {
		w("**%d days** (%d tickets and orders in range; scan limit, one scan of them: %s):", t.days, t.rows, ms(median(t.scan)))
		w("")
		w("| dashboard | panels | peer: hand SQL, all panels at once | plugin, cold | cold / peer | plugin, warm | auto-refresh (+1 min) |")
		w("|---|---:|---:|---:|---:|---:|---:|")
		var peerSum, coldSum time.Duration
		for _, d := range t.dashes {
			w("| %s | %d | %s | %s | %s | %s | %s |", d.name, d.panels, ms(median(d.peer)), ms(median(d.cold)),
				ratio(median(d.cold), median(d.peer)), ms(median(d.warm)), ms(median(d.auto)))
			peerSum += median(d.peer)
			coldSum += median(d.cold)
		}
		w("| all five, one after another | %d | %s | %s | %s | | |", len(r.panelsOf(t)), ms(peerSum), ms(coldSum), ratio(coldSum, peerSum))
		w("")
		w("Plugin peak Go heap %s, bench process peak RSS %s (sampled every 2 ms during the plugin's refreshes); cold time per row in range %s.",
			mib(t.heap), mib(t.rss), ns(t.perRow()))
		w("")
	}
	w("Targets of issue 11:")
	w("")
	for _, t := range r.ranges {
		for _, d := range t.dashes {
			c, p := median(d.cold), median(d.peer)
			w("- %d days, %s, cold %s vs peer %s (%s) <= %.1fx: %s.", t.days, d.name, ms(c), ms(p), ratio(c, p), coldRatioTarget,
				verdict(p > 0 && float64(c) <= coldRatioTarget*float64(p)))
		}
		if t.days >= 365 {
			worst := maxOf(t.dashes, func(d *dashTimings) time.Duration { return median(d.cold) })
			w("- %d days, slowest dashboard cold %s <= %s: %s.", t.days, ms(worst), ms(coldYearTarget), verdict(worst <= coldYearTarget))
			w("- %d days, plugin peak RSS %s <= %s: %s.", t.days, mib(t.rss), mib(rssTarget), verdict(t.rss <= rssTarget))
		}
		warm := maxOf(t.dashes, func(d *dashTimings) time.Duration { return median(d.warm) })
		target := warmTarget30
		if t.days >= 365 {
			target = warmTarget365
		}
		w("- %d days, slowest dashboard warm %s <= %s: %s.", t.days, ms(warm), ms(target), verdict(warm <= target))
		if t.days <= 31 {
			auto := maxOf(t.dashes, func(d *dashTimings) time.Duration { return median(d.auto) })
			w("- %d days, slowest dashboard auto-refresh %s <= %s: %s.", t.days, ms(auto), ms(autoTarget), verdict(auto <= autoTarget))
		}
	}
	if n := len(r.ranges); n >= 2 {
		a, z := r.ranges[0], r.ranges[n-1]
		w("- Time per row in range, %d days %s vs %d days %s: %s.", z.days, ns(z.perRow()), a.days, ns(a.perRow()), verdict(z.perRow() <= a.perRow()))
	}
	for _, t := range r.ranges {
		if len(t.panels) == 0 {
			continue
		}
		w("")
		w("Each panel alone at %d days (median of %d): the plugin on a fresh instance (cold), and its peer query alone.", t.days, len(t.panels[0].plugin))
		w("")
		w("| dashboard | panel | plugin, cold | peer | plugin / peer |")
		w("|---|---|---:|---:|---:|")
		for _, p := range t.panels {
			w("| %s | %s | %s | %s | %s |", p.panel.name(), p.panel.panel, ms(median(p.plugin)), ms(median(p.peer)),
				ratio(median(p.plugin), median(p.peer)))
		}
	}
	w(endMarker)
	return b.String()
}

func (r *report) panelsOf(t *rangeTimings) []int {
	var out []int
	for _, d := range t.dashes {
		for range d.panels {
			out = append(out, 0)
		}
	}
	return out
}

// markdown is the report: the existing document with its figures replaced, or a new one.
func (r *report) markdown(existing string) string {
	figures := r.figures()
	if i, j := strings.Index(existing, beginMarker), strings.Index(existing, endMarker); i >= 0 && j > i {
		return existing[:i] + strings.TrimSuffix(figures, "\n") + existing[j+len(endMarker):]
	}
	return "# Benchmarks\n\n" + figures
}
