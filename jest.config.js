// force timezone to UTC to allow tests to work regardless of local timezone
// generally used by snapshots, but can affect specific tests
process.env.TZ = 'UTC';

const base = require('./.config/jest.config');

module.exports = {
  // Jest configuration provided by Grafana scaffolding
  ...base,
  // Rendering @grafana/ui forms in jsdom is slow on a busy 2-core machine; this is a hang guard, not a timing check.
  testTimeout: 30000,
  transform: {
    ...base.transform,
    // d3-color 3.1.1 (a dependency of @grafana/data) ships only an .mjs ES module, which the scaffold's
    // transform (.js/.ts only) leaves to jest untranslated.
    '^.+\\.mjs$': base.transform['^.+\\.(t|j)sx?$'],
  },
};
