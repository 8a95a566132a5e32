import React from 'react';
import { QueryEditorProps } from '@grafana/data';
import { Alert, Combobox, InlineField, Stack } from '@grafana/ui';

import { dimensionOptions } from '../catalog';
import type { DataSource } from '../datasource';
import { SAOptions, SAQuery } from '../types';
import { useCatalog } from './useCatalog';

type Props = QueryEditorProps<DataSource, SAQuery, SAOptions, SAQuery>;

/** A template variable lists the values of one dimension found in the dashboard's time range. */
export function VariableQueryEditor({ query, onChange, datasource }: Props) {
  const { catalog, error } = useCatalog(datasource);
  // A new variable starts with an empty query (a string in older dashboards).
  const current: SAQuery = typeof query === 'object' && query ? query : { refId: 'variable', queryType: 'variable' };

  return (
    <Stack direction="column" gap={1}>
      {error && (
        <Alert severity="error" title="Could not load the dimensions">
          {error}
        </Alert>
      )}
      <InlineField
        label="Dimension"
        labelWidth={20}
        htmlFor="sa-variable-dimension"
        tooltip="The variable's values are this dimension's distinct values in the time range"
      >
        <Combobox<string>
          id="sa-variable-dimension"
          width={30}
          placeholder="Choose a dimension"
          options={dimensionOptions(catalog)}
          value={current.dimension ?? null}
          onChange={(o) => onChange({ ...current, queryType: 'variable', dimension: o.value })}
        />
      </InlineField>
    </Stack>
  );
}
