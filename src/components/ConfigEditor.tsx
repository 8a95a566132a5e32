import React, { ChangeEvent, useState } from 'react';
import { DataSourcePluginOptionsEditorProps, SelectableValue } from '@grafana/data';
import {
  Button,
  Combobox,
  ComboboxOption,
  Field,
  FieldSet,
  IconButton,
  Input,
  RadioButtonGroup,
  SecretInput,
  SecretTextArea,
  Stack,
  TagsInput,
  Text,
} from '@grafana/ui';

import { SAOptions, SASecureJsonData, SecureKey, SETTINGS_DEFAULTS, SLAClock, SSLMode } from '../types';
import { BusinessHoursEditor } from './BusinessHoursEditor';

type Props = DataSourcePluginOptionsEditorProps<SAOptions, SASecureJsonData>;
type StorePrefix = 'helpdesk' | 'orders';
type StringKey = { [K in keyof SAOptions]-?: SAOptions[K] extends string | undefined ? K : never }[keyof SAOptions];
type NumberKey = { [K in keyof SAOptions]-?: SAOptions[K] extends number | undefined ? K : never }[keyof SAOptions];

const WIDTH = 40;
const STANDARD_PRIORITIES = ['critical', 'high', 'normal', 'low'];

const SSL_MODES: Array<SelectableValue<SSLMode>> = [
  { label: 'disable', value: 'disable' },
  { label: 'require', value: 'require', description: 'Encrypt, do not check the certificate' },
  { label: 'verify-ca', value: 'verify-ca', description: 'Encrypt and check the certificate authority' },
  { label: 'verify-full', value: 'verify-full', description: 'Also check the host name' },
];

const ATTRIBUTION_MODELS: Array<SelectableValue<string>> = [
  { label: 'Last touch', value: 'last_touch', description: 'Credit the latest matching ticket' },
  { label: 'First touch', value: 'first_touch', description: 'Credit the earliest matching ticket' },
  { label: 'Linear', value: 'linear', description: 'Split each order equally among the matching tickets' },
];

const ATTRIBUTION_ANCHORS: Array<SelectableValue<string>> = [
  { label: 'Created', value: 'created', description: 'The window starts when the ticket is created' },
  {
    label: 'Closed',
    value: 'closed',
    description: 'The window runs from creation to the close + window; an open ticket matches orders until now',
  },
];

const WEEK_STARTS: Array<SelectableValue<string>> = [
  { label: 'Monday', value: 'monday' },
  { label: 'Sunday', value: 'sunday' },
];

const SLA_CLOCKS: Array<SelectableValue<SLAClock>> = [
  { label: 'Calendar', value: 'calendar', description: 'Targets count every second' },
  { label: 'Business hours', value: 'business', description: 'Targets count only business hours' },
];

const CSAT_CREDITS: Array<SelectableValue<string>> = [
  { label: 'Closing agent', value: 'closing_agent', description: 'The agent assigned when the survey was sent' },
  { label: 'Participants', value: 'participants', description: 'Every agent who wrote in the ticket' },
];

function timezoneOptions(): Array<ComboboxOption<string>> {
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  return ['UTC', ...zones.filter((z) => z !== 'UTC')].map((z) => ({ value: z, label: z }));
}

function parseNumber(text: string): number | undefined {
  const n = Number(text);
  return text.trim() === '' || !Number.isFinite(n) ? undefined : n;
}

function humanSeconds(s: number): string {
  if (s % 86400 === 0) {
    return `${s / 86400} d`;
  }
  if (s % 3600 === 0) {
    return `${s / 3600} h`;
  }
  return s % 60 === 0 ? `${s / 60} min` : `${s} s`;
}

