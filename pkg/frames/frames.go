// Package frames turns engine results into Grafana data frames (SPEC 5.8): fields named by metric and
// dimension keys, display names in plain words, units Grafana understands, labels for dimensions.
package frames

import (
	"strings"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/supportops/grafana-support-analytics/pkg/engine"
)

// Unit resolves a catalog unit: money becomes the shop currency's unit (currencyEUR, ...).
func Unit(unit, currency string) string {
	if unit == "currency" {
		return "currency" + currency
	}
	return unit
}

// percentDecimals is the decimals of every percent field, so that two percentages side by side
// (a stat and a table, a value and its change) read alike: 76.0% beside 76.9%, not 76% beside 76.9%.
const percentDecimals = 1

// config is the field config of a value: its display name, unit and, for percentages, decimals.
func config(display, unit string) *data.FieldConfig {
	c := &data.FieldConfig{DisplayNameFromDS: display, Unit: unit}
	if unit == "percent" {
		d := uint16(percentDecimals)
		c.Decimals = &d
	}
	return c
}

// Metrics builds the frame of a metrics result: a wide time series when grouped by time, a numeric
// row without dimensions, a long numeric table with one row per dimension value otherwise.
func Metrics(refID string, r *engine.Result) *data.Frame {
	frame := data.NewFrame(refID)
	frame.RefID = refID
	meta := &data.FrameMeta{ExecutedQueryString: r.Executed}
	switch {
	case r.Times != nil && len(r.Groups) == 0:
		// No series at all (grouped by a dimension that has no value in the range): a frame without
		// fields, which Grafana shows as "No data", where a lone time field would draw an empty graph.
		// Without a second dimension there is always the one series, zero-valued where nothing counted.
		meta.Type, meta.TypeVersion = data.FrameTypeTimeSeriesWide, data.FrameTypeVersion{0, 1}
	case r.Times != nil:
		meta.Type, meta.TypeVersion = data.FrameTypeTimeSeriesWide, data.FrameTypeVersion{0, 1}
		frame.Fields = append(frame.Fields, data.NewField("time", nil, r.Times))
		for _, g := range r.Groups {
			labels := data.Labels{}
			for k, dim := range r.Dims {
				labels[dim] = g.Labels[k]
			}
			frame.Fields = append(frame.Fields, metricFields(r, g, labels)...)
		}
	case len(r.Dims) == 0:
		meta.Type, meta.TypeVersion = data.FrameTypeNumericWide, data.FrameTypeVersion{0, 1}
		frame.Fields = append(frame.Fields, metricFields(r, r.Groups[0], nil)...)
	default:
		meta.Type, meta.TypeVersion = data.FrameTypeNumericLong, data.FrameTypeVersion{0, 1}
		for k, dim := range r.Dims {
			col := make([]string, len(r.Groups))
			for gi, g := range r.Groups {
				col[gi] = g.Labels[k]
			}
			f := data.NewField(dim, nil, col)
			f.Config = &data.FieldConfig{DisplayNameFromDS: dimensionName(dim)}
			frame.Fields = append(frame.Fields, f)
		}
		// One row per group: each metric field takes the single bucket of every group.
		column := func(mi int, prev, change bool) []*float64 {
			out := make([]*float64, len(r.Groups))
			for gi, g := range r.Groups {
				out[gi] = pick(g, mi, 0, prev, change)
			}
			return out
		}
		for mi, m := range r.Metrics {
			frame.Fields = append(frame.Fields, field(m.Key, m.DisplayName, Unit(m.Unit, r.Currency), nil, column(mi, false, false)))
			if r.Compare != "none" {
				frame.Fields = append(frame.Fields,
					field(m.Key+"_previous", m.DisplayName+" (previous)", Unit(m.Unit, r.Currency), nil, column(mi, true, false)),
					field(m.Key+"_change_pct", m.DisplayName+" (change)", "percent", nil, column(mi, false, true)))
			}
		}
	}
	frame.Meta = meta
	addNotices(frame, r.Notices)
	AddInfo(frame, r.Info)
	return frame
}

// metricFields are the value fields of one group (with compare, also _previous and _change_pct).
func metricFields(r *engine.Result, g engine.Group, labels data.Labels) []*data.Field {
	var out []*data.Field
	suffix := ""
	if len(labels) > 0 {
		var parts []string
		for k := range r.Dims {
			parts = append(parts, g.Labels[k])
		}
		suffix = " · " + strings.Join(parts, " · ")
	}
	n := len(g.Values[0])
	for mi, m := range r.Metrics {
		unit := Unit(m.Unit, r.Currency)
		out = append(out, field(m.Key, m.DisplayName+suffix, unit, labels, g.Values[mi]))
		if r.Compare != "none" {
			prev := make([]*float64, n)
			change := make([]*float64, n)
			for bi := 0; bi < n; bi++ {
				prev[bi] = pick(g, mi, bi, true, false)
				change[bi] = pick(g, mi, bi, false, true)
			}
			out = append(out,
				field(m.Key+"_previous", m.DisplayName+" (previous)"+suffix, unit, labels, prev),
				field(m.Key+"_change_pct", m.DisplayName+" (change)"+suffix, "percent", labels, change))
		}
	}
	return out
}

// pick is a value of group g: current, previous, or the change from previous in percent (empty when
// the previous value is empty or zero).
func pick(g engine.Group, mi, bi int, prev, change bool) *float64 {
	cur := g.Values[mi][bi]
	if !prev && !change {
		return cur
	}
	var p *float64
	if g.Previous != nil {
		p = g.Previous[mi][bi]
	}
	if prev {
		return p
	}
	if cur == nil || p == nil || *p == 0 {
		return nil
	}
	v := (*cur - *p) / *p * 100
	return &v
}

func field(name, display, unit string, labels data.Labels, values []*float64) *data.Field {
	f := data.NewField(name, labels, values)
	f.Config = config(display, unit)
	return f
}

func dimensionName(key string) string {
	for _, d := range engine.Dimensions {
		if d.Key == key {
			return d.DisplayName
		}
	}
	return key
}

// Table builds the frame of a table query.
func Table(refID string, t *engine.Table, currency string) *data.Frame {
	frame := data.NewFrame(t.Name)
	frame.RefID = refID
	for _, c := range t.Columns {
		f := data.NewField(c.Key, nil, c.Values)
		f.Config = config(c.DisplayName, Unit(c.Unit, currency))
		frame.Fields = append(frame.Fields, f)
	}
	frame.Meta = &data.FrameMeta{Type: data.FrameTypeTable, TypeVersion: data.FrameTypeVersion{0, 1}, ExecutedQueryString: t.Executed}
	addNotices(frame, t.Notices)
	AddInfo(frame, t.Info)
	return frame
}

// addNotices adds what the user should act on (rows left out, a cut list): warnings, which Grafana
// shows as a warning triangle in the panel header.
func addNotices(frame *data.Frame, notices []string) {
	for _, n := range notices {
		frame.AppendNotices(data.Notice{Severity: data.NoticeSeverityWarning, Text: n})
	}
}

// AddInfo adds what explains the numbers without being a fault (an unset dashboard variable in a
// public dashboard, a partial first bucket): info notices, which Grafana shows as a plain icon
// with the text in its tooltip and in the panel inspector, not as a warning.
func AddInfo(frame *data.Frame, notices []string) {
	for _, n := range notices {
		frame.AppendNotices(data.Notice{Severity: data.NoticeSeverityInfo, Text: n})
	}
}
