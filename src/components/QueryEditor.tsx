import React, { ChangeEvent, useEffect, useRef } from 'react';
import { QueryEditorProps, SelectableValue } from '@grafana/data';
import { getTemplateSrv } from '@grafana/runtime';
import {
  Alert,
  Combobox,
  ComboboxOption,
  InlineField,
  InlineFieldRow,
  InlineSwitch,
  Input,
  RadioButtonGroup,
  Stack,
} from '@grafana/ui';

import {
  dimensionOptions,
  labelOf,
  metricOptions,
  queryTypeOptions,
  searchOptions,
  supportedDimensions,
  ticketDimensions,
  usesAttribution,
} from '../catalog';
import { DataSource } from '../datasource';
import {
  AttributionAnchor,
  AttributionModel,
  Catalog,
  Compare,
  DateBasis,
  FilterKey,
  Interval,
  QUERY_DEFAULTS,
  QueryType,
  SAAttribution,
  SAOptions,
  SAQuery,
  SLAClock,
  SortBy,
  TicketOnly,
  TicketSort,
} from '../types';
import { FiltersEditor } from './FiltersEditor';
import { MultiPicker } from './MultiPicker';
import { useCatalog } from './useCatalog';

type Props = QueryEditorProps<DataSource, SAQuery, SAOptions>;

const LABEL_WIDTH = 20;
const MAX_GROUP_BY = 2;

/**
 * Field widths (in Grafana's 8 px units), wide enough for their longest placeholder: the data source's
 * settings shown as "72 h (data source)", "First touch (data source)" or "Business hours (data source)" must
 * not be cut off.
 */
export const FIELD_WIDTHS = {
  number: 16,
  attributionWindow: 22,
  attributionModel: 28,
  attributionAnchor: 25,
  attributionDateBasis: 20,
  slaClock: 31,
  queryType: 30,
  dimension: 30,
} as const;

const INTERVALS: Array<SelectableValue<Interval>> = [
  {
    label: 'Auto',
    value: 'auto',
    description: 'From the panel: hour below 2 days, day below 92 days, week below 2 years',
  },
  { label: 'Hour', value: 'hour' },
  { label: 'Day', value: 'day' },
  { label: 'Week', value: 'week' },
  { label: 'Month', value: 'month' },
];

const COMPARES: Array<SelectableValue<Compare>> = [
  { label: 'None', value: 'none' },
  { label: 'Previous period', value: 'previous_period', description: 'Same length, just before' },
  { label: 'Previous year', value: 'previous_year' },
];

const SORTS: Array<SelectableValue<SortBy>> = [
  { label: 'Revenue', value: 'revenue' },
  { label: 'Quantity', value: 'quantity' },
];

const TICKET_SORTS: Array<SelectableValue<TicketSort>> = [
  { label: 'Newest', value: 'newest' },
  { label: 'Lowest CSAT', value: 'lowest_csat' },
  { label: 'Attributed revenue', value: 'revenue' },
];

const TICKET_ONLY: Array<SelectableValue<TicketOnly>> = [
  { label: 'All', value: 'all' },
  { label: 'Open', value: 'open' },
  { label: 'Converted', value: 'converted' },
  { label: 'Rated', value: 'rated' },
];

const MODELS = [
  { value: 'last_touch' as const, label: 'Last touch', description: 'The latest matching ticket gets the whole order' },
  {
    value: 'first_touch' as const,
    label: 'First touch',
    description: 'The earliest matching ticket gets the whole order',
  },
  {
    value: 'linear' as const,
    label: 'Linear',
    description: 'Every matching ticket gets an equal share of the order, to the cent',
  },
];

const ANCHORS = [
  { value: 'created' as const, label: 'Created', description: 'The window starts when the ticket is created' },
  {
    value: 'closed' as const,
    label: 'Closed',
    description: 'From creation to the close + window; an open ticket matches orders until now',
  },
];

