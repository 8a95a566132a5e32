import {
  AdHocVariableFilter,
  CoreApp,
  DataQueryRequest,
  DataQueryResponse,
  DataSourceGetTagKeysOptions,
  DataSourceGetTagValuesOptions,
  DataSourceInstanceSettings,
  getDefaultTimeRange,
  LiveChannelScope,
  MetricFindValue,
  ScopedVars,
  StreamingFrameAction,
  TimeRange,
  toDataFrame,
} from '@grafana/data';
import { DataSourceWithBackend, getGrafanaLiveSrv, getTemplateSrv } from '@grafana/runtime';
import { lastValueFrom, map, merge, Observable } from 'rxjs';

import { interpolateList, interpolateNumber, interpolateString } from './interpolate';
import {
  Catalog,
  DEFAULT_QUERY,
  FilterKey,
  QUERY_DEFAULTS,
  SAAdhocFilter,
  SAAttribution,
  SAFilters,
  SAOptions,
  SAQuery,
} from './types';
import { SAVariableSupport } from './variables';

/** Packet key of a live feed's table answer and of its stream, which replaces it. */
const LIVE_KEY_PREFIX = 'live-feed-';

export class DataSource extends DataSourceWithBackend<SAQuery, SAOptions> {
  private catalog?: Promise<Catalog>;
  /** The instance's settings, for the query editor's placeholders (what a query inherits). */
  readonly settings: SAOptions;

  constructor(instanceSettings: DataSourceInstanceSettings<SAOptions>) {
    super(instanceSettings);
    this.settings = instanceSettings.jsonData ?? {};
    this.variables = new SAVariableSupport(this);
  }

  getDefaultQuery(_: CoreApp): Partial<SAQuery> {
    return DEFAULT_QUERY;
  }

  filterQuery(query: SAQuery): boolean {
    if (query.hide) {
      return false;
    }
    const type = query.queryType ?? 'metrics';
    return type !== 'metrics' || (query.metrics?.length ?? 0) > 0;
  }

  /**
   * Interpolates template variables, and copies the dashboard's ad hoc filters (Grafana passes them as
   * filters) into the query as adhocFilters: the backend applies them, ANDed with the query's own
   * filters, and reports in a notice any it cannot apply. Queries run without a browser (alert rules,
   * the API) apply the adhocFilters their JSON carries in the same way.
   */
  applyTemplateVariables(query: SAQuery, scopedVars: ScopedVars, filters?: AdHocVariableFilter[]): SAQuery {
    const srv = getTemplateSrv();
    const out: SAQuery = {
      ...query,
      metrics: interpolateList(srv, query.metrics, scopedVars, false),
      groupBy: interpolateList(srv, query.groupBy, scopedVars, false),
      dimension: interpolateString(srv, query.dimension, scopedVars),
      limit: interpolateNumber(srv, query.limit, scopedVars),
      months: interpolateNumber(srv, query.months, scopedVars),
    };
    if (query.filters) {
      const filters: SAFilters = {};
      for (const [key, list] of Object.entries(query.filters) as Array<[FilterKey, string[] | undefined]>) {
        filters[key] = interpolateList(srv, list, scopedVars, true);
      }
      out.filters = filters;
    }
    if (query.attribution) {
      const { model, anchor, dateBasis } = query.attribution;
      // A dashboard may choose them with a variable (the Synthesis dashboard's $anchor); an uninterpolated
      // one reaches the backend as it is, which then uses the data source's setting and says so.
      out.attribution = {
        ...query.attribution,
        windowHours: interpolateNumber(srv, query.attribution.windowHours, scopedVars),
        model: interpolateString(srv, model, scopedVars) as SAAttribution['model'],
        anchor: interpolateString(srv, anchor, scopedVars) as SAAttribution['anchor'],
        dateBasis: interpolateString(srv, dateBasis, scopedVars) as SAAttribution['dateBasis'],
      };
    }
    const adhoc = (filters ?? []).map(toAdhocFilter);
    if (adhoc.length > 0 && out.queryType !== 'variable') {
      out.adhocFilters = [...(query.adhocFilters ?? []), ...adhoc];
    }
    return out;
  }

  /** Ad hoc filter keys: the dimensions a query can be filtered by, from the catalog. */
  async getTagKeys(_options?: DataSourceGetTagKeysOptions<SAQuery>): Promise<MetricFindValue[]> {
    const catalog = await this.getCatalog();
    return catalog.dimensions.filter((d) => d.filter).map((d) => ({ text: d.displayName, value: d.key }));
  }

