import { expect, test } from '@grafana/plugin-e2e';
import { DASHBOARDS, panelByTitle } from './helpers';

test('a new order appears as the first row of the live feed within seconds', async ({ page, request }) => {
  const control = process.env.E2E_CONTROL_URL;
  expect(control, 'E2E_CONTROL_URL (set by cmd/devenv)').toBeTruthy();
  // The panel alone (it is below the fold of the dashboard, where Grafana renders it lazily).
  await page.goto(`/d/${DASHBOARDS.ecommerce}?from=now-7d&to=now&viewPanel=panel-13`);
  const feed = panelByTitle(page, 'Live feed');
  const firstRow = feed.locator('[role="row"]').nth(1);
  await expect(firstRow).toBeVisible();
  // Wait for the stream's first list, so that the order below is news to it.
  await page.waitForTimeout(3000);

  const id = `e2e-${Date.now()}`;
  const placed = await request.post(`${control}/orders?id=${id}&total=1234.5`);
  expect(placed.ok(), await placed.text()).toBe(true);

  // The stream polls every 2 s: the order is on top well within 15 s, with its money format.
  await expect(firstRow).toContainText(id, { timeout: 15_000 });
  await expect(firstRow).toContainText(/1,?234\.50/);
  // One frame only: no frame selector under the table.
  await expect(feed.getByRole('combobox')).toHaveCount(0);
  await expect(feed.locator('[role="row"]').filter({ hasText: id })).toHaveCount(1);
});
