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

// At 1600 px wide (Grafana's side menu docked), no panel title ends in an ellipsis and the labels
// inside the stats (a value beside its change) are at least 12 px high.
for (const [name, uid] of Object.entries(DASHBOARDS)) {
  test(`${name}: panel titles are whole and stat labels readable at 1600 px`, async ({ page }) => {
    // Tall enough that every panel renders without scrolling (the grid's widths do not change).
    await page.setViewportSize({ width: 1600, height: 3000 });
    await page.goto(`/d/${uid}?from=now-30d&to=now`);
    await waitForQueriesIdle(page);
    const titles = page.locator('[data-testid^="data-testid Panel header "] h2');
    await expect(titles.first()).toBeVisible();
    const cut = await titles.evaluateAll((els) =>
      els.filter((e) => e.scrollWidth > e.clientWidth).map((e) => `${(e as HTMLElement).innerText} (${e.scrollWidth} px in ${e.clientWidth})`)
    );
    expect(cut, 'panel titles cut with an ellipsis').toEqual([]);
    const labels = page.getByText(/^(This period|vs previous)$/);
    await expect(labels.first()).toBeVisible();
    const sizes = await labels.evaluateAll((els) => els.map((e) => parseFloat(getComputedStyle(e).fontSize)));
    expect(sizes.filter((s) => s < 12), 'stat labels under 12 px').toEqual([]);
  });
}
