package main

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supportops/grafana-support-analytics/pkg/testutil/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func TestSeedCommand(t *testing.T) {
	ctx := context.Background()
	db := pgtest.Start(t).NewDatabase(t)
	args := []string{"-url", db.AdminURL(), "-helpdesk-schema", "support", "-orders-schema", "shop",
		"-customers", "100", "-tickets", "1000", "-orders", "150", "-q"}
	require.NoError(t, run(args))

	var tickets, orders int
	require.NoError(t, db.AdminPool.QueryRow(ctx,
		"SELECT (SELECT count(*) FROM support.tickets), (SELECT count(*) FROM shop.orders)").Scan(&tickets, &orders))
	assert.Equal(t, 1000, tickets)
	assert.Equal(t, 150, orders)

	err := run(args)
	require.Error(t, err, "a second load without -drop is refused")
	assert.Contains(t, err.Error(), "-drop")

	before := time.Now()
	require.NoError(t, run(append(args, "-drop", "-now")))
	var last time.Time
	require.NoError(t, db.AdminPool.QueryRow(ctx, "SELECT max(created_at) FROM support.tickets").Scan(&last))
	assert.True(t, last.Before(time.Now()), "no data in the future")
	assert.True(t, last.After(before.Add(-10*24*time.Hour)), "-now ends the data now, not at the fixed end")
}

func TestSeedCommandRejectsBadFlags(t *testing.T) {
	assert.ErrorContains(t, run([]string{}), "-url is required")
	assert.ErrorContains(t, run([]string{"-url", "postgres://x", "-scale", "huge"}), "unknown scale")
	assert.ErrorContains(t, run([]string{"-url", "postgres://x", "-end", "yesterday"}), "-end")
}
