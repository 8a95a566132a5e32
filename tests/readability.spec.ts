import { expect, test } from '@grafana/plugin-e2e';
import { DASHBOARDS, panelByTitle, waitForQueriesIdle } from './helpers';

// Retention months a cohort has not reached yet are null: their cells are empty and uncolored,
// while a real 0% is colored like any value.
test('retention cells of months not reached yet are empty and uncolored', async ({ page }) => {
  await page.goto(`/d/${DASHBOARDS.ecommerce}?from=now-30d&to=now&viewPanel=panel-12`);
  await waitForQueriesIdle(page);
  const panel = panelByTitle(page, 'Retention cohorts');
  await expect(panel.locator('[role="gridcell"]').first()).toBeVisible();
  const cells = await panel.locator('[role="gridcell"]').evaluateAll((els) =>
    els.map((e) => {
      const style = getComputedStyle(e as HTMLElement);
      return { text: (e as HTMLElement).innerText.trim(), paint: `${style.backgroundColor} ${style.backgroundImage}` };
    })
  );
  // An opaque color is rgb(...) or rgba(...) with an alpha above 0.
  const opaque = (paint: string) =>
    (paint.match(/rgba?\([^)]*\)/g) ?? []).some((c) => !/^rgba\(.*,\s*0\)$/.test(c) && !/^rgb\(24, 27, 31\)$/.test(c));
  const percent = cells.filter((c) => c.text.endsWith('%'));
  const empty = cells.filter((c) => c.text === '');
  // The newest cohort has months to come, and every cohort has at least its first month.
  expect(percent.length, 'retention cells with a value').toBeGreaterThan(0);
  expect(empty.length, 'retention cells of months not reached yet').toBeGreaterThan(0);
  expect(percent.filter((c) => !opaque(c.paint)), 'value cells without a color').toEqual([]);
  expect(empty.filter((c) => opaque(c.paint)), 'empty cells painted').toEqual([]);
});
