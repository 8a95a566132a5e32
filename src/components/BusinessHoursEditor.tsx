import React, { ChangeEvent, useState } from 'react';
import {
  Button,
  Combobox,
  ComboboxOption,
  Field,
  IconButton,
  InlineField,
  Input,
  Stack,
  Switch,
  Text,
} from '@grafana/ui';

import { BusinessHours, OpenInterval, WEEKDAYS, Weekday } from '../types';

/** What switching business hours on starts from: Monday to Friday, 09:00 to 18:00. */
export const DEFAULT_BUSINESS_HOURS: BusinessHours = {
  week: {
    monday: [['09:00', '18:00']],
    tuesday: [['09:00', '18:00']],
    wednesday: [['09:00', '18:00']],
    thursday: [['09:00', '18:00']],
    friday: [['09:00', '18:00']],
  },
};

const TIME = /^([01]?\d|2[0-3]):[0-5]\d$|^24:00$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function minutes(t: string): number {
  const [h, m] = t.split(':').map(Number);
  return h * 60 + m;
}

function clock(total: number): string {
  return `${String(Math.floor(total / 60)).padStart(2, '0')}:${String(total % 60).padStart(2, '0')}`;
}

function title(day: Weekday): string {
  return day.charAt(0).toUpperCase() + day.slice(1);
}

/** The problem of one interval, as the backend would word it, or undefined. */
export function intervalProblem([start, end]: OpenInterval): string | undefined {
  if (!TIME.test(start) || !TIME.test(end) || start === '24:00') {
    return 'Times are HH:MM, from 00:00 to 24:00.';
  }
  if (minutes(end) <= minutes(start)) {
    return 'Ends before it starts: split a night across midnight into two days.';
  }
  return undefined;
}

interface Props {
  value?: BusinessHours;
  /** The data source's timezone setting: the team's zone when none is set here. */
  defaultZone: string;
  zones: Array<ComboboxOption<string>>;
  onChange: (value: BusinessHours | undefined) => void;
}

