import { expect, test } from '@grafana/plugin-e2e';
import { DASHBOARDS, expectNoPanelProblems, revealAllPanels, waitForQueriesIdle, watchQueries } from './helpers';

test('a public (externally shared) Support revenue dashboard renders every panel', async ({ page, request }) => {
  const created = await request.post(`/api/dashboards/uid/${DASHBOARDS.supportRevenue}/public-dashboards`, {
    data: { isEnabled: true, share: 'public' },
  });
  let token: string;
  if (created.ok()) {
    token = (await created.json()).accessToken;
  } else {
    // Already shared by an earlier run against the same Grafana.
    const existing = await request.get(`/api/dashboards/uid/${DASHBOARDS.supportRevenue}/public-dashboards`);
    expect(existing.ok(), await created.text()).toBe(true);
    token = (await existing.json()).accessToken;
  }
  const results = watchQueries(page);
  await page.goto(`/public-dashboards/${token}?from=now-30d&to=now`);
  await waitForQueriesIdle(page);
  await revealAllPanels(page);
  await waitForQueriesIdle(page);
  expect(results.length, 'panel queries of the public dashboard').toBeGreaterThan(0);
  await expectNoPanelProblems(page, results);
  // The uninterpolated $agent of a public dashboard is said quietly (an info notice), never as a
  // warning triangle on every panel.
  await expect(page.getByTestId('data-testid Panel status warning')).toHaveCount(0);
  await expect(page.getByText('Total sales from support').first()).toBeVisible();
});

test('every panel of Support revenue embeds alone (d-solo)', async ({ context, request }) => {
  const dashboard = await (await request.get(`/api/dashboards/uid/${DASHBOARDS.supportRevenue}`)).json();
  const panels: Array<{ id: number; title: string }> = dashboard.dashboard.panels;
  expect(panels.length).toBeGreaterThan(0);
  for (const p of panels) {
    const page = await context.newPage();
    const results = watchQueries(page);
    await page.goto(`/d-solo/${DASHBOARDS.supportRevenue}?orgId=1&from=now-30d&to=now&panelId=${p.id}`);
    await waitForQueriesIdle(page);
    expect(results.length, `queries of embedded panel "${p.title}"`).toBeGreaterThan(0);
    await expectNoPanelProblems(page, results);
    await expect(page.getByText(p.title).first(), `embedded panel "${p.title}"`).toBeVisible();
    await page.close();
  }
});
