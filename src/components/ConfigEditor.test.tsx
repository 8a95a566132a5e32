import React from 'react';
import { DataSourceSettings } from '@grafana/data';
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import { SAOptions, SASecureJsonData } from '../types';
import { ConfigEditor } from './ConfigEditor';

type Options = DataSourceSettings<SAOptions, SASecureJsonData>;

const JSON_KEYS: Array<keyof SAOptions> = [
  'helpdeskHost',
  'helpdeskDatabase',
  'helpdeskUser',
  'helpdeskSchema',
  'helpdeskSslMode',
  'ordersHost',
  'ordersDatabase',
  'ordersUser',
  'ordersSchema',
  'ordersSslMode',
  'maxOpenConns',
  'queryTimeoutSeconds',
  'maxRangeDays',
  'attributionWindowHours',
  'attributionModel',
  'attributionAnchor',
  'excludedStatuses',
  'currency',
  'timezone',
  'weekStart',
  'vipMinSpent',
  'vipMinOrders',
  'vipTags',
  'csatCredit',
  'slaClock',
  'businessHours',
];

const SECURE_KEYS: Array<keyof SASecureJsonData> = [
  'helpdeskPassword',
  'ordersPassword',
  'helpdeskTlsCACert',
  'helpdeskTlsClientCert',
  'helpdeskTlsClientKey',
  'ordersTlsCACert',
  'ordersTlsClientCert',
  'ordersTlsClientKey',
];

function options(patch: Partial<Options> = {}): Options {
  // Deprecated fields (database) are left out: the editor does not use them.
  const settings = {
    id: 1,
    uid: 'sa',
    orgId: 1,
    name: 'Support Analytics',
    type: 'supportops-analytics-datasource',
    typeName: 'Support Analytics',
    typeLogoUrl: '',
    access: 'proxy',
    url: '',
    user: '',
    basicAuth: false,
    basicAuthUser: '',
    isDefault: false,
    withCredentials: false,
    readOnly: false,
    jsonData: { helpdeskHost: 'db:5432', slaTargets: { high: 7200 } },
    secureJsonFields: {},
    secureJsonData: {},
    ...patch,
  };
  return settings as unknown as Options;
}

function setup(patch: Partial<Options> = {}) {
  const onOptionsChange = jest.fn();
  render(<ConfigEditor options={options(patch)} onOptionsChange={onOptionsChange} />);
  const last = (): Options => onOptionsChange.mock.lastCall[0];
  return { onOptionsChange, last };
}