/** The team's opening hours (SPEC 5.3b) as a weekly grid, its time zone and its holidays; not raw JSON. */
export function BusinessHoursEditor({ value, defaultZone, zones, onChange }: Props) {
  const [holiday, setHoliday] = useState('');
  const enabled = value !== undefined;
  const week = value?.week ?? {};
  const holidays = value?.holidays ?? [];
  const open = WEEKDAYS.some((d) => (week[d] ?? []).length > 0);

  const set = (patch: Partial<BusinessHours>) => {
    const next: BusinessHours = { ...value, ...patch };
    for (const k of Object.keys(next) as Array<keyof BusinessHours>) {
      if (next[k] === undefined) {
        delete next[k];
      }
    }
    onChange(next);
  };
  const setDay = (day: Weekday, intervals: OpenInterval[]) => {
    const next = { ...week, [day]: intervals };
    if (intervals.length === 0) {
      delete next[day];
    }
    set({ week: next });
  };
  const addInterval = (day: Weekday) => {
    const list = week[day] ?? [];
    const last = list[list.length - 1];
    if (!last) {
      setDay(day, [['09:00', '18:00']]);
      return;
    }
    const from = TIME.test(last[1]) ? minutes(last[1]) : 18 * 60;
    setDay(day, [...list, [clock(Math.min(from + 60, 23 * 60)), clock(Math.min(from + 180, 24 * 60))]]);
  };
  const addHoliday = () => {
    if (DATE.test(holiday) && !holidays.includes(holiday)) {
      set({ holidays: [...holidays, holiday].sort() });
    }
    setHoliday('');
  };

  return (
    <Stack direction="column" gap={1}>
      <Field
        label="Business hours"
        description="Count only the team's opening hours in the business-hours metrics (and the SLA, with the business clock). Off: every hour counts."
        htmlFor="sa-businessHours"
      >
        <Switch
          id="sa-businessHours"
          value={enabled}
          onChange={(e: React.FormEvent<HTMLInputElement>) =>
            onChange(e.currentTarget.checked ? DEFAULT_BUSINESS_HOURS : undefined)
          }
        />
      </Field>
      {enabled && (
        <>
          <Field
            label="Team time zone"
            description="The zone the opening hours and holidays are in, whatever the dashboard's zone."
            htmlFor="sa-businessHours-timezone"
          >
            <Combobox
              id="sa-businessHours-timezone"
              width={40}
              isClearable
              createCustomValue
              placeholder={`${defaultZone} (time zone setting)`}
              options={zones}
              value={value?.timezone ?? null}
              onChange={(o) => set({ timezone: o?.value })}
            />
          </Field>
          <Field
            label="Opening hours"
            description="Per weekday, HH:MM in the team's zone; a day without interval is closed."
          >
            <Stack direction="column" gap={1}>
              {WEEKDAYS.map((day) => {
                const list = week[day] ?? [];
                return (
                  <Stack key={day} direction="row" alignItems="center" gap={1} wrap="wrap">
                    <div style={{ width: 96 }}>
                      <Text>{title(day)}</Text>
                    </div>
                    {list.length === 0 && <Text color="secondary">Closed</Text>}
                    {list.map((iv, k) => {
                      const id = `sa-bh-${day}-${k}`;
                      const problem = intervalProblem(iv);
                      const edit = (which: 0 | 1) => (e: ChangeEvent<HTMLInputElement>) => {
                        const next = list.map((x) => [...x] as OpenInterval);
                        next[k][which] = e.currentTarget.value.trim();
                        setDay(day, next);
                      };
                      return (
                        <Stack key={k} direction="row" alignItems="center" gap={0}>
                          <InlineField label="Opens" htmlFor={`${id}-start`} invalid={problem !== undefined}>
                            <Input
                              id={`${id}-start`}
                              aria-label={`${title(day)} interval ${k + 1} opens`}
                              width={9}
                              placeholder="09:00"
                              value={iv[0]}
                              invalid={problem !== undefined}
                              onChange={edit(0)}
                            />
                          </InlineField>
                          <InlineField label="Closes" htmlFor={`${id}-end`} invalid={problem !== undefined}>
                            <Input
                              id={`${id}-end`}
                              aria-label={`${title(day)} interval ${k + 1} closes`}
                              width={9}
                              placeholder="18:00"
                              value={iv[1]}
                              invalid={problem !== undefined}
                              onChange={edit(1)}
                            />
                          </InlineField>
                          <IconButton
                            name="trash-alt"
                            tooltip={`Remove ${title(day)} interval ${k + 1}`}
                            onClick={() =>
                              setDay(
                                day,
                                list.filter((_, j) => j !== k)
                              )
                            }
                          />
                          {problem && <Text color="error">{problem}</Text>}
                        </Stack>
                      );
                    })}
                    <Button
                      variant="secondary"
                      size="sm"
                      icon="plus"
                      aria-label={`Add an interval on ${title(day)}`}
                      disabled={list.length > 0 && list[list.length - 1][1] === '24:00'}
                      onClick={() => addInterval(day)}
                    >
                      Add
                    </Button>
                  </Stack>
                );
              })}
              {!open && (
                <Text color="error">
                  Give at least one weekday an opening interval: the data source refuses business hours that are never
                  open.
                </Text>
              )}
            </Stack>
          </Field>
          <Field label="Holidays" description="Dates closed all day, in the team's zone.">
            <Stack direction="column" gap={1}>
              {holidays.map((h) => (
                <Stack key={h} direction="row" alignItems="center" gap={1}>
                  <Text>{h}</Text>
                  <IconButton
                    name="trash-alt"
                    aria-label={`Remove holiday ${h}`}
                    onClick={() => set({ holidays: holidays.filter((x) => x !== h) })}
                  />
                </Stack>
              ))}
              <Stack direction="row" alignItems="center" gap={1}>
                <label htmlFor="sa-businessHours-holiday">Add a holiday</label>
                <Input
                  id="sa-businessHours-holiday"
                  type="date"
                  width={20}
                  value={holiday}
                  onChange={(e: ChangeEvent<HTMLInputElement>) => setHoliday(e.currentTarget.value)}
                />
                <Button variant="secondary" size="sm" icon="plus" onClick={addHoliday} disabled={!DATE.test(holiday)}>
                  Add holiday
                </Button>
              </Stack>
            </Stack>
          </Field>
        </>
      )}
    </Stack>
  );
}