const SLA_CLOCKS = [
  { value: 'calendar' as const, label: 'Calendar', description: 'SLA targets count every second' },
  {
    value: 'business' as const,
    label: 'Business hours',
    description: "SLA targets count only the team's opening hours",
  },
];

const DATE_BASES = [
  { value: 'ticket' as const, label: 'Ticket', description: 'A credited order counts when its ticket was created' },
  { value: 'order' as const, label: 'Order', description: 'A credited order counts when it was placed' },
];

function parseNumber(text: string): number | undefined {
  const n = Number(text);
  return text.trim() === '' || !Number.isFinite(n) ? undefined : n;
}

interface NumberFieldProps {
  id: string;
  label: string;
  tooltip: string;
  value?: number;
  placeholder: number | string;
  width?: number;
  onChange: (value: number | undefined) => void;
  onCommit: () => void;
}

/** A number input that updates the query as it is typed and runs it when the input is left. */
function NumberField({ id, label, tooltip, value, placeholder, width, onChange, onCommit }: NumberFieldProps) {
  return (
    <InlineField label={label} labelWidth={LABEL_WIDTH} htmlFor={id} tooltip={tooltip}>
      <Input
        id={id}
        type="number"
        min={1}
        width={width ?? FIELD_WIDTHS.number}
        value={value ?? ''}
        placeholder={String(placeholder)}
        onChange={(e: ChangeEvent<HTMLInputElement>) => onChange(parseNumber(e.currentTarget.value))}
        onBlur={onCommit}
      />
    </InlineField>
  );
}

