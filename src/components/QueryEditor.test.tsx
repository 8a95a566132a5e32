import React from 'react';
import { cleanup, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import { DataSource } from '../datasource';
import { CATALOG, comboboxTestSetup, FakeTemplateSrv, instanceSettings } from '../testing/fixtures';
import { SAQuery } from '../types';
import { QueryEditor } from './QueryEditor';

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
    ]);
    expect(labels[1]).toContain('Sum of the credited orders.');
    expect(screen.getByText('Attribution')).toBeInTheDocument();
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
    ]);
  });

  it('offers every dimension when no metric is chosen', async () => {
    setup({ metrics: [] });
    await waitFor(() => expect(screen.getByText('Metrics')).toBeInTheDocument());
    await screen.findByPlaceholderText('Choose metrics');
    await waitFor(async () => expect(await openOptions('sa-group-by')).toHaveLength(CATALOG.dimensions.length));
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
    expect(onRunQuery).toHaveBeenCalled();
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
    expect(sla.onRunQuery).toHaveBeenCalled();
    cleanup();

    setup({ metrics: ['tickets'] });
    await screen.findByText('Tickets');
    expect(document.getElementById('sa-sla-clock')).toBeNull();
  });
});
