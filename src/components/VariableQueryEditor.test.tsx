import React from 'react';
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import { DataSource } from '../datasource';
import { CATALOG, comboboxTestSetup, instanceSettings } from '../testing/fixtures';
import { SAQuery } from '../types';
import { VariableQueryEditor } from './VariableQueryEditor';

const user = userEvent.setup({ pointerEventsCheck: 0 });

function setup(query: SAQuery | string, catalog: Promise<typeof CATALOG> = Promise.resolve(CATALOG)) {
  const datasource = new DataSource(instanceSettings());
  jest.spyOn(datasource, 'getResource').mockReturnValue(catalog);
  const onChange = jest.fn();
  render(
    <VariableQueryEditor datasource={datasource} query={query as SAQuery} onChange={onChange} onRunQuery={jest.fn()} />
  );
  return { onChange };
}

function listedOptions(): string[] {
  return Array.from(document.querySelectorAll('[role="option"]'), (o) => o.textContent ?? '');
}

describe('VariableQueryEditor', () => {
  beforeAll(comboboxTestSetup);

  it('offers every catalog dimension but time and saves a variable query', async () => {
    const { onChange } = setup('');
    await user.click(document.getElementById('sa-variable-dimension')!);
    await waitFor(() => expect(listedOptions()).toHaveLength(CATALOG.dimensions.length - 1));
    expect(listedOptions().some((o) => o.startsWith('Time'))).toBe(false);

    const channel = Array.from(document.querySelectorAll<HTMLElement>('[role="option"]')).find((o) =>
      o.textContent?.startsWith('Channel')
    );
    await user.click(channel!);
    expect(onChange).toHaveBeenCalledWith({ refId: 'variable', queryType: 'variable', dimension: 'channel' });
  });

  it('shows the saved dimension', async () => {
    setup({ refId: 'A', queryType: 'variable', dimension: 'agent' });
    await waitFor(() => expect(document.getElementById('sa-variable-dimension')).toHaveValue('Agent'));
  });

  it('says when the catalog cannot be loaded', async () => {
    setup('', Promise.reject(new Error('the helpdesk store is down')));
    expect(await screen.findByText('the helpdesk store is down')).toBeInTheDocument();
  });
});