describe('ConfigEditor', () => {
  it('renders every section', () => {
    setup();
    for (const section of [
      'Helpdesk store',
      'Order store',
      'Attribution',
      'Business settings',
      'Business hours',
      'Limits',
      'VIP rule',
    ]) {
      expect(screen.getByText(section, { selector: 'legend' })).toBeInTheDocument();
    }
    expect(screen.getAllByText(/leave host empty to use the helpdesk connection/i).length).toBeGreaterThan(0);
  });

  it('has a labelled input for every jsonData and secureJsonData key', () => {
    setup();
    for (const key of [...JSON_KEYS, ...SECURE_KEYS]) {
      const input = document.getElementById(`sa-${key}`) ?? document.querySelector(`[id$="-sa-${key}"]`);
      expect(input).not.toBeNull();
    }
    for (const key of JSON_KEYS.filter(
      (k) =>
        !k.endsWith('SslMode') &&
        !['attributionModel', 'attributionAnchor', 'weekStart', 'csatCredit', 'slaClock'].includes(k)
    )) {
      expect(document.querySelector(`label[for="sa-${key}"]`)).not.toBeNull();
    }
    for (const priority of ['critical', 'high', 'normal', 'low']) {
      expect(screen.getByLabelText(priority)).toBeInTheDocument();
    }
  });

  it('shows defaults as placeholders and keeps set values', () => {
    setup();
    expect(screen.getByLabelText(/^Max open connections/)).toHaveAttribute('placeholder', '10');
    expect(screen.getByLabelText(/^Max range \(days\)/)).toHaveAttribute('placeholder', '732');
    expect(screen.getAllByLabelText(/^Schema/)[0]).toHaveAttribute('placeholder', 'public');
    expect(screen.getByLabelText('critical')).toHaveAttribute('placeholder', '3600');
    expect(screen.getByLabelText('high')).toHaveValue(7200);
    expect(document.getElementById('sa-helpdeskHost')).toHaveValue('db:5432');
  });

  it('writes text and number fields to their jsonData keys, and removes them when cleared', () => {
    const { onOptionsChange, last } = setup();
    fireEvent.change(document.getElementById('sa-ordersHost')!, { target: { value: 'shop-db' } });
    expect(last().jsonData).toEqual(expect.objectContaining({ ordersHost: 'shop-db', helpdeskHost: 'db:5432' }));

    fireEvent.change(screen.getByLabelText(/^Max open connections/), { target: { value: '25' } });
    expect(last().jsonData.maxOpenConns).toBe(25);

    fireEvent.change(document.getElementById('sa-helpdeskHost')!, { target: { value: '' } });
    expect(last().jsonData).not.toHaveProperty('helpdeskHost');
    expect(onOptionsChange).toHaveBeenCalledTimes(3);
  });

  it('writes enumerated settings from their radio buttons', () => {
    const { last } = setup();
    const pick = (key: string, value: string) => fireEvent.click(document.getElementById(`option-${value}-sa-${key}`)!);

    pick('helpdeskSslMode', 'verify-full');
    expect(last().jsonData.helpdeskSslMode).toBe('verify-full');
    pick('ordersSslMode', 'disable');
    expect(last().jsonData.ordersSslMode).toBe('disable');
    pick('attributionModel', 'first_touch');
    expect(last().jsonData.attributionModel).toBe('first_touch');
    pick('attributionModel', 'linear');
    expect(last().jsonData.attributionModel).toBe('linear');
    pick('attributionAnchor', 'closed');
    expect(last().jsonData.attributionAnchor).toBe('closed');
    pick('weekStart', 'sunday');
    expect(last().jsonData.weekStart).toBe('sunday');
    pick('csatCredit', 'participants');
    expect(last().jsonData.csatCredit).toBe('participants');
  });

  it('edits list settings as tags, keeping an emptied list', async () => {
    const { last } = setup({ jsonData: { excludedStatuses: ['cancelled'] } });
    await userEvent.type(document.getElementById('sa-vipTags')!, 'gold{enter}');
    expect(last().jsonData.vipTags).toEqual(['vip', 'gold']);

    await userEvent.click(screen.getByLabelText(/remove tag: cancelled/i));
    expect(last().jsonData.excludedStatuses).toEqual([]);
  });

  it('edits SLA targets per priority', async () => {
    const { last } = setup();
    fireEvent.change(screen.getByLabelText('critical'), { target: { value: '1800' } });
    expect(last().jsonData.slaTargets).toEqual({ high: 7200, critical: 1800 });

    fireEvent.change(screen.getByLabelText('high'), { target: { value: '' } });
    expect(last().jsonData).not.toHaveProperty('slaTargets');

    await userEvent.type(screen.getByLabelText('Other priority'), 'urgent');
    await userEvent.click(screen.getByText('Add target'));
    expect(last().jsonData.slaTargets).toEqual({ high: 7200, urgent: 86400 });
  });

  it('writes secrets to secureJsonData', () => {
    const { last } = setup();
    fireEvent.change(document.getElementById('sa-ordersPassword')!, { target: { value: 's3cret' } });
    expect(last().secureJsonData).toEqual({ ordersPassword: 's3cret' });
    expect(last().jsonData).not.toHaveProperty('ordersPassword');

    fireEvent.change(document.getElementById('sa-helpdeskTlsCACert')!, {
      target: { value: '-----BEGIN CERTIFICATE-----' },
    });
    expect(last().secureJsonData?.helpdeskTlsCACert).toBe('-----BEGIN CERTIFICATE-----');
  });

  it('resets a configured secret: clears it and marks it unconfigured', async () => {
    const { last } = setup({ secureJsonFields: { helpdeskPassword: true, ordersTlsClientKey: true } });
    expect(screen.getAllByDisplayValue('configured').map((e) => e.id)).toEqual([
      'sa-helpdeskPassword',
      'sa-ordersTlsClientKey',
    ]);
    const resets = screen.getAllByText('Reset');
    expect(resets).toHaveLength(2);

    await userEvent.click(resets[0]);
    expect(last().secureJsonFields.helpdeskPassword).toBe(false);
    expect(last().secureJsonData?.helpdeskPassword).toBe('');
    expect(last().secureJsonFields.ordersTlsClientKey).toBe(true);
  });

  describe('business hours', () => {
    const paris = {
      timezone: 'Europe/Paris',
      week: {
        monday: [
          ['09:00', '12:30'],
          ['13:30', '18:00'],
        ] as Array<[string, string]>,
      },
      holidays: ['2026-12-25'],
    };

    it('switches on with Monday to Friday 09:00-18:00, and off with the business SLA clock', async () => {
      const off = setup();
      await userEvent.click(document.getElementById('sa-businessHours')!);
      expect(off.last().jsonData.businessHours).toEqual({
        week: {
          monday: [['09:00', '18:00']],
          tuesday: [['09:00', '18:00']],
          wednesday: [['09:00', '18:00']],
          thursday: [['09:00', '18:00']],
          friday: [['09:00', '18:00']],
        },
      });
      cleanup();

      const on = setup({ jsonData: { helpdeskHost: 'db', businessHours: paris, slaClock: 'business' } });
      await userEvent.click(document.getElementById('sa-businessHours')!);
      expect(on.last().jsonData).toEqual({ helpdeskHost: 'db' });
    });

    it('edits the weekly grid: labelled start and end of each interval, add and remove', async () => {
      const { last } = setup({ jsonData: { businessHours: paris } });
      for (const id of ['sa-bh-monday-0-start', 'sa-bh-monday-0-end', 'sa-bh-monday-1-start', 'sa-bh-monday-1-end']) {
        expect(document.querySelector(`label[for="${id}"]`)).not.toBeNull();
      }
      expect(screen.getByLabelText('Monday interval 2 closes')).toHaveValue('18:00');
      // The closed days' markers (spans), not the attribution anchor's "Closed" option (a label).
      expect(screen.getAllByText('Closed', { selector: 'span' })).toHaveLength(6);

      fireEvent.change(screen.getByLabelText('Monday interval 2 closes'), { target: { value: '17:30' } });
      expect(last().jsonData.businessHours).toEqual({
        ...paris,
        week: {
          monday: [
            ['09:00', '12:30'],
            ['13:30', '17:30'],
          ],
        },
      });

      await userEvent.click(screen.getByLabelText('Add an interval on Tuesday'));
      expect(last().jsonData.businessHours?.week).toEqual({ ...paris.week, tuesday: [['09:00', '18:00']] });

      await userEvent.click(screen.getByLabelText('Add an interval on Monday'));
      expect(last().jsonData.businessHours?.week?.monday).toEqual([...paris.week.monday, ['19:00', '21:00']]);

      await userEvent.click(screen.getByLabelText('Remove Monday interval 1'));
      expect(last().jsonData.businessHours?.week).toEqual({ monday: [['13:30', '18:00']] });
    });

    it('says what is wrong with an interval, and with a week never open', () => {
      setup({ jsonData: { businessHours: { week: { friday: [['22:00', '02:00']], monday: [['9h', '18:00']] } } } });
      expect(screen.getByText(/ends before it starts/i)).toBeInTheDocument();
      expect(screen.getByText(/times are HH:MM/i)).toBeInTheDocument();
      cleanup();
      setup({ jsonData: { businessHours: { week: {} } } });
      expect(screen.getByText(/give at least one weekday an opening interval/i)).toBeInTheDocument();
    });

    it('edits holidays, and shows the timezone setting as the team zone by default', async () => {
      const { last } = setup({
        jsonData: { timezone: 'America/New_York', businessHours: { ...paris, timezone: undefined } },
      });
      expect(document.getElementById('sa-businessHours-timezone')).toHaveAttribute(
        'placeholder',
        'America/New_York (time zone setting)'
      );
      fireEvent.change(screen.getByLabelText('Add a holiday'), { target: { value: '2027-01-01' } });
      await userEvent.click(screen.getByText('Add holiday'));
      expect(last().jsonData.businessHours?.holidays).toEqual(['2026-12-25', '2027-01-01']);

      await userEvent.click(screen.getByLabelText('Remove holiday 2026-12-25'));
      expect(last().jsonData.businessHours?.holidays).toEqual([]);
    });

    it('sets the SLA clock; business needs business hours', () => {
      setup();
      expect(document.getElementById('option-business-sa-slaClock')).toBeDisabled();
      cleanup();
      const { last } = setup({ jsonData: { businessHours: paris } });
      fireEvent.click(document.getElementById('option-business-sa-slaClock')!);
      expect(last().jsonData.slaClock).toBe('business');
    });
  });
});
