package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supportops/grafana-support-analytics/pkg/testutil/pgtest"
)

// The Go conversion of order totals gives PostgreSQL's round(total * rate * 10000)::int8 exactly:
// random totals and rates of every scale and sign, halves, and values too wide for an int64 product.
func TestUnitsMatchPostgreSQLRound(t *testing.T) {
	ctx := context.Background()
	db := pgtest.Start(t).NewDatabase(t)
	rng := rand.New(rand.NewPCG(5, 9))
	random := func(maxDigits, maxScale int) string {
		digits := 1 + rng.IntN(maxDigits)
		scale := rng.IntN(min(maxScale, digits) + 1)
		s := ""
		for range digits {
			s += fmt.Sprint(rng.IntN(10))
		}
		s = s[:digits-scale] + "." + s[digits-scale:]
		if rng.IntN(4) == 0 {
			s = "-" + s
		}
		return s
	}
	cases := [][2]string{{"0.00005", "1"}, {"-0.00005", "1"}, {"0.00004999", "1"}, {"12.345", "1.0846"},
		{"99999999.99", "1.2199"}, {"123456789012345.6789", "1"}, {"0.5", "0.0001"}, {"1", "0.00015"}, {"0", "3.5"}}
	for range 3000 {
		cases = append(cases, [2]string{random(14, 6), random(6, 5)})
	}
	for _, c := range cases {
		rows, err := db.AdminPool.Query(ctx, "SELECT round($1::numeric * $2::numeric * 10000)::int8, $1::numeric, $2::numeric",
			binaryResults, c[0], c[1])
		require.NoError(t, err)
		if !rows.Next() {
			require.Error(t, rows.Err()) // out of the int8 range: the SQL fails too
			continue
		}
		raw := rows.RawValues()
		want, a, b := rawInt(raw[0], Null), slices.Clone(raw[1]), slices.Clone(raw[2])
		rows.Close()
		da, ok, err := rawDecimal(a)
		require.NoError(t, err)
		require.True(t, ok)
		db, ok, err := rawDecimal(b)
		require.NoError(t, err)
		require.True(t, ok)
		got, ok := units(da, db)
		require.True(t, ok, "%s * %s", c[0], c[1])
		assert.Equal(t, want, got, "%s * %s", c[0], c[1])
	}
}
