import React from 'react';
import { cleanup, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import { DataSource } from '../datasource';
import { CATALOG, comboboxTestSetup, FakeTemplateSrv, instanceSettings } from '../testing/fixtures';
import { SAQuery } from '../types';
import { FIELD_WIDTHS, QueryEditor } from './QueryEditor';

jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getTemplateSrv: () => new FakeTemplateSrv({ agent: { value: 'alice', options: ['alice', 'bob'] } }),
}));

function setup(query: Partial<SAQuery>) {
  const datasource = new DataSource(instanceSettings({ attributionWindowHours: 48 }));
  const getResource = jest.spyOn(datasource, 'getResource').mockResolvedValue(CATALOG);
  const getValues = jest.spyOn(datasource, 'getDimensionValues').mockResolvedValue(['alice', 'bob']);
  const onChange = jest.fn();
  const onRunQuery = jest.fn();
  const full: SAQuery = { refId: 'A', queryType: 'metrics', ...query };
  render(<QueryEditor datasource={datasource} query={full} onChange={onChange} onRunQuery={onRunQuery} />);
  const last = (): SAQuery => onChange.mock.lastCall[0];
  return { getResource, getValues, onChange, onRunQuery, last };
}

// The pointer-events check walks every ancestor's computed style: slow, and nothing here is hidden.
const user = userEvent.setup({ pointerEventsCheck: 0 });

// Role queries check every element's visibility through computed styles, which is slow on @grafana/ui's
// emotion-styled DOM: look options up by attribute instead.
function listedOptions(): HTMLElement[] {
  return Array.from(document.querySelectorAll<HTMLElement>('[role="option"]'));
}

function option(name: RegExp | string): HTMLElement {
  const found = listedOptions().find((o) =>
    typeof name === 'string' ? o.textContent === name : name.test(o.textContent ?? '')
  );
  if (!found) {
    throw new Error(`no option ${name} in ${listedOptions().map((o) => o.textContent)}`);
  }
  return found;
}

/** Opens a combobox and returns the labels of the options it lists once it lists some. */
async function openOptions(id: string): Promise<string[]> {
  await user.click(document.getElementById(id)!);
  await waitFor(() => expect(listedOptions().length).toBeGreaterThan(0));
  return listedOptions().map((o) => o.textContent ?? '');
}