  /** Ad hoc filter values: the dimension's values in the dashboard's range, as a variable query lists them. */
  async getTagValues(options: DataSourceGetTagValuesOptions<SAQuery>): Promise<MetricFindValue[]> {
    const values = await this.getDimensionValues(options.key, options.timeRange);
    return values.map((v) => ({ text: v, value: v }));
  }

  /** Sends the dashboard's time zone with every query, so buckets are days of the viewer's report zone. */
  query(request: DataQueryRequest<SAQuery>): Observable<DataQueryResponse> {
    const timezone = reportTimezone(request.timezone);
    const targets = timezone ? request.targets.map((t) => (t.timezone ? t : { ...t, timezone })) : request.targets;
    const live = targets.filter((t) => t.queryType === 'live_feed' && t.stream && !t.hide);
    if (live.length === 0) {
      return super.query({ ...request, targets });
    }
    // Each streamed live feed answers at once (also where Live is unavailable, as in public
    // dashboards); then its stream sends the whole newest-first list again whenever something new
    // came in. Both share one packet key, so the stream's list replaces the table instead of adding
    // a second frame (and the newest events stay on top: Grafana appends streamed rows at the end).
    const others = targets.filter((t) => !live.includes(t));
    const parts: Array<Observable<DataQueryResponse>> = [];
    if (others.length > 0) {
      parts.push(super.query({ ...request, targets: others }));
    }
    for (const t of live) {
      const key = `${LIVE_KEY_PREFIX}${t.refId}`;
      const limit = t.limit ?? QUERY_DEFAULTS.liveFeedLimit;
      parts.push(super.query({ ...request, targets: [t] }).pipe(map((r) => ({ ...r, key }))));
      parts.push(
        getGrafanaLiveSrv()
          .getDataStream({
            key: `${request.requestId}-${t.refId}`,
            addr: { scope: LiveChannelScope.DataSource, stream: this.uid, path: `live_feed/${limit}` },
            buffer: { maxLength: limit, action: StreamingFrameAction.Replace },
          })
          .pipe(map((r) => ({ ...r, key })))
      );
    }
    return merge(...parts);
  }

  /** The metric catalog served by the backend, fetched once per data source instance. */
  getCatalog(): Promise<Catalog> {
    if (!this.catalog) {
      this.catalog = this.getResource<Catalog>('catalog').catch((err: unknown) => {
        this.catalog = undefined; // let the next editor render retry
        throw err;
      });
    }
    return this.catalog;
  }

  /** The distinct values of a dimension in the range, through a `variable` query. */
  async getDimensionValues(dimension: string, range?: TimeRange): Promise<string[]> {
    const request: DataQueryRequest<SAQuery> = {
      requestId: `supportops-analytics-values-${dimension}`,
      app: CoreApp.Unknown,
      interval: '1d',
      intervalMs: 86_400_000,
      range: range ?? getDefaultTimeRange(),
      scopedVars: {},
      targets: [{ refId: 'values', queryType: 'variable', dimension }],
      timezone: '',
      startTime: Date.now(),
    };
    const response = await lastValueFrom(this.query(request));
    const error = response.errors?.[0];
    if (error) {
      throw new Error(error.message ?? `could not load the values of ${dimension}`);
    }
    const field = response.data.length > 0 ? toDataFrame(response.data[0]).fields[0] : undefined;
    return field ? Array.from(field.values, (v) => String(v)) : [];
  }
}

/** The fields of an ad hoc filter the backend reads (Grafana's filter also has origin, keyLabel, ...). */
function toAdhocFilter(f: AdHocVariableFilter): SAAdhocFilter {
  const out: SAAdhocFilter = { key: f.key, operator: f.operator, value: f.value };
  if (f.values && f.values.length > 0) {
    out.values = f.values;
  }
  return out;
}

/** Maps Grafana's dashboard time zone to an IANA name; undefined lets the backend use the data source's. */
export function reportTimezone(tz: string | undefined): string | undefined {
  switch (tz) {
    case undefined:
    case '':
    case 'default':
      return undefined;
    case 'browser':
      return Intl.DateTimeFormat().resolvedOptions().timeZone;
    case 'utc':
    case 'UTC':
      return 'UTC';
    default:
      return tz;
  }
}