/** The settings of the data source: two PostgreSQL stores and the business rules of the metrics (SPEC 3). */
export function ConfigEditor(props: Props) {
  const { options, onOptionsChange } = props;
  const jsonData = options.jsonData;

  const setJson = <K extends keyof SAOptions>(key: K, value: SAOptions[K] | undefined) => {
    const next: SAOptions = { ...options.jsonData, [key]: value };
    // An absent key takes the backend's default; an empty text field means "use the default".
    if (value === undefined || value === '') {
      delete next[key];
    }
    onOptionsChange({ ...options, jsonData: next });
  };

  const setSecure = (key: SecureKey, value: string) =>
    onOptionsChange({ ...options, secureJsonData: { ...options.secureJsonData, [key]: value } });

  const resetSecure = (key: SecureKey) =>
    onOptionsChange({
      ...options,
      secureJsonFields: { ...options.secureJsonFields, [key]: false },
      secureJsonData: { ...options.secureJsonData, [key]: '' },
    });

  const text = (key: StringKey, label: string, description: string, placeholder = '') => (
    <Field label={label} description={description} htmlFor={`sa-${key}`}>
      <Input
        id={`sa-${key}`}
        width={WIDTH}
        value={jsonData[key] ?? ''}
        placeholder={placeholder}
        onChange={(e: ChangeEvent<HTMLInputElement>) => setJson(key, e.currentTarget.value.trim())}
      />
    </Field>
  );

  const number = (key: NumberKey, label: string, description: string, placeholder: number) => (
    <Field label={label} description={description} htmlFor={`sa-${key}`}>
      <Input
        id={`sa-${key}`}
        type="number"
        min={0}
        width={20}
        value={jsonData[key] ?? ''}
        placeholder={String(placeholder)}
        onChange={(e: ChangeEvent<HTMLInputElement>) => setJson(key, parseNumber(e.currentTarget.value))}
      />
    </Field>
  );

  const radio = <K extends StringKey>(
    key: K,
    label: string,
    description: string,
    choices: Array<SelectableValue<string>>,
    fallback: string
  ) => (
    <Field label={label} description={description} htmlFor={`sa-${key}`}>
      <RadioButtonGroup
        id={`sa-${key}`}
        aria-label={label}
        options={choices}
        value={jsonData[key] ?? fallback}
        onChange={(v) => setJson(key, v as SAOptions[K])}
      />
    </Field>
  );

  const list = (key: 'excludedStatuses' | 'vipTags', label: string, description: string, fallback: string[]) => (
    <Field label={label} description={description} htmlFor={`sa-${key}`}>
      <TagsInput
        id={`sa-${key}`}
        width={WIDTH}
        tags={jsonData[key] ?? fallback}
        // An empty list is a choice (nothing excluded, no tag rule), not "default": keep it.
        onChange={(tags) => setJson(key, tags)}
      />
    </Field>
  );

  const secret = (key: SecureKey, label: string, description: string) => (
    <Field label={label} description={description} htmlFor={`sa-${key}`}>
      <SecretInput
        id={`sa-${key}`}
        width={WIDTH}
        isConfigured={Boolean(options.secureJsonFields?.[key])}
        value={options.secureJsonData?.[key] ?? ''}
        onChange={(e: ChangeEvent<HTMLInputElement>) => setSecure(key, e.currentTarget.value)}
        onReset={() => resetSecure(key)}
      />
    </Field>
  );

  const pem = (key: SecureKey, label: string, description: string, placeholder = '-----BEGIN CERTIFICATE-----') => (
    <Field label={label} description={description} htmlFor={`sa-${key}`}>
      <SecretTextArea
        id={`sa-${key}`}
        cols={60}
        rows={4}
        placeholder={placeholder}
        isConfigured={Boolean(options.secureJsonFields?.[key])}
        value={options.secureJsonData?.[key] ?? ''}
        onChange={(e: ChangeEvent<HTMLTextAreaElement>) => setSecure(key, e.currentTarget.value)}
        onReset={() => resetSecure(key)}
      />
    </Field>
  );

  const store = (prefix: StorePrefix) => {
    const isOrders = prefix === 'orders';
    const helpdeskSsl = jsonData.helpdeskSslMode ?? SETTINGS_DEFAULTS.sslMode;
    return (
      <>
        {text(
          `${prefix}Host`,
          'Host',
          isOrders
            ? 'Leave host empty to use the helpdesk connection (the schema below still applies).'
            : 'host, host:port, or a unix-socket directory.',
          isOrders ? 'same as helpdesk' : 'db.example.com:5432'
        )}
        {text(`${prefix}Database`, 'Database', 'The PostgreSQL database.', isOrders ? 'same as helpdesk' : '')}
        {text(`${prefix}User`, 'User', 'A read-only role is enough.', isOrders ? 'same as helpdesk' : '')}
        {secret(`${prefix}Password`, 'Password', 'Stored encrypted, never sent back to the browser.')}
        {text(
          `${prefix}Schema`,
          'Schema',
          'The schema holding the data-contract tables or views.',
          SETTINGS_DEFAULTS.schema
        )}
        {radio(
          `${prefix}SslMode`,
          'SSL mode',
          isOrders ? 'Defaults to the helpdesk store’s mode.' : `Default: ${SETTINGS_DEFAULTS.sslMode}.`,
          SSL_MODES,
          isOrders ? helpdeskSsl : SETTINGS_DEFAULTS.sslMode
        )}
        <FieldSet label="TLS certificates (optional)">
          {pem(`${prefix}TlsCACert`, 'CA certificate', 'PEM of the authority that signed the server certificate.')}
          {pem(`${prefix}TlsClientCert`, 'Client certificate', 'PEM; give it together with the client key.')}
          {pem(
            `${prefix}TlsClientKey`,
            'Client key',
            'PEM private key of the client certificate.',
            '-----BEGIN PRIVATE KEY-----'
          )}
        </FieldSet>
      </>
    );
  };

  return (
    <Stack direction="column" gap={2}>
      <FieldSet label="Helpdesk store">
        <Text color="secondary">Tickets, messages, CSAT surveys and chat displays.</Text>
        {store('helpdesk')}
      </FieldSet>

      <FieldSet label="Order store">
        <Text color="secondary">
          Customers, orders, order lines and cart events. Leave host empty to use the helpdesk connection.
        </Text>
        {store('orders')}
      </FieldSet>

      <FieldSet label="Attribution">
        {number(
          'attributionWindowHours',
          'Attribution window (hours)',
          'An order is credited to a ticket of the same customer created at most this long before it.',
          SETTINGS_DEFAULTS.attributionWindowHours
        )}
        {radio(
          'attributionModel',
          'Attribution model',
          'Which ticket an order is credited to when several match.',
          ATTRIBUTION_MODELS,
          SETTINGS_DEFAULTS.attributionModel
        )}
        {radio(
          'attributionAnchor',
          'Attribution anchor',
          "Where the window starts: at the ticket's creation, or over the whole conversation until its close.",
          ATTRIBUTION_ANCHORS,
          SETTINGS_DEFAULTS.attributionAnchor
        )}
      </FieldSet>

      <FieldSet label="Business settings">
        {list(
          'excludedStatuses',
          'Excluded order statuses',
          'Orders in these statuses are not counted anywhere.',
          SETTINGS_DEFAULTS.excludedStatuses
        )}
        {text('currency', 'Currency', 'Shop currency, ISO 4217 code.', SETTINGS_DEFAULTS.currency)}
        <Field
          label="Time zone"
          description="Report time zone when the dashboard sends none (IANA name)."
          htmlFor="sa-timezone"
        >
          <Combobox
            id="sa-timezone"
            width={WIDTH}
            isClearable
            createCustomValue
            placeholder={SETTINGS_DEFAULTS.timezone}
            options={timezoneOptions()}
            value={jsonData.timezone ?? null}
            onChange={(o) => setJson('timezone', o?.value)}
          />
        </Field>
        {radio('weekStart', 'Week starts on', 'First day of weekly buckets.', WEEK_STARTS, SETTINGS_DEFAULTS.weekStart)}
        <FieldSet label="VIP rule">
          <Text color="secondary">A customer is VIP when any of these holds at the time of the ticket.</Text>
          {number('vipMinSpent', 'Minimum lifetime spent', 'In the shop currency.', SETTINGS_DEFAULTS.vipMinSpent)}
          {number(
            'vipMinOrders',
            'Minimum orders',
            'Eligible orders before the ticket.',
            SETTINGS_DEFAULTS.vipMinOrders
          )}
          {list('vipTags', 'VIP customer tags', 'A customer with one of these tags is VIP.', SETTINGS_DEFAULTS.vipTags)}
        </FieldSet>
        {radio(
          'csatCredit',
          'CSAT credit',
          'Who a CSAT response counts for, by agent.',
          CSAT_CREDITS,
          SETTINGS_DEFAULTS.csatCredit
        )}
        <SlaTargets value={jsonData.slaTargets} onChange={(v) => setJson('slaTargets', v)} />
      </FieldSet>

      <FieldSet label="Business hours">
        <BusinessHoursEditor
          value={jsonData.businessHours}
          defaultZone={jsonData.timezone ?? SETTINGS_DEFAULTS.timezone}
          zones={timezoneOptions()}
          onChange={(businessHours) => {
            const next: SAOptions = { ...options.jsonData, businessHours };
            if (businessHours === undefined) {
              // Without opening hours the business SLA clock is refused: fall back to the calendar.
              delete next.businessHours;
              delete next.slaClock;
            }
            onOptionsChange({ ...options, jsonData: next });
          }}
        />
        <Field
          label="First-response SLA clock"
          description="What the SLA targets count. Business hours needs the opening hours above; a query may override it."
          htmlFor="sa-slaClock"
        >
          <RadioButtonGroup<SLAClock>
            id="sa-slaClock"
            aria-label="First-response SLA clock"
            options={SLA_CLOCKS}
            disabledOptions={jsonData.businessHours ? [] : ['business']}
            value={jsonData.slaClock ?? SETTINGS_DEFAULTS.slaClock}
            onChange={(v) => setJson('slaClock', v)}
          />
        </Field>
      </FieldSet>

      <FieldSet label="Limits">
        {number('maxOpenConns', 'Max open connections', 'Pool size per store.', SETTINGS_DEFAULTS.maxOpenConns)}
        {number(
          'queryTimeoutSeconds',
          'Query timeout (seconds)',
          'Statement timeout of each query.',
          SETTINGS_DEFAULTS.queryTimeoutSeconds
        )}
        {number(
          'maxRangeDays',
          'Max range (days)',
          'Longest time range a query may ask for.',
          SETTINGS_DEFAULTS.maxRangeDays
        )}
      </FieldSet>
    </Stack>
  );
}

