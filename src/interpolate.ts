import { ScopedVars } from '@grafana/data';
import { TemplateSrv } from '@grafana/runtime';

/** The value Grafana stores for a variable whose selection is "All". */
export const ALL_VALUE = '$__all';

// A string that is one variable reference and nothing else: $var, ${var}, ${var:fmt}, [[var]], [[var:fmt]].
const WHOLE_REFERENCE = /^\s*(?:\$(\w+)|\$\{(\w+)(?:\.[^:}]+)?(?::[^}]+)?\}|\[\[(\w+)(?::[^\]]+)?\]\])\s*$/;

function referencedVariable(text: string): string | undefined {
  const m = WHOLE_REFERENCE.exec(text);
  return m ? (m[1] ?? m[2] ?? m[3]) : undefined;
}

function isAllValue(value: unknown): boolean {
  return value === ALL_VALUE || (Array.isArray(value) && value.includes(ALL_VALUE));
}

function isAllSelected(srv: TemplateSrv, name: string, scopedVars: ScopedVars): boolean {
  const scoped = scopedVars[name];
  if (scoped) {
    return isAllValue(scoped.value);
  }
  const variable = srv.getVariables().find((v) => v.name === name);
  const current = variable && 'current' in variable ? variable.current : undefined;
  return Boolean(current && 'value' in current && isAllValue(current.value));
}

// Formats a variable's value as a JSON array, so values that contain commas or braces survive.
const asJSONList = (value: unknown): string => JSON.stringify(Array.isArray(value) ? value : [value]);

function expand(srv: TemplateSrv, text: string, scopedVars: ScopedVars): string[] {
  if (!referencedVariable(text)) {
    return [srv.replace(text, scopedVars)];
  }
  const replaced = srv.replace(text, scopedVars, asJSONList);
  try {
    const parsed: unknown = JSON.parse(replaced);
    if (Array.isArray(parsed)) {
      return parsed.map((v) => String(v));
    }
  } catch {
    // Not a JSON list: the variable had a custom "All" value or was not replaced; keep the text.
  }
  return [replaced];
}

/**
 * Interpolates a list whose entries may be template variables; a multi-value variable becomes several
 * entries. With allMeansEmpty, a variable set to All empties the whole list (a filter on every value is
 * no filter). Strings Grafana cannot interpolate (unknown variables) are left as they are: the backend
 * reports them.
 */
export function interpolateList(
  srv: TemplateSrv,
  list: string[] | undefined,
  scopedVars: ScopedVars,
  allMeansEmpty: boolean
): string[] | undefined {
  if (!list) {
    return list;
  }
  const out: string[] = [];
  for (const text of list) {
    if (!srv.containsTemplate(text)) {
      out.push(text);
      continue;
    }
    const name = referencedVariable(text);
    if (allMeansEmpty && name && isAllSelected(srv, name, scopedVars)) {
      return [];
    }
    out.push(...expand(srv, text, scopedVars));
  }
  return Array.from(new Set(out));
}

/** Interpolates a single string field. */
export function interpolateString(srv: TemplateSrv, text: string | undefined, scopedVars: ScopedVars) {
  return text && srv.containsTemplate(text) ? srv.replace(text, scopedVars) : text;
}

/**
 * Interpolates a numeric field that a dashboard may hold as a variable ("$limit"). A result that is not a
 * number is left as the text, so the backend names the field in its error.
 */
export function interpolateNumber<T>(srv: TemplateSrv, value: T, scopedVars: ScopedVars): T | number {
  if (typeof value !== 'string') {
    return value;
  }
  const text = srv.replace(value, scopedVars).trim();
  const n = Number(text);
  return text !== '' && Number.isFinite(n) ? n : value;
}
