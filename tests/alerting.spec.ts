import { expect, test } from '@grafana/plugin-e2e';
import type { APIRequestContext } from '@playwright/test';

const RULE = 'sa-csat-below-target';

/** Evaluates the provisioned rule as Grafana's alerting engine does, now. */
async function evaluate(request: APIRequestContext) {
  const rule = await request.get(`/api/v1/provisioning/alert-rules/${RULE}`);
  expect(rule.ok(), await rule.text()).toBe(true);
  const { data, condition } = await rule.json();
  const now = Date.now();
  const answer = await request.post('/api/v1/eval', { data: { data, condition, now: new Date(now).toISOString() } });
  return { status: answer.status(), body: await answer.json() };
}

test('the provisioned CSAT rule evaluates to Normal, and to Error when the store is stopped', async ({ request }) => {
  const control = process.env.E2E_CONTROL_URL;
  expect(control, 'E2E_CONTROL_URL (set by cmd/devenv)').toBeTruthy();

  const normal = await evaluate(request);
  expect(normal.status, JSON.stringify(normal.body)).toBe(200);
  const results = normal.body.results;
  for (const refId of ['A', 'B']) {
    expect(results[refId].status, `query ${refId}: ${results[refId].error}`).toBe(200);
  }
  // E is the condition: 0 = the rule is Normal (CSAT's lower bound over 24 h is fine on the demo data).
  const condition = results.E.frames[0].data.values[0][0];
  expect(condition).toBe(0);

  expect((await request.post(`${control}/store/stop`)).ok()).toBe(true);
  try {
    const down = await evaluate(request);
    const failed = ['A', 'B'].filter((refId) => down.body.results?.[refId]?.error || down.status >= 400);
    expect(failed.length, `a stopped store is an error, not numbers: ${JSON.stringify(down.body).slice(0, 400)}`).toBeGreaterThan(0);
  } finally {
    expect((await request.post(`${control}/store/start`)).ok()).toBe(true);
  }
  // Back to Normal by itself once the store is back.
  await expect.poll(async () => (await evaluate(request)).body.results?.E?.frames?.[0]?.data?.values?.[0]?.[0], { timeout: 60_000 }).toBe(0);
});
