import { CoreApp, DataQueryRequest, dateTime, FieldType, toDataFrame } from '@grafana/data';
import { BackendSrv, DataSourceWithBackend, setBackendSrv, TemplateSrv } from '@grafana/runtime';
import { lastValueFrom, of } from 'rxjs';

import { DataSource, reportTimezone } from './datasource';
import { CATALOG, FakeTemplateSrv, instanceSettings } from './testing/fixtures';
import { SAQuery } from './types';

let templateSrv: TemplateSrv;
const getDataStream = jest.fn();

jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getTemplateSrv: () => templateSrv,
  getGrafanaLiveSrv: () => ({ getDataStream }),
}));

const VARIABLES = {
  agent: { value: 'alice', options: ['alice', 'bob'] },
  channels: { value: ['chat', 'email, web'], options: ['chat', 'email, web', 'phone'] },
  project: { value: '$__all', options: ['shop-a', 'shop-b'] },
  tag: { value: ['$__all'], options: ['refund', 'vip'], allValue: '.*' },
  metric: { value: ['csat', 'tickets'], options: ['csat', 'tickets', 'revenue'] },
  dim: { value: 'topic', options: ['topic', 'agent'] },
  limit: { value: '25', options: ['25', '100'] },
  window: { value: '48', options: ['48', '72'] },
  anchor: { value: 'closed', options: ['created', 'closed'] },
};

function query(patch: Partial<SAQuery>): SAQuery {
  return { refId: 'A', queryType: 'metrics', metrics: ['tickets'], ...patch };
}

function request(targets: SAQuery[], timezone: string): DataQueryRequest<SAQuery> {
  const from = dateTime('2025-03-01T00:00:00Z');
  const to = dateTime('2025-03-08T00:00:00Z');
  return {
    requestId: 'r1',
    app: CoreApp.Dashboard,
    interval: '1h',
    intervalMs: 3_600_000,
    range: { from, to, raw: { from, to } },
    scopedVars: {},
    targets,
    timezone,
    startTime: 0,
  };
}

