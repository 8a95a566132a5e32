import { expect, type Page, type Response } from '@playwright/test';

export const DASHBOARDS = {
  synthesis: 'sa-synthesis',
  supportRevenue: 'sa-support-revenue',
  csat: 'sa-csat',
  vipQueue: 'sa-vip-queue',
  ecommerce: 'sa-ecommerce',
} as const;

/** One /api/ds/query answer: its refIds with their error, if any, and frame count. */
export interface QueryResult {
  url: string;
  status: number;
  errors: string[];
  /** Time values of the answer's frames that lie outside the request's [from, to). */
  outside: string[];
}

/**
 * Records every data query the page sends and what came back, so that a test can assert no
 * query failed (an error is also what puts a red triangle on a panel).
 */
export function watchQueries(page: Page): QueryResult[] {
  const results: QueryResult[] = [];
  page.on('response', async (response: Response) => {
    const url = response.url();
    if (!url.includes('/api/ds/query') && !url.includes('/public/dashboards/')) {
      return;
    }
    const result: QueryResult = { url, status: response.status(), errors: [], outside: [] };
    try {
      const request = response.request().postDataJSON() ?? {};
      const from = Number(request.from);
      const to = Number(request.to);
      const body = await response.json();
      for (const [refId, r] of Object.entries<any>(body?.results ?? {})) {
        if (r?.error) {
          result.errors.push(`${refId}: ${r.error}`);
        }
        if (!Number.isFinite(from) || !Number.isFinite(to)) {
          continue;
        }
        for (const frame of r?.frames ?? []) {
          const fields: any[] = frame?.schema?.fields ?? [];
          fields.forEach((f, i) => {
            if (f.type !== 'time' || f.name !== 'time') {
              return;
            }
            for (const v of frame?.data?.values?.[i] ?? []) {
              if (v !== null && (v < from || v >= to)) {
                result.outside.push(`${refId} ${frame.schema.name ?? ''}: ${new Date(v).toISOString()}`);
              }
            }
          });
        }
      }
    } catch {
      // not JSON (aborted, or the body is gone): the status says enough
    }
    results.push(result);
  });
  return results;
}

/** Scrolls through the whole dashboard so that every lazy panel runs its queries. */
export async function revealAllPanels(page: Page) {
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  for (let y = 0; y < height; y += 600) {
    await page.mouse.wheel(0, 600);
    await page.waitForTimeout(150);
  }
  await page.mouse.wheel(0, -height);
}

/**
 * Waits until data queries have started (the page may still be loading Grafana) and then none is
 * in flight for a moment.
 */
export async function waitForQueriesIdle(page: Page, quietMs = 1500, timeoutMs = 60_000) {
  let inflight = 0;
  let seen = false;
  let last = Date.now();
  const onRequest = (r: any) => {
    if (r.url().includes('/api/ds/query') || r.url().includes('/public/dashboards/')) {
      inflight++;
      seen = true;
      last = Date.now();
    }
  };
  const onDone = (r: any) => {
    if (r.url().includes('/api/ds/query') || r.url().includes('/public/dashboards/')) {
      inflight = Math.max(0, inflight - 1);
      last = Date.now();
    }
  };
  page.on('request', onRequest);
  page.on('requestfinished', onDone);
  page.on('requestfailed', onDone);
  const deadline = Date.now() + timeoutMs;
  try {
    while (Date.now() < deadline) {
      // Queries already answered before this call count as started once the page is quiet for 5 s.
      const started = seen || Date.now() - last > 5000;
      if (started && inflight === 0 && Date.now() - last > quietMs) {
        return;
      }
      await page.waitForTimeout(200);
    }
    throw new Error('data queries still running after ' + timeoutMs + ' ms');
  } finally {
    page.off('request', onRequest);
    page.off('requestfinished', onDone);
    page.off('requestfailed', onDone);
  }
}

/** Asserts that no panel of the page shows an error or hides its data outside the range. */
export async function expectNoPanelProblems(page: Page, results: QueryResult[]) {
  const failed = results.filter((r) => (r.status >= 400 || r.errors.length > 0) && !isPublicVariableQuery(r.url));
  expect(failed, 'data queries that failed').toEqual([]);
  const outside = results.flatMap((r) => r.outside);
  expect(outside, 'time buckets stamped outside the panel time range').toEqual([]);
  await expect(page.getByTestId('data-testid Panel status error')).toHaveCount(0);
  await expect(page.getByText('Data outside time range')).toHaveCount(0);
}

/**
 * Grafana 12.4 sends a public dashboard's template-variable queries to the public query API with
 * no panel (`/panels/undefined/query`) and answers them 400 invalidPanelId itself: public
 * dashboards do not support template variables, their panels run with the saved values. Nothing
 * of it reaches the viewer (a public dashboard shows no variable controls); see README.
 */
function isPublicVariableQuery(url: string) {
  return /\/api\/public\/dashboards\/[^/]+\/panels\/undefined\/query$/.test(url);
}

/** The text content of the cells of a table panel, row by row. */
export async function tableRows(page: Page, panelTitle: string): Promise<string[][]> {
  const panel = panelByTitle(page, panelTitle);
  const rows = panel.locator('[role="row"]');
  const out: string[][] = [];
  for (const row of await rows.all()) {
    const cells = await row.locator('[role="gridcell"]').allInnerTexts();
    if (cells.length > 0) {
      out.push(cells.map((c) => c.trim()));
    }
  }
  return out;
}

export function panelByTitle(page: Page, title: string) {
  return page.locator(`[data-viz-panel-key]`).filter({
    has: page.getByTestId(`data-testid Panel header ${title}`),
  });
}
