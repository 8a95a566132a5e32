import React, { useCallback, useRef } from 'react';
import { TimeRange } from '@grafana/data';
import { getTemplateSrv } from '@grafana/runtime';
import { ComboboxOption, InlineField } from '@grafana/ui';

import { CatalogDimension, FilterKey, SAFilters } from '../types';
import { MultiPicker } from './MultiPicker';

interface Props {
  /** The dimensions offered as filters (each must have a filter key). */
  dimensions: CatalogDimension[];
  filters?: SAFilters;
  onChange: (filters: SAFilters) => void;
  loadValues: (dimension: string, range?: TimeRange) => Promise<string[]>;
  range?: TimeRange;
  labelWidth: number;
}

function toOption(value: string): ComboboxOption<string> {
  return { value, label: value };
}

/** One multi-value picker per filter key; values come from the data, `$variables` can be typed or picked. */
export function FiltersEditor({ dimensions, filters, onChange, loadValues, range, labelWidth }: Props) {
  const cache = useRef(new Map<string, Promise<string[]>>());

  const options = useCallback(
    async (dimension: string, input: string): Promise<Array<ComboboxOption<string>>> => {
      // The picker asks on every key stroke: load the values once per dimension and time range.
      const key = `${dimension}|${range?.from.valueOf()}|${range?.to.valueOf()}`;
      let values = cache.current.get(key);
      if (!values) {
        values = loadValues(dimension, range);
        cache.current.set(key, values);
        values.catch(() => cache.current.delete(key));
      }
      const variables = getTemplateSrv()
        .getVariables()
        .map((v) => `$${v.name}`);
      const needle = input.toLowerCase();
      const data = (await values).map(toOption);
      const vars = variables.map((v) => ({ value: v, label: v, group: 'Template variables' }));
      return [...data, ...vars].filter((o) => o.value.toLowerCase().includes(needle));
    },
    [loadValues, range]
  );

  return (
    <>
      {dimensions
        .filter((d) => d.filter)
        .map((d) => {
          const key = d.filter as FilterKey;
          const id = `sa-filter-${key}`;
          return (
            <InlineField key={key} label={d.displayName} labelWidth={labelWidth} htmlFor={id} tooltip={d.description}>
              <MultiPicker
                id={id}
                minWidth={24}
                maxWidth={80}
                placeholder="All"
                isClearable
                allowCustom
                search={(input) => options(d.key, input)}
                labelOf={(v) => v}
                value={filters?.[key] ?? []}
                onChange={(values) => onChange({ ...filters, [key]: values })}
              />
            </InlineField>
          );
        })}
    </>
  );
}
