import type { PluginOptions } from '@grafana/plugin-e2e';
import { defineConfig, devices } from '@playwright/test';
import { dirname } from 'node:path';

// Browser tests against a real Grafana with the built plugin, the repository's provisioning and
// the demo data. Nothing here starts Grafana: `go tool mage -v e2e` (cmd/devenv) starts one, sets
// GRAFANA_URL, E2E_DATABASE_URL and E2E_CONTROL_URL, runs these tests and stops it all.
const grafanaURL = process.env.GRAFANA_URL;
if (!grafanaURL) {
  throw new Error(
    'GRAFANA_URL is not set: run the browser tests with `go tool mage -v e2e`, which starts Grafana ' +
      'and PostgreSQL for them (or set GRAFANA_URL and E2E_DATABASE_URL yourself)'
  );
}

// Debian's Chromium (browsers cannot be downloaded here); E2E_CHROMIUM overrides the path.
const chromium = process.env.E2E_CHROMIUM ?? '/usr/bin/chromium';
const pluginE2eAuth = `${dirname(require.resolve('@grafana/plugin-e2e'))}/auth`;

export default defineConfig<PluginOptions>({
  testDir: './tests',
  // One Grafana, one store, tests that change data (live feed, store stopped): one at a time.
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 120_000,
  expect: { timeout: 20_000 },
  reporter: [['list']],
  use: {
    baseURL: grafanaURL,
    viewport: { width: 1600, height: 1000 },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: chromium,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  projects: [
    { name: 'auth', testDir: pluginE2eAuth, testMatch: [/.*\.js/] },
    {
      name: 'run-tests',
      use: { ...devices['Desktop Chrome'], viewport: { width: 1600, height: 1000 }, storageState: 'playwright/.auth/admin.json' },
      dependencies: ['auth'],
    },
  ],
});
