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
  // Search by the metric's key finds it by its display name; picking it runs the query once.
  const answer = page.waitForResponse(
    (r) =>
      r.url().includes('/api/ds/query') &&
      (r.request().postDataJSON()?.queries ?? []).some((q: any) => (q.metrics ?? []).includes('closed_tickets'))
  );
  await metrics.click();
  await metrics.fill('closed_tickets');
  await page.getByRole('option').filter({ hasText: /^Closed conversations/ }).first().click();
  // The typed text is gone after the pick.
  await expect(metrics).toHaveValue('');
  await page.keyboard.press('Escape');
  const body = await (await answer).json();
  const result: any = Object.values(body.results)[0];
  expect(result.error).toBeUndefined();
  const fields: string[] = result.frames[0].schema.fields.map((f: any) => f.name);
  expect(fields).toContain('closed_tickets');
  await expect(page.getByText('No data')).toHaveCount(0);
});