/** Builds a query from the metric catalog; no SQL anywhere. */
export function QueryEditor(props: Props) {
  const { query, onChange, onRunQuery, datasource, range } = props;
  const { catalog, error } = useCatalog(datasource);
  const type: QueryType = query.queryType ?? 'metrics';

  // One edit runs the query once. Handlers read the latest query (a picker may call a handler of an
  // earlier render), an edit that changes nothing is not sent, and a typed number runs the query when
  // its input is left only if it was changed.
  const latest = useRef(query);
  useEffect(() => {
    latest.current = query;
  }, [query]);
  const typed = useRef(false);
  const change = (patch: Partial<SAQuery>) => {
    typed.current = true;
    latest.current = { ...latest.current, ...patch };
    onChange(latest.current);
  };
  const changeAndRun = (patch: Partial<SAQuery>) => {
    const current = latest.current;
    const same = (Object.keys(patch) as Array<keyof SAQuery>).every(
      (k) => JSON.stringify(current[k]) === JSON.stringify(patch[k])
    );
    if (same) {
      return;
    }
    latest.current = { ...current, ...patch };
    onChange(latest.current);
    onRunQuery();
  };
  const commit = () => {
    if (typed.current) {
      typed.current = false;
      onRunQuery();
    }
  };
  const filtersEditor = (dimensions: Catalog['dimensions']) => (
    <FiltersEditor
      dimensions={dimensions}
      filters={query.filters}
      onChange={(filters) => changeAndRun({ filters })}
      loadValues={(dimension, r) => datasource.getDimensionValues(dimension, r)}
      range={range}
      labelWidth={LABEL_WIDTH}
    />
  );
  const limitField = (fallback: number) => (
    <NumberField
      id="sa-limit"
      label="Limit"
      tooltip="Most rows returned"
      value={query.limit}
      placeholder={fallback}
      onChange={(limit) => change({ limit })}
      onCommit={commit}
    />
  );

  return (
    <Stack direction="column" gap={0}>
      {error && (
        <Alert severity="error" title="Could not load the metric catalog">
          {error}
        </Alert>
      )}
      <InlineFieldRow>
        <InlineField label="Query type" labelWidth={LABEL_WIDTH} htmlFor="sa-query-type">
          <Combobox<QueryType>
            id="sa-query-type"
            width={FIELD_WIDTHS.queryType}
            options={queryTypeOptions(catalog)}
            value={type}
            onChange={(o) => changeAndRun({ queryType: o.value })}
          />
        </InlineField>
      </InlineFieldRow>

      {type === 'metrics' && (
        <MetricsFields
          query={query}
          catalog={catalog}
          changeAndRun={changeAndRun}
          change={change}
          onCommit={commit}
          attributionDefaults={datasource.settings}
          filters={filtersEditor(filterable(supportedDimensions(catalog, query.metrics), catalog, query))}
        />
      )}

      {type === 'tickets' && (
        <>
          <InlineField label="Tickets" labelWidth={LABEL_WIDTH} htmlFor="sa-only">
            <RadioButtonGroup<TicketOnly>
              id="sa-only"
              aria-label="Tickets"
              options={TICKET_ONLY}
              value={query.only ?? 'all'}
              onChange={(only) => changeAndRun({ only })}
            />
          </InlineField>
          <InlineField label="Sort by" labelWidth={LABEL_WIDTH} htmlFor="sa-ticket-sort">
            <RadioButtonGroup<TicketSort>
              id="sa-ticket-sort"
              aria-label="Sort tickets by"
              options={TICKET_SORTS}
              value={(query.sortBy as TicketSort | undefined) ?? 'newest'}
              onChange={(sortBy) => changeAndRun({ sortBy })}
            />
          </InlineField>
          {limitField(QUERY_DEFAULTS.ticketsLimit)}
          <AttributionFields
            value={query.attribution}
            defaults={datasource.settings}
            onChange={(attribution, run) => (run ? changeAndRun : change)({ attribution })}
            onCommit={commit}
          />
          {filtersEditor(filterable(ticketDimensions(catalog), catalog, query))}
        </>
      )}

      {type === 'top_products' && (
        <>
          <InlineField label="Sort by" labelWidth={LABEL_WIDTH} htmlFor="sa-sort-by">
            <RadioButtonGroup<SortBy>
              id="sa-sort-by"
              aria-label="Sort by"
              options={SORTS}
              value={(query.sortBy as SortBy | undefined) ?? 'revenue'}
              onChange={(sortBy) => changeAndRun({ sortBy })}
            />
          </InlineField>
          {limitField(QUERY_DEFAULTS.topProductsLimit)}
        </>
      )}

      {type === 'retention' && (
        <NumberField
          id="sa-months"
          label="Months"
          tooltip="Monthly cohorts shown, and months followed after each"
          value={query.months}
          placeholder={QUERY_DEFAULTS.retentionMonths}
          onChange={(months) => change({ months })}
          onCommit={commit}
        />
      )}

      {type === 'live_feed' && (
        <>
          {limitField(QUERY_DEFAULTS.liveFeedLimit)}
          <InlineField
            label="Live"
            labelWidth={LABEL_WIDTH}
            htmlFor="sa-stream"
            tooltip="Also push new orders and cart events as they arrive (Grafana Live)"
          >
            <InlineSwitch
              id="sa-stream"
              value={query.stream ?? false}
              onChange={(e) => changeAndRun({ stream: e.currentTarget.checked })}
            />
          </InlineField>
        </>
      )}

      {type === 'variable' && (
        <InlineField label="Dimension" labelWidth={LABEL_WIDTH} htmlFor="sa-dimension">
          <Combobox<string>
            id="sa-dimension"
            width={FIELD_WIDTHS.dimension}
            options={dimensionOptions(catalog)}
            value={query.dimension ?? null}
            onChange={(o) => changeAndRun({ dimension: o.value })}
          />
        </InlineField>
      )}
    </Stack>
  );
}

/** The filters offered: those given, plus any the query already sets (so they can be removed). */
function filterable(offered: Catalog['dimensions'], catalog: Catalog | undefined, query: SAQuery) {
  const set = (catalog?.dimensions ?? []).filter(
    (d) => d.filter && (query.filters?.[d.filter as FilterKey]?.length ?? 0) > 0
  );
  return [...offered, ...set.filter((d) => !offered.includes(d))];
}

