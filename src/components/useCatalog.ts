import { useEffect, useState } from 'react';

import type { DataSource } from '../datasource';
import { Catalog } from '../types';

/** Loads the data source's metric catalog; error is a message to show when it could not be loaded. */
export function useCatalog(datasource: DataSource): { catalog?: Catalog; error?: string } {
  const [state, setState] = useState<{ catalog?: Catalog; error?: string }>({});
  useEffect(() => {
    let live = true;
    datasource.getCatalog().then(
      (catalog) => live && setState({ catalog }),
      (err: unknown) => live && setState({ error: err instanceof Error ? err.message : describe(err) })
    );
    return () => {
      live = false;
    };
  }, [datasource]);
  return state;
}

function describe(err: unknown): string {
  const data = (err as { data?: { message?: string; error?: string } })?.data;
  return data?.message ?? data?.error ?? 'the backend did not answer';
}
