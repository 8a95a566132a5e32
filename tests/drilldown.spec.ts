import { expect, test } from '@grafana/plugin-e2e';
import type { BrowserContext, Response } from '@playwright/test';
import { DASHBOARDS, panelByTitle, waitForQueriesIdle } from './helpers';

/** Every data query answer of the browser context (all its tabs), in order: the query and its first frame. */
function recordFrames(page: BrowserContext) {
  const seen: Array<{ query: any; frame: any; error?: string }> = [];
  page.on('response', async (r: Response) => {
    if (!r.url().includes('/api/ds/query')) {
      return;
    }
    const queries: any[] = r.request().postDataJSON()?.queries ?? [];
    try {
      const body = await r.json();
      for (const q of queries) {
        const result = body.results?.[q.refId];
        seen.push({ query: q, frame: result?.frames?.[0], error: result?.error });
      }
    } catch {
      // an aborted request has no body
    }
  });
  return seen;
}

/** Waits for the newest answer whose query matches, and returns its frame. */
async function latest(seen: ReturnType<typeof recordFrames>, match: (q: any) => boolean) {
  await expect.poll(() => seen.some((s) => match(s.query)), { timeout: 60_000 }).toBe(true);
  const hit = seen.filter((s) => match(s.query)).pop()!;
  expect(hit.error, 'query error').toBeUndefined();
  return hit.frame;
}

/** A frame's column by field name. */
function column(frame: any, name: string): any[] {
  const i = frame.schema.fields.findIndex((f: any) => f.name === name);
  expect(i, `field ${name} in ${frame.schema.fields.map((f: any) => f.name)}`).toBeGreaterThanOrEqual(0);
  return frame.data.values[i];
}

test('a bar of "Sales per agent" drills down to exactly that agent\'s converted tickets', async ({ page, context }) => {
  const seen = recordFrames(context);
  await page.goto(`/d/${DASHBOARDS.supportRevenue}?from=now-30d&to=now`);
  const frame = await latest(seen, (q) => q.queryType === 'metrics' && (q.groupBy ?? []).includes('agent'));
  const agents: string[] = column(frame, 'agent');
  const revenue: number[] = column(frame, 'attributed_revenue');
  // The agent with the most revenue (a long bar, easy to hit), not the (none)/(open) groups.
  let pick = -1;
  agents.forEach((a, i) => {
    if (!a.startsWith('(') && (pick < 0 || revenue[i] > revenue[pick])) {
      pick = i;
    }
  });
  await waitForQueriesIdle(page);

  const chart = panelByTitle(page, 'Sales per agent').locator('canvas').first();
  const box = (await chart.boundingBox())!;
  // uPlot draws one band per agent, top to bottom, above the x axis; bars start just right of the
  // labels. Click down the bars until one pins its tooltip with the drill-down link, aiming at the
  // picked agent's band first.
  const link = page.getByRole('link', { name: 'Converted tickets of this agent' });
  const band = (box.height - 30) / agents.length;
  const x = box.x + box.width * 0.15;
  const guesses = [band * (pick + 0.5), band * (pick + 0.8), band * (pick + 0.2)];
  for (let y = 4; y < box.height - 30; y += 6) {
    guesses.push(y);
  }
  for (const dy of guesses) {
    await page.mouse.move(x, box.y + dy);
    await page.mouse.click(x, box.y + dy);
    if (await link.isVisible({ timeout: 500 }).catch(() => false)) {
      break;
    }
    await page.keyboard.press('Escape');
  }
  await expect(link).toBeVisible();
  // The bar under the pointer, as the tooltip names it (a real agent: (none) and (open) are groups).
  const tooltip = await link.evaluate((el) => {
    let e: HTMLElement = el as HTMLElement;
    while (e.parentElement && !/tooltip/i.test(e.getAttribute('data-testid') ?? '') && e.parentElement !== document.body) {
      e = e.parentElement;
    }
    return (e.getAttribute('data-testid') ?? '') + '\n' + e.innerText;
  });
  const agent = agents.find((a) => tooltipText(tooltip, a))!;
  expect(agent, 'the tooltip names one of the agents').toBeDefined();
  pick = agents.indexOf(agent);

  // The drill-down opens in a new tab (a fresh load of the dashboard, see dashboards_test.go).
  const opened = context.waitForEvent('page');
  await link.click();
  const tab = await opened;
  await expect(tab).toHaveURL(new RegExp(`var-agent=${agent.replace(/[()]/g, '\\$&')}&.*viewPanel=panel-7`));
  const drill = await latest(seen, (q) => q.queryType === 'tickets' && q.filters?.agents?.[0] === agent);
  const rows = column(drill, 'agent');
  expect(rows.length).toBeGreaterThan(0);
  expect(new Set(rows)).toEqual(new Set([agent]));
  const sum = column(drill, 'attributed_revenue').reduce((a: number, b: number) => a + b, 0);
  expect(sum).toBeCloseTo(revenue[pick], 2);

  // What the user sees: the opened table lists exactly those tickets, in its first column, in the
  // frame's order (the agent column itself is off to the right of a wide table).
  const ids: string[] = column(drill, 'id');
  const table = panelByTitle(tab, 'Converted tickets');
  const firstCells = table.locator('[role="row"] [role="gridcell"]:first-child');
  await expect(firstCells.first()).toHaveText(ids[0]);
  const shown = (await firstCells.allInnerTexts()).map((t) => t.trim());
  expect(shown.length).toBeGreaterThan(0);
  expect(shown).toEqual(ids.slice(0, shown.length));
});

/** The tooltip's text names the agent as a whole word (its first line). */
function tooltipText(text: string, agent: string) {
  return text.split('\n').some((line) => line.trim() === agent);
}

test('"Tickets converted" links to as many tickets as it counts', async ({ page, context }) => {
  const seen = recordFrames(context);
  await page.goto(`/d/${DASHBOARDS.supportRevenue}?from=now-30d&to=now`);
  const stat = await latest(seen, (q) => q.queryType === 'metrics' && (q.metrics ?? []).includes('converted_tickets') && !(q.groupBy ?? []).length);
  const count = column(stat, 'converted_tickets')[0];
  expect(count).toBeGreaterThan(0);
  await expect(panelByTitle(page, 'Tickets converted')).toContainText(String(count));
  await waitForQueriesIdle(page);

  await panelByTitle(page, 'Tickets converted').getByText(String(count), { exact: true }).first().click();
  const link = page.getByRole('link', { name: 'Converted tickets' });
  if (await link.isVisible().catch(() => false)) {
    await link.click();
  }
  await expect(page).toHaveURL(/viewPanel=panel-7/);
  const drill = await latest(seen, (q) => q.queryType === 'tickets');
  expect(column(drill, 'id').length).toBe(count);
});