interface SlaProps {
  value?: Record<string, number>;
  onChange: (value: Record<string, number> | undefined) => void;
}

/** First-response targets per priority, in seconds; a blank standard priority keeps its default. */
function SlaTargets({ value, onChange }: SlaProps) {
  const [newPriority, setNewPriority] = useState('');
  const targets = value ?? {};
  const priorities = [...STANDARD_PRIORITIES, ...Object.keys(targets).filter((p) => !STANDARD_PRIORITIES.includes(p))];

  const set = (priority: string, seconds: number | undefined) => {
    const next = { ...targets };
    if (seconds === undefined) {
      delete next[priority];
    } else {
      next[priority] = seconds;
    }
    onChange(Object.keys(next).length > 0 ? next : undefined);
  };

  const add = () => {
    const p = newPriority.trim();
    if (p && !priorities.includes(p)) {
      set(p, SETTINGS_DEFAULTS.slaTargets.normal);
    }
    setNewPriority('');
  };

  return (
    <Field label="First-response SLA targets" description="Seconds per ticket priority; blank keeps the default.">
      <Stack direction="column" gap={1}>
        {priorities.map((p) => {
          const current = targets[p];
          const fallback = SETTINGS_DEFAULTS.slaTargets[p];
          const shown = current ?? fallback;
          return (
            <Stack key={p} direction="row" alignItems="center" gap={1}>
              <label htmlFor={`sa-sla-${p}`} style={{ width: 96 }}>
                {p}
              </label>
              <Input
                id={`sa-sla-${p}`}
                type="number"
                min={0}
                width={20}
                value={current ?? ''}
                placeholder={fallback !== undefined ? String(fallback) : ''}
                suffix={shown !== undefined ? humanSeconds(shown) : undefined}
                onChange={(e: ChangeEvent<HTMLInputElement>) => set(p, parseNumber(e.currentTarget.value))}
              />
              {!STANDARD_PRIORITIES.includes(p) && (
                <IconButton name="trash-alt" tooltip={`Remove the ${p} target`} onClick={() => set(p, undefined)} />
              )}
            </Stack>
          );
        })}
        <Stack direction="row" alignItems="center" gap={1}>
          <label htmlFor="sa-sla-new" style={{ width: 96 }}>
            Other priority
          </label>
          <Input
            id="sa-sla-new"
            width={20}
            placeholder="e.g. urgent"
            value={newPriority}
            onChange={(e: ChangeEvent<HTMLInputElement>) => setNewPriority(e.currentTarget.value)}
          />
          <Button variant="secondary" size="sm" icon="plus" onClick={add} disabled={newPriority.trim() === ''}>
            Add target
          </Button>
        </Stack>
      </Stack>
    </Field>
  );
}
