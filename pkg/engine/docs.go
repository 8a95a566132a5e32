package engine

import (
	"fmt"
	"strings"
)

var familyTitles = []struct{ key, title string }{
	{"tickets", "Tickets (helpdesk store)"},
	{"attribution", "Attribution: revenue from support (both stores)"},
	{"csat", "CSAT (helpdesk store)"},
	{"orders", "Orders (order store)"},
}

// MetricReference renders the catalog as the Markdown metric reference of docs/METRICS.md, so the docs
// are generated from the same table as validation and the query editor.
func MetricReference() string {
	var b strings.Builder
	for _, f := range familyTitles {
		fmt.Fprintf(&b, "### %s\n\n| key | display name | unit | time basis | definition | dimensions |\n|---|---|---|---|---|---|\n", f.title)
		for _, m := range Catalog {
			if m.Family != f.key {
				continue
			}
			unit := m.Unit
			if unit == unitMoney {
				unit = "shop currency"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s |\n", m.Key, m.DisplayName, unit, m.TimeBasis,
				m.Description, strings.Join(m.Dimensions, ", "))
		}
		b.WriteString("\n")
	}
	b.WriteString("### Dimensions\n\n| key | filter key | side | meaning |\n|---|---|---|---|\n")
	for _, d := range Dimensions {
		filter := d.Filter
		if filter != "" {
			filter = "`" + filter + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", d.Key, filter, d.Side, d.Description)
	}
	return b.String()
}