describe('QueryEditor', () => {
  beforeAll(comboboxTestSetup);

  it('lists the metrics of the catalog resource, with their descriptions', async () => {
    const { getResource } = setup({ metrics: [] });
    await waitFor(() => expect(getResource).toHaveBeenCalledWith('catalog'));
    const labels = await openOptions('sa-metrics');
    expect(labels).toEqual([
      expect.stringContaining('Tickets'),
      expect.stringContaining('Total sales from support'),
      expect.stringContaining('CSAT'),
      expect.stringContaining('Revenue'),
      '$agent',
    ]);
    expect(labels[1]).toContain('Sum of the credited orders.');
    expect(screen.getByText('Attribution')).toBeInTheDocument();
  });

  it('finds metrics by key, display name and description, and offers no free text', async () => {
    setup({ metrics: [] });
    await openOptions('sa-metrics');
    const input = document.getElementById('sa-metrics') as HTMLInputElement;
    const search = async (text: string, want: unknown[]) => {
      await user.clear(input);
      await user.type(input, text);
      await waitFor(() => expect(listedOptions().map((o) => o.textContent ?? '')).toEqual(want));
    };
    // "revenue" is in attributed_revenue's key (its name is "Total sales from support") and in Revenue's name.
    await search('revenue', [expect.stringContaining('Total sales from support'), expect.stringContaining('Revenue')]);
    await search('attributed_revenue', [expect.stringContaining('Total sales from support')]);
    await search('credited orders', [expect.stringContaining('Total sales from support')]);
    // A template variable can be picked by its name; anything else typed is no value (no "custom value").
    await search('$agent', ['$agent']);
    await search('no such metric', []);
  });

  it('clears the typed search text once a metric is picked', async () => {
    const { last } = setup({ metrics: ['tickets'] });
    await openOptions('sa-metrics');
    await user.type(document.getElementById('sa-metrics')!, 'credited');
    await waitFor(() => expect(listedOptions()).toHaveLength(1));
    await user.click(option(/Total sales from support/));
    expect(last().metrics).toEqual(['tickets', 'attributed_revenue']);
    await waitFor(() => expect(document.getElementById('sa-metrics')).toHaveValue(''));
    expect(document.activeElement?.id).toBe('sa-metrics');
  });

  it('runs the query once per edit', async () => {
    const datasource = new DataSource(instanceSettings({}));
    jest.spyOn(datasource, 'getResource').mockResolvedValue(CATALOG);
    const onRunQuery = jest.fn();
    const sent: SAQuery[] = [];
    function Controlled() {
      const [query, setQuery] = React.useState<SAQuery>({
        refId: 'A',
        queryType: 'metrics',
        metrics: ['attributed_revenue'],
        groupBy: ['time'],
      });
      const onChange = (q: SAQuery) => {
        sent.push(q);
        setQuery(q);
      };
      return <QueryEditor datasource={datasource} query={query} onChange={onChange} onRunQuery={onRunQuery} />;
    }
    render(<Controlled />);
    await openOptions('sa-metrics');
    await user.click(option(/Tickets/));
    expect(onRunQuery).toHaveBeenCalledTimes(1);
    expect(sent[sent.length - 1].metrics).toEqual(['attributed_revenue', 'tickets']);

    await user.click(document.getElementById('option-previous_period-sa-compare')!);
    expect(onRunQuery).toHaveBeenCalledTimes(2);

    // Typing a number updates the query at each key and runs it once, when the input is left; leaving it
    // again without a change runs nothing.
    const window = document.getElementById('sa-attribution-window')!;
    await user.type(window, '48');
    expect(onRunQuery).toHaveBeenCalledTimes(2);
    await user.click(document.getElementById('option-previous_year-sa-compare')!);
    expect(onRunQuery).toHaveBeenCalledTimes(4); // the window, then the compare
    await user.click(window);
    await user.click(document.getElementById('option-previous_year-sa-compare')!);
    expect(onRunQuery).toHaveBeenCalledTimes(4); // no change: not sent again
    expect(sent[sent.length - 1]).toMatchObject({ attribution: { windowHours: 48 }, compare: 'previous_year' });
  });

  it('gives every placeholder the width it needs', async () => {
    setup({ metrics: ['attributed_revenue'] });
    await screen.findByPlaceholderText('48 h (data source)');
    // Grafana's widths are 8 px units. Its 14 px UI font averages 6.7 px per character (measured in Grafana
    // 12.4 in Chromium: "Last touch (data source)" is 161 px): count 7, plus the padding of an input (16 px)
    // or the padding, chevron and clear button of a combobox (48 px).
    const needed = (placeholder: string, chrome: number) => placeholder.length * 7 + chrome;
    const fields: Array<[string, number, number]> = [
      ['sa-attribution-window', FIELD_WIDTHS.attributionWindow, 16],
      ['sa-attribution-model', FIELD_WIDTHS.attributionModel, 48],
      ['sa-attribution-anchor', FIELD_WIDTHS.attributionAnchor, 48],
      ['sa-attribution-date-basis', FIELD_WIDTHS.attributionDateBasis, 48],
    ];
    for (const [id, width, chrome] of fields) {
      const input = document.getElementById(id) as HTMLInputElement;
      const placeholder = input.getAttribute('placeholder') ?? '';
      expect(placeholder).not.toBe('');
      expect(width * 8).toBeGreaterThanOrEqual(needed(placeholder, chrome));
    }
    // The longest placeholders the data source settings can produce.
    expect(FIELD_WIDTHS.attributionWindow * 8).toBeGreaterThanOrEqual(needed('8784 h (data source)', 16));
    expect(FIELD_WIDTHS.attributionModel * 8).toBeGreaterThanOrEqual(needed('First touch (data source)', 48));
    expect(FIELD_WIDTHS.attributionAnchor * 8).toBeGreaterThanOrEqual(needed('Created (data source)', 48));
    expect(FIELD_WIDTHS.slaClock * 8).toBeGreaterThanOrEqual(needed('Business hours (data source)', 48));
    expect(screen.getByPlaceholderText('Last touch (data source)')).toBeInTheDocument();
    expect(screen.getByPlaceholderText('Ticket (default)')).toBeInTheDocument();
  });

  it('adds a chosen metric to the query and runs it', async () => {
    const { last, onRunQuery } = setup({ metrics: ['tickets'], groupBy: ['time'] });
    await openOptions('sa-metrics');
    await user.click(option(/Total sales from support/));
    expect(last().metrics).toEqual(['tickets', 'attributed_revenue']);
    expect(last().groupBy).toEqual(['time']);
    expect(onRunQuery).toHaveBeenCalled();
  });

  it('offers as group-by only the dimensions every chosen metric supports', async () => {
    setup({ metrics: ['tickets', 'attributed_revenue'] });
    expect(await openOptions('sa-group-by')).toEqual([
      expect.stringContaining('Time'),
      expect.stringContaining('Agent'),
      expect.stringContaining('Channel'),
      '$agent',
    ]);
  });

  it('offers every dimension when no metric is chosen', async () => {
    // The list is virtualised: make it tall enough to render every option (the dimensions and $agent).
    comboboxTestSetup(400);
    try {
      setup({ metrics: [] });
      await waitFor(() => expect(screen.getByText('Metrics')).toBeInTheDocument());
      await screen.findByPlaceholderText('Choose metrics');
      await waitFor(async () =>
        expect(await openOptions('sa-group-by')).toEqual([...CATALOG.dimensions.map((d) => d.displayName), '$agent'])
      );
    } finally {
      comboboxTestSetup();
    }
  });

  it('sets the group-by, keeping at most two dimensions', async () => {
    const { last, onRunQuery } = setup({ metrics: ['tickets'], groupBy: ['time', 'agent'] });
    await screen.findByText('Tickets');
    await openOptions('sa-group-by');
    await user.click(option(/Segment/));
    expect(last().groupBy).toEqual(['agent', 'segment']);
    expect(onRunQuery).toHaveBeenCalled();
  });

  it('drops group-bys the new metrics do not support', async () => {
    const { last } = setup({ metrics: ['tickets'], groupBy: ['time', 'segment'] });
    await openOptions('sa-metrics');
    await user.click(option(/CSAT/));
    expect(last().metrics).toEqual(['tickets', 'csat']);
    expect(last().groupBy).toEqual(['time']);
  });

  it('shows filters only for supported dimensions, with values from the data', async () => {
    const { getValues, last } = setup({ metrics: ['csat'] });
    await screen.findByText('CSAT score');
    expect(document.getElementById('sa-filter-agents')).not.toBeNull();
    expect(document.getElementById('sa-filter-scores')).not.toBeNull();
    expect(document.getElementById('sa-filter-channels')).toBeNull();
    expect(document.getElementById('sa-filter-customer_types')).toBeNull();

    expect(await openOptions('sa-filter-agents')).toEqual(['alice', 'bob', '$agent']);
    expect(getValues).toHaveBeenCalledWith('agent', undefined);
    await user.click(option('bob'));
    expect(last().filters).toEqual({ agents: ['bob'] });
  });

  it('shows attribution overrides for attribution metrics, with the data source setting as placeholder', async () => {
    setup({ metrics: ['attributed_revenue'] });
    const window = await screen.findByPlaceholderText('48 h (data source)');
    expect(window).toHaveAttribute('id', 'sa-attribution-window');
    expect(document.getElementById('sa-attribution-model')).not.toBeNull();
    expect(document.getElementById('sa-attribution-date-basis')).not.toBeNull();
    expect(document.getElementById('sa-attribution-anchor')).toHaveAttribute('placeholder', 'Created (data source)');
  });

  it('edits the attribution model (linear) and anchor (closed), keeping the other overrides', async () => {
    const { last, onRunQuery } = setup({ metrics: ['attributed_revenue'], attribution: { windowHours: 24 } });
    await screen.findByPlaceholderText('48 h (data source)');
    expect(await openOptions('sa-attribution-model')).toEqual([
      expect.stringContaining('Last touch'),
      expect.stringContaining('First touch'),
      expect.stringContaining('Linear'),
    ]);
    await user.click(option(/^Linear/));
    expect(last().attribution).toEqual({ windowHours: 24, model: 'linear' });
    expect(await openOptions('sa-attribution-anchor')).toEqual([
      expect.stringContaining('Created'),
      expect.stringContaining('Closed'),
    ]);
    await user.click(option(/^Closed/));
    expect(last().attribution).toEqual({ windowHours: 24, anchor: 'closed' });
    expect(onRunQuery).toHaveBeenCalledTimes(2); // one run per pick
  });

  it('hides attribution overrides for other metrics', async () => {
    setup({ metrics: ['tickets'] });
    await screen.findByText('Tickets');
    expect(document.getElementById('sa-attribution-window')).toBeNull();
  });

  it('edits the fields of the other query types', async () => {
    const top = setup({ queryType: 'top_products' });
    await user.click(document.getElementById('option-quantity-sa-sort-by')!);
    expect(top.last().sortBy).toBe('quantity');
    expect(document.getElementById('sa-limit')).toHaveAttribute('placeholder', '10');
  });

  it('offers the catalog dimensions for a variable query', async () => {
    const { last } = setup({ queryType: 'variable' });
    await screen.findByText('Dimension');
    const labels = await openOptions('sa-dimension');
    expect(labels).toHaveLength(CATALOG.dimensions.length - 1);
    await user.click(option(/Channel/));
    expect(last().dimension).toBe('channel');
  });

  it('offers the handled_by filter for metrics that support it', async () => {
    const { last } = setup({ metrics: ['tickets'] });
    await screen.findByText('Handled by');
    expect(document.querySelector('label[for="sa-filter-handledBy"]')).not.toBeNull();
    await openOptions('sa-filter-handledBy');
    await user.click(option('alice'));
    expect(last().filters).toEqual({ handledBy: ['alice'] });
  });

  it('overrides the SLA clock for the SLA rate only, with the data source clock as placeholder', async () => {
    const sla = setup({ metrics: ['first_response_sla_rate'] });
    const clock = await screen.findByPlaceholderText('Calendar (data source)');
    expect(clock).toHaveAttribute('id', 'sa-sla-clock');
    expect(document.querySelector('label[for="sa-sla-clock"]')).not.toBeNull();
    await openOptions('sa-sla-clock');
    await user.click(option(/Business hours/));
    expect(sla.last().slaClock).toBe('business');
    expect(sla.onRunQuery).toHaveBeenCalledTimes(1);
    cleanup();

    setup({ metrics: ['tickets'] });
    await screen.findByText('Tickets');
    expect(document.getElementById('sa-sla-clock')).toBeNull();
  });
});
