package engine_test

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/supportops/grafana-support-analytics/pkg/engine"
)

var update = flag.Bool("update", false, "rewrite generated docs")

const (
	refPath  = "../../docs/METRICS.md"
	refStart = "<!-- catalog:start (generated from pkg/engine/catalog.go: go test ./pkg/engine -run TestMetricReference -update) -->\n"
	refEnd   = "<!-- catalog:end -->"
)

// The metric reference in the docs is the catalog itself: this fails when they drift.
func TestMetricReference(t *testing.T) {
	raw, err := os.ReadFile(refPath)
	require.NoError(t, err)
	doc := string(raw)
	start, end := strings.Index(doc, refStart), strings.Index(doc, refEnd)
	require.True(t, start >= 0 && end > start, "docs/METRICS.md lacks the catalog markers")
	want := doc[:start+len(refStart)] + engine.MetricReference() + doc[end:]
	if *update {
		require.NoError(t, os.WriteFile(refPath, []byte(want), 0o644))
		return
	}
	require.Equal(t, want, doc, "docs/METRICS.md is out of date: run go test ./pkg/engine -run TestMetricReference -update")
}
