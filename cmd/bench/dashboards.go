package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// refreshed are the dashboards whose refresh is measured: the five shipped ones, every panel query.
var refreshed = []string{"support-revenue.json", "synthesis.json", "ecommerce.json", "csat.json", "vip-queue.json"}

// panelQuery is one panel's query as the dashboard stores it.
type panelQuery struct {
	dashboard, panel string
	raw              json.RawMessage
	years            int // the panel's own range (timeFrom now-Ny): the last N years to the range end
}

// name is the dashboard's name without .json, as the peer directory spells it.
func (p panelQuery) name() string { return strings.TrimSuffix(p.dashboard, ".json") }

// span is the range the panel queries when the dashboard shows [from, to).
func (p panelQuery) span(from, to time.Time) (time.Time, time.Time) {
	if p.years > 0 {
		return to.AddDate(-p.years, 0, 0), to
	}
	return from, to
}

var ownRange = regexp.MustCompile(`^now-(\d+)y$`)

type dashboardFile struct {
	Panels []dashboardPanel `json:"panels"`
}

type dashboardPanel struct {
	Type     string            `json:"type"`
	Title    string            `json:"title"`
	TimeFrom string            `json:"timeFrom"`
	Targets  []json.RawMessage `json:"targets"`
	Panels   []dashboardPanel  `json:"panels"` // a collapsed row's
}

// loadPanelQueries reads every panel query of the refreshed dashboards, with each template
// variable set to All, which the frontend sends as an empty filter list.
func loadPanelQueries(dir string) ([]panelQuery, error) {
	var out []panelQuery
	for _, name := range refreshed {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		var d dashboardFile
		if err := json.Unmarshal(b, &d); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		var walk func([]dashboardPanel) error
		walk = func(ps []dashboardPanel) error {
			for _, p := range ps {
				if err := walk(p.Panels); err != nil {
					return err
				}
				years := 0
				if p.TimeFrom != "" {
					m := ownRange.FindStringSubmatch(p.TimeFrom)
					if m == nil {
						return fmt.Errorf("%s: panel %q has its own time range %q, which the bench does not model", name, p.Title, p.TimeFrom)
					}
					years, _ = strconv.Atoi(m[1])
				}
				for _, t := range p.Targets {
					q, err := allSelected(t)
					if err != nil {
						return fmt.Errorf("%s: panel %q: %w", name, p.Title, err)
					}
					out = append(out, panelQuery{dashboard: name, panel: p.Title, raw: q, years: years})
				}
			}
			return nil
		}
		if err := walk(d.Panels); err != nil {
			return nil, err
		}
	}
	return out, nil
}

var variableRef = regexp.MustCompile(`^(\$\w+|\$\{[^}]*\}|\[\[[^\]]*\]\])$`)

// allSelected empties every filter list that holds a template variable (All selected), and drops the
// attribution options that do.
func allSelected(raw json.RawMessage) (json.RawMessage, error) {
	var q map[string]any
	if err := json.Unmarshal(raw, &q); err != nil {
		return nil, err
	}
	// An attribution option chosen by a variable (the Synthesis dashboard's $anchor) takes the data
	// source's setting, which the dashboard's default value is.
	attribution, _ := q["attribution"].(map[string]any)
	for key, v := range attribution {
		if s, ok := v.(string); ok && variableRef.MatchString(s) {
			delete(attribution, key)
		}
	}
	filters, _ := q["filters"].(map[string]any)
	for key, list := range filters {
		values, _ := list.([]any)
		for _, v := range values {
			if s, ok := v.(string); ok && variableRef.MatchString(s) {
				filters[key] = []any{}
			}
		}
	}
	return json.Marshal(q)
}

// dataQuery is the query as Grafana's query service hands it to the plugin.
func (p panelQuery) dataQuery(from, to time.Time) (backend.DataQuery, error) {
	from, to = p.span(from, to)
	var head struct {
		RefID     string `json:"refId"`
		QueryType string `json:"queryType"`
	}
	if err := json.Unmarshal(p.raw, &head); err != nil {
		return backend.DataQuery{}, err
	}
	return backend.DataQuery{RefID: head.RefID, QueryType: head.QueryType, JSON: p.raw, MaxDataPoints: 1000,
		Interval: to.Sub(from) / 1000, TimeRange: backend.TimeRange{From: from, To: to}}, nil
}
