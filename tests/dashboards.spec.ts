import { test } from '@grafana/plugin-e2e';
import { DASHBOARDS, expectNoPanelProblems, revealAllPanels, waitForQueriesIdle, watchQueries } from './helpers';

// A tall window: Grafana renders every panel at once instead of as they scroll into view.
test.use({ viewport: { width: 1600, height: 3600 } });

// Every shipped dashboard renders with no panel error and no data drawn outside the time range
// (a first bucket stamped before `from` is hidden by Grafana: "Data outside time range").
for (const [name, uid] of Object.entries(DASHBOARDS)) {
  for (const days of [7, 30]) {
    test(`${name} renders over ${days} days with no panel error and nothing outside the range`, async ({ page }) => {
      const results = watchQueries(page);
      await page.goto(`/d/${uid}?from=now-${days}d&to=now`);
      await waitForQueriesIdle(page);
      await revealAllPanels(page);
      await waitForQueriesIdle(page);
      await expectNoPanelProblems(page, results);
    });
  }
}
