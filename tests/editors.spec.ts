import { expect, test } from '@grafana/plugin-e2e';

test('the provisioned data source passes Save & test', async ({ gotoDataSourceConfigPage, page }) => {
  const configPage = await gotoDataSourceConfigPage('support-analytics');
  await expect(configPage.saveAndTest()).toBeOK();
  await expect(configPage).toHaveAlert('success');
  await expect(page.getByText(/helpdesk store/i).first()).toBeVisible();
});

test('the query editor builds and runs a query in Explore', async ({ explorePage, page }) => {
  await explorePage.datasource.set('Support Analytics');
  await explorePage.timeRange.set({ from: 'now-30d', to: 'now' });
  const metrics = page.locator('#sa-metrics');
  // Picking a metric runs the query.
  const answer = page.waitForResponse(
    (r) =>
      r.url().includes('/api/ds/query') &&
      (r.request().postDataJSON()?.queries ?? []).some((q: any) => (q.metrics ?? []).includes('tickets'))
  );
  await metrics.click();
  await metrics.fill('tickets');
  await page.getByRole('option').filter({ hasText: /^Tickets/ }).first().click();
  await page.keyboard.press('Escape');
  const body = await (await answer).json();
  const result: any = Object.values(body.results)[0];
  expect(result.error).toBeUndefined();
  const tickets = result.frames[0].data.values;
  expect(tickets.length).toBeGreaterThan(0);
  await expect(page.getByText('No data')).toHaveCount(0);
});
