import { ComboboxOption } from '@grafana/ui';

import { Catalog, CatalogDimension, QueryType } from './types';

const QUERY_TYPE_KEYS: QueryType[] = ['metrics', 'tickets', 'top_products', 'live_feed', 'retention', 'variable'];

function words(key: string): string {
  const text = key.replace(/_/g, ' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const ABBREVIATIONS: Record<string, string> = { csat: 'CSAT', sla: 'SLA' };

/** Group label of a metric family ("csat" -> "CSAT", "orders" -> "Orders"). */
export function familyLabel(family: string): string {
  return ABBREVIATIONS[family] ?? words(family);
}

/** Query type options: the catalog's names and descriptions, or the bare keys until it has loaded. */
export function queryTypeOptions(catalog?: Catalog): Array<ComboboxOption<QueryType>> {
  const known = new Map((catalog?.queryTypes ?? []).map((t) => [t.key, t]));
  return QUERY_TYPE_KEYS.map((key) => ({
    value: key,
    label: known.get(key)?.displayName ?? words(key),
    description: known.get(key)?.description,
  }));
}

/** Metric options grouped by family, in the catalog's order of families. */
export function metricOptions(catalog?: Catalog): Array<ComboboxOption<string>> {
  const metrics = catalog?.metrics ?? [];
  const families = Array.from(new Set(metrics.map((m) => m.family)));
  return families.flatMap((family) =>
    metrics
      .filter((m) => m.family === family)
      .map((m) => ({ value: m.key, label: m.displayName, description: m.description, group: familyLabel(family) }))
  );
}

/**
 * Whether every word typed appears in one of texts, ignoring case: "revenue" finds attributed_revenue
 * ("Total sales from support") by its key, "credited" by its description.
 */
export function matchesSearch(input: string, ...texts: Array<string | undefined>): boolean {
  const haystack = texts
    .filter((t) => t !== undefined)
    .join('\n')
    .toLowerCase();
  return input
    .toLowerCase()
    .split(/\s+/)
    .filter((w) => w !== '')
    .every((w) => haystack.includes(w));
}

/** The options whose key, label or description match what is typed (see matchesSearch). */
export function searchOptions<T extends string>(options: Array<ComboboxOption<T>>, input: string) {
  return options.filter((o) => matchesSearch(input, o.value, o.label, o.description));
}

/** The label of a metric or dimension key, for the chosen values' pills; the key itself when unknown. */
export function labelOf(options: Array<ComboboxOption<string>>, key: string): string {
  return options.find((o) => o.value === key)?.label ?? key;
}

/**
 * The dimensions every chosen metric supports (all of them when none is chosen). Entries that are not
 * catalog metrics (template variables) do not narrow the list: the backend checks them once interpolated.
 */
export function supportedDimensions(catalog: Catalog | undefined, metrics: string[] | undefined): CatalogDimension[] {
  if (!catalog) {
    return [];
  }
  const chosen = (metrics ?? []).flatMap((key) => catalog.metrics.filter((m) => m.key === key));
  return catalog.dimensions.filter((d) => chosen.every((m) => m.dimensions.includes(d.key)));
}

/** Dimensions a `tickets` drill-down can be filtered by: those of tickets and their CSAT responses. */
export function ticketDimensions(catalog?: Catalog): CatalogDimension[] {
  return (catalog?.dimensions ?? []).filter((d) => d.side.includes('ticket') || d.side === 'csat');
}

/** Whether any chosen metric depends on the attribution settings. */
export function usesAttribution(catalog: Catalog | undefined, metrics: string[] | undefined): boolean {
  return (catalog?.metrics ?? []).some((m) => m.family === 'attribution' && (metrics ?? []).includes(m.key));
}

/** Dimensions a template variable can list: every one but time. */
export function dimensionOptions(catalog?: Catalog): Array<ComboboxOption<string>> {
  return (catalog?.dimensions ?? [])
    .filter((d) => d.key !== 'time')
    .map((d) => ({ value: d.key, label: d.displayName, description: d.description }));
}
