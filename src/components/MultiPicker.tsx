import React, { useCallback, useEffect, useRef, useState } from 'react';
import { ComboboxOption, MultiCombobox } from '@grafana/ui';

interface Props {
  id: string;
  placeholder: string;
  /** The chosen values, in order. */
  value: string[];
  /** The label of a chosen value (its pill). */
  labelOf: (value: string) => string;
  /** The options matching what is typed; only these can be picked unless allowCustom. */
  search: (input: string) => Promise<Array<ComboboxOption<string>>> | Array<ComboboxOption<string>>;
  onChange: (values: string[]) => void;
  minWidth: number;
  maxWidth: number;
  isClearable?: boolean;
  /** Also offer what is typed as a value (filter values outside the range's data). */
  allowCustom?: boolean;
}

function sameValues(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * A multi-value picker over searched options. Unlike a bare MultiCombobox it:
 * - clears the typed search text once a value is picked (MultiCombobox keeps it until the input loses
 *   focus): it is remounted, and the input focused again;
 * - reports a change once: in a browser, downshift calls MultiCombobox's onChange a second time with the
 *   same selection from a stale render, which ran each edit's query twice. A selection equal to the
 *   last one reported is not a change.
 */
export function MultiPicker(props: Props) {
  const { id, placeholder, value, labelOf, search, onChange, minWidth, maxWidth, isClearable, allowCustom } = props;
  const last = useRef(value);
  useEffect(() => {
    last.current = value;
  }, [value]);
  const typed = useRef('');
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    if (generation > 0) {
      document.getElementById(id)?.focus();
    }
  }, [generation, id]);

  const options = useCallback(
    async (input: string) => {
      typed.current = input;
      return search(input);
    },
    [search]
  );

  const pick = (selected: Array<ComboboxOption<string>>) => {
    const next = selected.map((o) => o.value);
    if (sameValues(next, last.current)) {
      return;
    }
    last.current = next;
    onChange(next);
    // The text still in the input counts too: the options loader may not have been called with the
    // last keystrokes yet (it is debounced) when the user picks.
    const input = document.getElementById(id) as HTMLInputElement | null;
    if (typed.current !== '' || (input?.value ?? '') !== '') {
      typed.current = '';
      setGeneration((g) => g + 1);
    }
  };

  return (
    <MultiCombobox<string>
      key={generation}
      id={id}
      width="auto"
      minWidth={minWidth}
      maxWidth={maxWidth}
      placeholder={placeholder}
      isClearable={isClearable}
      createCustomValue={allowCustom}
      options={options}
      value={value.map((v) => ({ value: v, label: labelOf(v) }))}
      onChange={pick}
    />
  );
}