/** The dashboard's template variables as options ($name) matching what is typed. */
function variableOptions(input: string): Array<ComboboxOption<string>> {
  return searchOptions(
    getTemplateSrv()
      .getVariables()
      .map((v) => ({ value: `$${v.name}`, label: `$${v.name}`, group: 'Template variables' })),
    input
  );
}

interface MetricsFieldsProps {
  query: SAQuery;
  catalog?: Catalog;
  change: (patch: Partial<SAQuery>) => void;
  changeAndRun: (patch: Partial<SAQuery>) => void;
  onCommit: () => void;
  attributionDefaults: SAOptions;
  filters: React.ReactNode;
}

function MetricsFields({
  query,
  catalog,
  change,
  changeAndRun,
  onCommit,
  attributionDefaults,
  filters,
}: MetricsFieldsProps) {
  const groupBy = query.groupBy ?? [];
  const dimensions = supportedDimensions(catalog, query.metrics);
  const metrics = metricOptions(catalog);
  const groupings = dimensions.map((d) => ({ value: d.key, label: d.displayName, description: d.description }));
  const allDimensions = (catalog?.dimensions ?? []).map((d) => ({ value: d.key, label: d.displayName }));

  const onMetrics = (metrics: string[]) => {
    // Drop group-bys the new metrics cannot be sliced by (the backend would refuse them); keep variables.
    const allowed = new Set(supportedDimensions(catalog, metrics).map((d) => d.key));
    const kept = catalog ? groupBy.filter((g) => g.startsWith('$') || allowed.has(g)) : groupBy;
    changeAndRun({ metrics, groupBy: kept });
  };

  return (
    <>
      <InlineFieldRow>
        <InlineField
          label="Metrics"
          labelWidth={LABEL_WIDTH}
          htmlFor="sa-metrics"
          grow
          tooltip="Search by name, key or description"
        >
          <MultiPicker
            id="sa-metrics"
            minWidth={60}
            maxWidth={120}
            placeholder="Choose metrics"
            search={(input) => [...searchOptions(metrics, input), ...variableOptions(input)]}
            labelOf={(key) => labelOf(metrics, key)}
            value={query.metrics ?? []}
            onChange={onMetrics}
          />
        </InlineField>
      </InlineFieldRow>
      <InlineFieldRow>
        <InlineField
          label="Group by"
          labelWidth={LABEL_WIDTH}
          htmlFor="sa-group-by"
          tooltip="Up to two dimensions every chosen metric supports. With Time the result is a time series."
        >
          <MultiPicker
            id="sa-group-by"
            minWidth={40}
            maxWidth={60}
            placeholder="No grouping"
            isClearable
            search={(input) => [...searchOptions(groupings, input), ...variableOptions(input)]}
            labelOf={(key) => labelOf(allDimensions, key)}
            value={groupBy}
            onChange={(keys) => changeAndRun({ groupBy: keys.slice(-MAX_GROUP_BY) })}
          />
        </InlineField>
        {groupBy.includes('time') && (
          <InlineField label="Interval" htmlFor="sa-interval">
            <RadioButtonGroup<Interval>
              id="sa-interval"
              aria-label="Interval"
              options={INTERVALS}
              value={query.interval ?? 'auto'}
              onChange={(interval) => changeAndRun({ interval })}
            />
          </InlineField>
        )}
      </InlineFieldRow>
      <InlineField label="Compare with" labelWidth={LABEL_WIDTH} htmlFor="sa-compare">
        <RadioButtonGroup<Compare>
          id="sa-compare"
          aria-label="Compare with"
          options={COMPARES}
          value={query.compare ?? 'none'}
          onChange={(compare) => changeAndRun({ compare })}
        />
      </InlineField>
      {(query.metrics ?? []).includes('first_response_sla_rate') && (
        <InlineField
          label="SLA clock"
          labelWidth={LABEL_WIDTH}
          htmlFor="sa-sla-clock"
          tooltip="What the first-response SLA targets count; business hours needs the data source's opening hours"
        >
          <Combobox<SLAClock>
            id="sa-sla-clock"
            width={FIELD_WIDTHS.slaClock}
            isClearable
            placeholder={`${SLA_CLOCKS.find((c) => c.value === (attributionDefaults.slaClock ?? 'calendar'))?.label} (data source)`}
            options={SLA_CLOCKS}
            value={query.slaClock ?? null}
            onChange={(o) => changeAndRun({ slaClock: o?.value })}
          />
        </InlineField>
      )}
      {usesAttribution(catalog, query.metrics) && (
        <AttributionFields
          value={query.attribution}
          defaults={attributionDefaults}
          onChange={(attribution, run) => (run ? changeAndRun : change)({ attribution })}
          onCommit={onCommit}
        />
      )}
      {filters}
    </>
  );
}

