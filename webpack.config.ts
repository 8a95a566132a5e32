/*
 * Extends the create-plugin webpack config (.config/, never edited by hand):
 * - plugin.json lives at the repository root; src/plugin.json is a symlink to it, which the base config copies;
 * - the root dashboards/ folder is copied to dist/dashboards for the dashboards plugin.json includes;
 * - README.md, CHANGELOG.md and LICENSE are copied when they exist instead of failing the build without them.
 */
import CopyWebpackPlugin from 'copy-webpack-plugin';
import type { Configuration } from 'webpack';
import { merge } from 'webpack-merge';

import grafanaConfig, { type Env } from './.config/webpack/webpack.config.ts';
import { copyFilePatterns } from './.config/bundler/copyFiles.ts';

const patterns = [
  ...copyFilePatterns.map((p) => ({ ...p, noErrorOnMissing: true })),
  { from: '../dashboards', to: 'dashboards', noErrorOnMissing: true },
];

const config = async (env: Env): Promise<Configuration> => {
  const base = await grafanaConfig(env);
  const plugins = (base.plugins ?? []).filter((p) => !(p instanceof CopyWebpackPlugin));
  return merge({ ...base, plugins }, { plugins: [new CopyWebpackPlugin({ patterns })] });
};

export default config;
