package plugin_test

// The reliability and security fault suite (docs/RELIABILITY.md lists the scenarios and their
// measured figures; go test -v -run TestFaults ./pkg/plugin prints them). Each scenario runs against
// a real PostgreSQL, bounds every wait with a generous deadline and asserts no duration tighter
// than that.

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supportops/grafana-support-analytics/pkg/testutil/pgtest"
)

func TestFaults(t *testing.T) {
	srv := pgtest.Start(t)
	demo := srv.NewDatabase(t)
	smallDemo(t, demo)

	// Scenarios that touch only their own data and sessions run side by side.
	t.Run("isolated", func(t *testing.T) {
		scenarios := map[string]func(t *testing.T){
			"bad query among good":  func(t *testing.T) { testBadQueryAmongGood(t, demo) },
			"injection":             func(t *testing.T) { testInjection(t, srv) },
			"schema names":          func(t *testing.T) { testSchemaNames(t, srv) },
			"read-only":             func(t *testing.T) { testReadOnly(t, demo) },
			"timeouts":              func(t *testing.T) { testTimeouts(t, srv) },
			"cancellation":          func(t *testing.T) { testCancellation(t, srv) },
			"store down and back":   testStoreDownAndBack,
			"silent server":         testSilentServer,
			"limits":                func(t *testing.T) { testLimits(t, srv, demo) },
			"tls":                   testTLS,
			"wrong password":        func(t *testing.T) { testWrongPassword(t, demo) },
			"settings with secrets": testSettingsWithSecrets,
		}
		for name, scenario := range scenarios {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				scenario(t)
			})
		}
	})
	// Scenarios that count goroutines, sessions or heap bytes run alone.
	t.Run("100 concurrent queries", func(t *testing.T) { testConcurrentQueries(t, demo) })
	t.Run("100 settings changes", func(t *testing.T) { testSettingsChanges(t, demo) })
	t.Run("memory on the longest range", func(t *testing.T) { testMemoryOnLongestRange(t, srv) })

	// Scenario 9, last: no configured password in anything the plugin said or logged above.
	t.Run("no secret in any output", func(t *testing.T) {
		outputs, secrets := seen.snapshot()
		logged := pluginLog.String()
		require.NotEmpty(t, secrets)
		require.NotEmpty(t, logged, "the plugin's log was captured")
		require.Greater(t, len(outputs), 100, "answers were recorded")
		all := strings.Join(outputs, "\n")
		assert.Contains(t, all, "password authentication failed for user", "the search covers error messages")
		for _, s := range append(secrets, pgtest.LoginPassword) {
			assert.NotContains(t, all, s, "an answer of the plugin shows a password")
			assert.NotContains(t, logged, s, "the plugin logged a password")
		}
		figures.add(t, "%d secrets searched in %d answers (%d KiB) and %d KiB of plugin log: none found", len(secrets)+1, len(outputs), len(all)>>10, len(logged)>>10)
	})

	figures.mu.Lock()
	defer figures.mu.Unlock()
	t.Log("measured figures:\n" + strings.Join(figures.lines, "\n"))
}