describe('DataSource', () => {
  let ds: DataSource;

  beforeEach(() => {
    templateSrv = new FakeTemplateSrv(VARIABLES);
    ds = new DataSource(instanceSettings({ attributionWindowHours: 48 }));
  });

  afterEach(() => jest.restoreAllMocks());

  describe('applyTemplateVariables', () => {
    it('interpolates a single-value variable in a filter', () => {
      const out = ds.applyTemplateVariables(query({ filters: { agents: ['$agent'] } }), {});
      expect(out.filters?.agents).toEqual(['alice']);
    });

    it('expands a multi-value variable into several entries, keeping values with commas whole', () => {
      const out = ds.applyTemplateVariables(query({ filters: { channels: ['${channels}', 'phone'] } }), {});
      expect(out.filters?.channels).toEqual(['chat', 'email, web', 'phone']);
    });

    it('turns a filter whose variable is All into no filter, with or without a custom all value', () => {
      const out = ds.applyTemplateVariables(
        query({ filters: { projects: ['$project'], tags: ['[[tag]]', 'refund'], agents: ['$agent'] } }),
        {}
      );
      expect(out.filters?.projects).toEqual([]);
      expect(out.filters?.tags).toEqual([]);
      expect(out.filters?.agents).toEqual(['alice']);
    });

    it('uses the scoped value of a repeated panel over the variable', () => {
      const out = ds.applyTemplateVariables(query({ filters: { projects: ['$project'] } }), {
        project: { text: 'shop-b', value: 'shop-b' },
      });
      expect(out.filters?.projects).toEqual(['shop-b']);
    });

    it('leaves values it cannot interpolate as they are, for the backend to report', () => {
      const out = ds.applyTemplateVariables(
        query({ filters: { agents: ['$unknown', '${nope}', '$__all', 'carol'] } }),
        {}
      );
      expect(out.filters?.agents).toEqual(['$unknown', '${nope}', '$__all', 'carol']);
    });

    it('interpolates metrics, groupBy, dimension and numeric fields', () => {
      const raw = {
        ...query({ metrics: ['$metric', 'revenue'], groupBy: ['time', '$dim'], dimension: '$dim' }),
        limit: '$limit',
        attribution: { windowHours: '$window', model: 'first_touch' },
      } as unknown as SAQuery;
      const out = ds.applyTemplateVariables(raw, {});
      expect(out.metrics).toEqual(['csat', 'tickets', 'revenue']);
      expect(out.groupBy).toEqual(['time', 'topic']);
      expect(out.dimension).toBe('topic');
      expect(out.limit).toBe(25);
      expect(out.attribution).toEqual({ windowHours: 48, model: 'first_touch' });
    });

    it('interpolates the attribution anchor, model and date basis', () => {
      const out = ds.applyTemplateVariables(
        query({ attribution: { anchor: '${anchor}' as never, model: 'linear', dateBasis: 'order' } }),
        {}
      );
      expect(out.attribution).toEqual({ anchor: 'closed', model: 'linear', dateBasis: 'order' });
      const unknown = ds.applyTemplateVariables(query({ attribution: { anchor: '$nope' as never } }), {});
      expect(unknown.attribution?.anchor).toBe('$nope');
    });

    it('keeps a numeric field that does not interpolate to a number as text', () => {
      const out = ds.applyTemplateVariables({ ...query({}), limit: '$nolimit' } as unknown as SAQuery, {});
      expect(out.limit).toBe('$nolimit');
    });

    it('leaves a query without variables unchanged', () => {
      const q = query({ groupBy: ['agent'], filters: { channels: ['chat'] }, interval: 'day', compare: 'none' });
      expect(ds.applyTemplateVariables(q, {})).toEqual(q);
    });
  });

  describe('ad hoc filters', () => {
    it('lists the filterable dimensions of the catalog as keys, by name', async () => {
      jest.spyOn(ds, 'getResource').mockResolvedValue(CATALOG);
      await expect(ds.getTagKeys()).resolves.toEqual([
        { text: 'Agent', value: 'agent' },
        { text: 'Channel', value: 'channel' },
        { text: 'Segment', value: 'segment' },
        { text: 'CSAT score', value: 'score' },
        { text: 'Customer type', value: 'customer_type' },
        { text: 'Handled by', value: 'handled_by' },
      ]);
    });

    it("lists a key's values in the dashboard's range through a variable query", async () => {
      const frame = toDataFrame({ fields: [{ name: 'channel', type: FieldType.string, values: ['chat', 'email'] }] });
      const spy = jest.spyOn(DataSourceWithBackend.prototype, 'query').mockReturnValue(of({ data: [frame] }));
      const range = request([], '').range;
      await expect(ds.getTagValues({ key: 'channel', filters: [], timeRange: range })).resolves.toEqual([
        { text: 'chat', value: 'chat' },
        { text: 'email', value: 'email' },
      ]);
      const sent = spy.mock.calls[0][0];
      expect(sent.targets).toEqual([{ refId: 'values', queryType: 'variable', dimension: 'channel' }]);
      expect(sent.range).toBe(range);
    });

    it('copies the dashboard filters into every query, for the backend to apply', () => {
      const out = ds.applyTemplateVariables(query({ filters: { agents: ['$agent'] } }), {}, [
        { key: 'channel', operator: '=', value: 'chat' },
        { key: 'agent', operator: '!=', value: 'bob', keyLabel: 'Agent', origin: 'dashboard' } as never,
        { key: 'tag', operator: '=|', value: 'refund', values: ['refund', 'vip'] },
        { key: 'topic', operator: '=~', value: 'ship.*' },
      ]);
      expect(out.filters?.agents).toEqual(['alice']);
      expect(out.adhocFilters).toEqual([
        { key: 'channel', operator: '=', value: 'chat' },
        { key: 'agent', operator: '!=', value: 'bob' },
        { key: 'tag', operator: '=|', value: 'refund', values: ['refund', 'vip'] },
        // Sent as it is: the backend says in a notice that it does not apply this operator.
        { key: 'topic', operator: '=~', value: 'ship.*' },
      ]);
    });

    it('adds no ad hoc filters without any, nor to variable queries', () => {
      expect(ds.applyTemplateVariables(query({}), {}, [])).not.toHaveProperty('adhocFilters');
      expect(ds.applyTemplateVariables(query({}), {})).not.toHaveProperty('adhocFilters');
      const variable: SAQuery = { refId: 'v', queryType: 'variable', dimension: 'agent' };
      expect(ds.applyTemplateVariables(variable, {}, [{ key: 'channel', operator: '=', value: 'chat' }])).toEqual(
        variable
      );
    });

    it('keeps ad hoc filters a saved query already carries', () => {
      const saved = query({ adhocFilters: [{ key: 'project', operator: '=', value: 'shop-a' }] });
      expect(ds.applyTemplateVariables(saved, {}).adhocFilters).toEqual([
        { key: 'project', operator: '=', value: 'shop-a' },
      ]);
      expect(
        ds.applyTemplateVariables(saved, {}, [{ key: 'channel', operator: '!=', value: 'chat' }]).adhocFilters
      ).toEqual([
        { key: 'project', operator: '=', value: 'shop-a' },
        { key: 'channel', operator: '!=', value: 'chat' },
      ]);
    });

    it('sends the ad hoc filters Grafana passes with a request in the query JSON', async () => {
      const fetch = jest.fn().mockReturnValue(of({ data: { results: { A: { frames: [] } } } }));
      setBackendSrv({ fetch } as unknown as BackendSrv);
      const filters = [{ key: 'agent', operator: '=', value: 'alice' }];
      await lastValueFrom(ds.query({ ...request([query({})], 'utc'), filters }));
      const body = fetch.mock.calls[0][0].data;
      expect(body.queries[0]).toMatchObject({ refId: 'A', metrics: ['tickets'], adhocFilters: filters });
    });
  });

  describe('filterQuery', () => {
    it('skips hidden queries and metrics queries without metrics', () => {
      expect(ds.filterQuery(query({}))).toBe(true);
      expect(ds.filterQuery(query({ hide: true }))).toBe(false);
      expect(ds.filterQuery(query({ metrics: [] }))).toBe(false);
      expect(ds.filterQuery(query({ metrics: undefined }))).toBe(false);
      expect(ds.filterQuery({ refId: 'B', queryType: 'tickets' })).toBe(true);
      expect(ds.filterQuery({ refId: 'C', queryType: 'variable', dimension: 'agent' })).toBe(true);
    });
  });

  describe('query', () => {
    function sentTargets(timezone: string, targets = [query({})]): SAQuery[] {
      const spy = jest.spyOn(DataSourceWithBackend.prototype, 'query').mockReturnValue(of({ data: [] }));
      ds.query(request(targets, timezone));
      return spy.mock.lastCall![0].targets as SAQuery[];
    }

    it('puts the dashboard time zone into every target', () => {
      expect(sentTargets('Europe/Paris', [query({}), query({ refId: 'B' })]).map((t) => t.timezone)).toEqual([
        'Europe/Paris',
        'Europe/Paris',
      ]);
      expect(sentTargets('utc')[0].timezone).toBe('UTC');
      expect(sentTargets('browser')[0].timezone).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
    });

    it('subscribes a streamed live feed to its Grafana Live channel; the stream replaces the table', async () => {
      const table = toDataFrame({ fields: [{ name: 'kind', type: FieldType.string, values: ['order'] }] });
      const pushed = toDataFrame({ fields: [{ name: 'kind', type: FieldType.string, values: ['cart', 'order'] }] });
      const other = toDataFrame({ fields: [{ name: 'tickets', type: FieldType.number, values: [3] }] });
      const spy = jest
        .spyOn(DataSourceWithBackend.prototype, 'query')
        .mockImplementation((r: DataQueryRequest<SAQuery>) =>
          of({ data: [r.targets[0].queryType === 'live_feed' ? table : other] })
        );
      getDataStream.mockReturnValue(of({ data: [pushed] }));
      const feed = query({ refId: 'B', queryType: 'live_feed', metrics: undefined, stream: true, limit: 20 });
      const responses: Array<{ key?: string; frame: unknown }> = [];
      await new Promise<void>((done) =>
        ds
          .query(request([query({}), feed], 'utc'))
          .subscribe({ next: (r) => responses.push({ key: r.key, frame: r.data[0] }), complete: done })
      );
      expect(spy).toHaveBeenCalledTimes(2);
      expect(getDataStream).toHaveBeenCalledWith(
        expect.objectContaining({
          addr: { scope: 'ds', stream: ds.uid, path: 'live_feed/20' },
          buffer: { maxLength: 20, action: 'replace' },
        })
      );
      // Grafana keeps one packet per key: the stream's list takes the table's place, the other
      // query keeps its own (default) key.
      expect(responses).toEqual([
        { key: undefined, frame: other },
        { key: 'live-feed-B', frame: table },
        { key: 'live-feed-B', frame: pushed },
      ]);
    });

    it('does not subscribe a live feed without stream', () => {
      getDataStream.mockClear();
      sentTargets('utc', [query({ queryType: 'live_feed', metrics: undefined })]);
      expect(getDataStream).not.toHaveBeenCalled();
    });

    it('leaves the time zone unset when the dashboard has none, so the data source setting applies', () => {
      expect(sentTargets('')[0].timezone).toBeUndefined();
    });

    it('keeps a time zone the query sets itself', () => {
      expect(sentTargets('Europe/Paris', [query({ timezone: 'America/New_York' })])[0].timezone).toBe(
        'America/New_York'
      );
    });

    it('maps time zone names', () => {
      expect(reportTimezone(undefined)).toBeUndefined();
      expect(reportTimezone('default')).toBeUndefined();
      expect(reportTimezone('UTC')).toBe('UTC');
      expect(reportTimezone('Asia/Tokyo')).toBe('Asia/Tokyo');
    });
  });

  describe('getDimensionValues', () => {
    it('runs a variable query for the dimension and returns the field values', async () => {
      const frame = toDataFrame({ fields: [{ name: 'agent', type: FieldType.string, values: ['alice', 'bob'] }] });
      const spy = jest.spyOn(DataSourceWithBackend.prototype, 'query').mockReturnValue(of({ data: [frame] }));
      const range = request([], '').range;
      await expect(ds.getDimensionValues('agent', range)).resolves.toEqual(['alice', 'bob']);
      const sent = spy.mock.calls[0][0];
      expect(sent.targets).toEqual([{ refId: 'values', queryType: 'variable', dimension: 'agent' }]);
      expect(sent.range).toBe(range);
    });

    it('rejects with the backend error', async () => {
      jest
        .spyOn(DataSourceWithBackend.prototype, 'query')
        .mockReturnValue(of({ data: [], errors: [{ message: 'unknown dimension "nope"' }] }));
      await expect(ds.getDimensionValues('nope')).rejects.toThrow('unknown dimension "nope"');
    });
  });

  describe('getCatalog', () => {
    it('fetches the catalog resource once', async () => {
      const spy = jest.spyOn(ds, 'getResource').mockResolvedValue(CATALOG);
      await expect(ds.getCatalog()).resolves.toBe(CATALOG);
      await ds.getCatalog();
      expect(spy).toHaveBeenCalledTimes(1);
      expect(spy).toHaveBeenCalledWith('catalog');
    });

    it('tries again after a failure', async () => {
      const spy = jest.spyOn(ds, 'getResource').mockRejectedValueOnce(new Error('down')).mockResolvedValue(CATALOG);
      await expect(ds.getCatalog()).rejects.toThrow('down');
      await expect(ds.getCatalog()).resolves.toBe(CATALOG);
      expect(spy).toHaveBeenCalledTimes(2);
    });
  });

  describe('variable support', () => {
    it('runs variable queries through the data source', async () => {
      const spy = jest.spyOn(DataSourceWithBackend.prototype, 'query').mockReturnValue(of({ data: [] }));
      const support = ds.variables as unknown as {
        query: (r: DataQueryRequest<SAQuery>) => ReturnType<DataSource['query']>;
      };
      await lastValueFrom(support.query(request([{ refId: 'v', dimension: 'channel' } as SAQuery], 'utc')));
      expect(spy.mock.calls[0][0].targets).toEqual([
        { refId: 'v', queryType: 'variable', dimension: 'channel', timezone: 'UTC' },
      ]);
    });
  });
});
