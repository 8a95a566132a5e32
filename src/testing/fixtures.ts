import { DataSourceInstanceSettings, PluginType, ScopedVars, TypedVariableModel } from '@grafana/data';
import { TemplateSrv } from '@grafana/runtime';

import { Catalog, SAOptions } from '../types';

/** A small catalog in the shape the backend serves: two families, dimensions of three sides. */
export const CATALOG: Catalog = {
  metrics: [
    {
      key: 'tickets',
      displayName: 'Tickets',
      description: 'Tickets created in the range.',
      unit: 'short',
      family: 'tickets',
      store: 'helpdesk',
      timeBasis: 'ticket created_at',
      dimensions: ['time', 'agent', 'channel', 'segment', 'handled_by'],
    },
    {
      key: 'attributed_revenue',
      displayName: 'Total sales from support',
      description: 'Sum of the credited orders.',
      unit: 'currency',
      family: 'attribution',
      store: 'both',
      timeBasis: 'attribution dateBasis',
      dimensions: ['time', 'agent', 'channel'],
    },
    {
      key: 'csat',
      displayName: 'CSAT',
      description: 'Share of 4 and 5 scores.',
      unit: 'percent',
      family: 'csat',
      store: 'helpdesk',
      timeBasis: 'survey responded_at',
      dimensions: ['time', 'agent', 'score'],
    },
    {
      key: 'revenue',
      displayName: 'Revenue',
      description: 'Sum of eligible orders.',
      unit: 'currency',
      family: 'orders',
      store: 'orders',
      timeBasis: 'order created_at',
      dimensions: ['time', 'customer_type', 'segment'],
    },
  ],
  dimensions: [
    { key: 'time', displayName: 'Time', side: 'all' },
    { key: 'agent', displayName: 'Agent', filter: 'agents', side: 'ticket' },
    { key: 'channel', displayName: 'Channel', filter: 'channels', side: 'ticket' },
    { key: 'segment', displayName: 'Segment', filter: 'segments', side: 'ticket and order' },
    { key: 'score', displayName: 'CSAT score', filter: 'scores', side: 'csat' },
    { key: 'customer_type', displayName: 'Customer type', filter: 'customer_types', side: 'order' },
    { key: 'handled_by', displayName: 'Handled by', filter: 'handledBy', side: 'ticket' },
  ],
  queryTypes: [
    { key: 'metrics', displayName: 'Metrics', description: 'Numbers from the metric catalog' },
    { key: 'tickets', displayName: 'Tickets', description: 'The tickets behind a number' },
  ],
};

export function instanceSettings(jsonData: SAOptions = {}): DataSourceInstanceSettings<SAOptions> {
  // The deprecated numeric id is left out: nothing here reads it.
  const settings = {
    uid: 'sa',
    type: 'supportops-analytics-datasource',
    name: 'Support Analytics',
    readOnly: false,
    access: 'proxy',
    jsonData,
    meta: {
      id: 'supportops-analytics-datasource',
      name: 'Support Analytics',
      type: PluginType.datasource,
      module: '',
      baseUrl: '',
      info: {
        author: { name: 'SupportOps' },
        description: '',
        links: [],
        logos: { small: '', large: '' },
        screenshots: [],
        updated: '',
        version: '',
      },
    },
  };
  return settings as unknown as DataSourceInstanceSettings<SAOptions>;
}

interface FakeVariable {
  value: string | string[];
  options: string[];
  /** A custom "All" value, as a variable's allValue setting gives. */
  allValue?: string;
}

const REFERENCE = /\$(\w+)|\$\{(\w+)(?::[^}]+)?\}|\[\[(\w+)(?::[^\]]+)?\]\]/g;

/**
 * A TemplateSrv that behaves like Grafana's for what the data source uses: known variables only, scoped
 * variables first, All expanding to every option (or the custom all value, unformatted), format functions
 * receiving the value or the list of values.
 */
export class FakeTemplateSrv implements TemplateSrv {
  constructor(private readonly vars: Record<string, FakeVariable>) {}

  getVariables(): TypedVariableModel[] {
    return Object.entries(this.vars).map(
      ([name, v]) =>
        ({ name, type: 'custom', current: { value: v.value, text: v.value } }) as unknown as TypedVariableModel
    );
  }

  containsTemplate(target?: string): boolean {
    return Array.from((target ?? '').matchAll(REFERENCE)).some((m) => this.vars[m[1] ?? m[2] ?? m[3]]);
  }

  replace(target?: string, scopedVars?: ScopedVars, format?: string | Function): string {
    return (target ?? '').replace(REFERENCE, (match, a, b, c) => {
      const name = a ?? b ?? c;
      const variable = this.vars[name];
      if (!variable) {
        return match;
      }
      let value = scopedVars?.[name]?.value ?? variable.value;
      const isAll = value === '$__all' || (Array.isArray(value) && value.includes('$__all'));
      if (isAll && variable.allValue) {
        return variable.allValue;
      }
      if (isAll) {
        value = variable.options;
      }
      if (typeof format === 'function') {
        return format(value, variable);
      }
      return Array.isArray(value) ? `{${value.join(',')}}` : String(value);
    });
  }

  updateTimeRange(): void {}
}

/**
 * Gives elements a size: @grafana/ui's Combobox renders its options in a virtual list, which renders
 * nothing in jsdom, where every element measures 0 x 0. The numbers only need to be consistent.
 */
export function comboboxTestSetup(size = 120) {
  Object.defineProperty(Element.prototype, 'getBoundingClientRect', {
    configurable: true,
    value: () => ({ width: size, height: size, top: 0, left: 0, bottom: 0, right: 0, x: 0, y: 0 }),
  });
  for (const prop of ['clientWidth', 'clientHeight', 'offsetWidth', 'offsetHeight']) {
    Object.defineProperty(HTMLElement.prototype, prop, { configurable: true, get: () => size });
  }
}
