import { CustomVariableSupport, DataQueryRequest, DataQueryResponse } from '@grafana/data';
import { Observable } from 'rxjs';

import { VariableQueryEditor } from './components/VariableQueryEditor';
import type { DataSource } from './datasource';
import { SAQuery } from './types';

/** Template variables list the values of one dimension: `{queryType: 'variable', dimension}`. */
export class SAVariableSupport extends CustomVariableSupport<DataSource, SAQuery> {
  editor = VariableQueryEditor;

  constructor(private readonly datasource: DataSource) {
    super();
  }

  getDefaultQuery(): Partial<SAQuery> {
    return { queryType: 'variable' };
  }

  query(request: DataQueryRequest<SAQuery>): Observable<DataQueryResponse> {
    const targets = request.targets.map((t) => ({ ...t, queryType: 'variable' as const }));
    return this.datasource.query({ ...request, targets });
  }
}
