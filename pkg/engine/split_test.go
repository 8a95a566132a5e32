package engine

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// splitAmount: parts in whole cents (1/10000 units for sub-cent amounts) that sum exactly to the amount,
// the leftover units to the first parts.
func TestSplitAmount(t *testing.T) {
	for _, c := range []struct {
		amount int64
		n      int
		want   []int64
	}{
		{1_000_000, 3, []int64{333_400, 333_300, 333_300}}, // 100.00 / 3
		{500, 2, []int64{300, 200}},                        // 0.05 / 2
		{100, 3, []int64{100, 0, 0}},                       // 0.01 / 3
		{108_695, 2, []int64{54_348, 54_347}},              // 10.8695 / 2, in 1/10000
		{-500, 3, []int64{-100, -200, -200}},               // -0.05 / 3: floor, parts still sum
		{0, 4, []int64{0, 0, 0, 0}},
		{700, 1, []int64{700}},
	} {
		got := splitAmount(c.amount, c.n)
		require.Equal(t, c.want, got, "%d / %d", c.amount, c.n)
		sum := int64(0)
		for _, p := range got {
			sum += p
		}
		require.Equal(t, c.amount, sum)
	}
}
