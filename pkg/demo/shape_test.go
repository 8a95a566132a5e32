package demo

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// At benchmark scale buyers are heavy-tailed, as in real shops: most buyers order once, a few
// resellers order thousands of times, and the counts still sum to the requested orders.
func TestBenchScaleBuyersAreHeavyTailed(t *testing.T) {
	if testing.Short() {
		t.Skip("draws 500k customers")
	}
	opt, err := Options{Size: Bench}.withDefaults()
	require.NoError(t, err)
	w := &world{opt: opt}
	counts := orderCounts(w.rng(streamWorld, 0), opt.Customers, opt.Orders, opt.MaxOrders)
	var buyers, once, thousands, sum int
	for _, c := range counts {
		sum += int(c)
		if c > 0 {
			buyers++
		}
		if c == 1 {
			once++
		}
		if c >= 1000 {
			thousands++
		}
	}
	require.Equal(t, opt.Orders, sum)
	assert.Greater(t, float64(once)/float64(buyers), 0.5, "most buyers order once")
	assert.GreaterOrEqual(t, thousands, 50, "resellers with a thousand orders or more")
	assert.LessOrEqual(t, int(slices.Max(counts)), opt.MaxOrders)
	assert.GreaterOrEqual(t, int(slices.Max(counts)), 4000)
	t.Logf("buyers %d, once %.1f%%, >= 1000 orders: %d customers, max %d", buyers, 100*float64(once)/float64(buyers), thousands, slices.Max(counts))
}