interface AttributionProps {
  value?: SAAttribution;
  defaults: SAOptions;
  onChange: (value: SAAttribution, run: boolean) => void;
  onCommit: () => void;
}

/** Per-query overrides of the data source's attribution settings; empty means the data source's. */
function AttributionFields({ value, defaults, onChange, onCommit }: AttributionProps) {
  const current = value ?? {};
  const set = (patch: Partial<SAAttribution>, run: boolean) => {
    const next: SAAttribution = { ...current, ...patch };
    for (const k of Object.keys(next) as Array<keyof SAAttribution>) {
      if (next[k] === undefined) {
        delete next[k];
      }
    }
    onChange(next, run);
  };
  const defaultModel = MODELS.find((m) => m.value === (defaults.attributionModel ?? 'last_touch'))?.label;
  const defaultAnchor = ANCHORS.find((a) => a.value === (defaults.attributionAnchor ?? 'created'))?.label;

  return (
    <InlineFieldRow>
      <NumberField
        id="sa-attribution-window"
        label="Attribution window"
        tooltip="Hours after a ticket during which its customer's orders are credited to it"
        value={current.windowHours}
        placeholder={`${defaults.attributionWindowHours ?? 72} h (data source)`}
        width={FIELD_WIDTHS.attributionWindow}
        onChange={(windowHours) => set({ windowHours }, false)}
        onCommit={onCommit}
      />
      <InlineField label="Model" htmlFor="sa-attribution-model" tooltip="Which matching ticket an order is credited to">
        <Combobox<AttributionModel>
          id="sa-attribution-model"
          width={FIELD_WIDTHS.attributionModel}
          isClearable
          placeholder={`${defaultModel} (data source)`}
          options={MODELS}
          value={current.model ?? null}
          onChange={(o) => set({ model: o?.value }, true)}
        />
      </InlineField>
      <InlineField
        label="Anchor"
        htmlFor="sa-attribution-anchor"
        tooltip="Where the window runs from: the ticket's creation, or its whole conversation until it closed"
      >
        <Combobox<AttributionAnchor>
          id="sa-attribution-anchor"
          width={FIELD_WIDTHS.attributionAnchor}
          isClearable
          placeholder={`${defaultAnchor} (data source)`}
          options={ANCHORS}
          value={current.anchor ?? null}
          onChange={(o) => set({ anchor: o?.value }, true)}
        />
      </InlineField>
      <InlineField
        label="Date basis"
        htmlFor="sa-attribution-date-basis"
        tooltip="Which date places a credited order in the range and in a time bucket"
      >
        <Combobox<DateBasis>
          id="sa-attribution-date-basis"
          width={FIELD_WIDTHS.attributionDateBasis}
          isClearable
          placeholder="Ticket (default)"
          options={DATE_BASES}
          value={current.dateBasis ?? null}
          onChange={(o) => set({ dateBasis: o?.value }, true)}
        />
      </InlineField>
    </InlineFieldRow>
  );
}
