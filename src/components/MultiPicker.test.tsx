import React from 'react';
import { fireEvent, render, screen } from '@testing-library/react';
import { ComboboxOption } from '@grafana/ui';

import { MultiPicker } from './MultiPicker';

// In a browser, a pick in Grafana 12.4's MultiCombobox calls onChange a second time with the same
// selection (seen in Explore: two identical /api/ds/query requests per pick). jsdom does not reproduce
// downshift's timing, so this stand-in replays what the browser does: the pick, then the repeat.
jest.mock('@grafana/ui', () => ({
  ...jest.requireActual('@grafana/ui'),
  MultiCombobox: (props: {
    id: string;
    value: Array<ComboboxOption<string>>;
    onChange: (o: Array<ComboboxOption<string>>) => void;
  }) => {
    const pick = (v: string) => {
      const selected = [...props.value, { value: v, label: v }];
      props.onChange(selected);
      props.onChange(selected);
    };
    return (
      <button id={props.id} onClick={() => pick('csat')}>
        {props.value.map((o) => o.label).join(',')}
      </button>
    );
  },
}));

describe('MultiPicker', () => {
  it('reports a pick once when the combobox repeats it', () => {
    const onChange = jest.fn();
    function Controlled() {
      const [value, setValue] = React.useState(['tickets']);
      return (
        <MultiPicker
          id="p"
          placeholder="Choose"
          value={value}
          labelOf={(v) => v.toUpperCase()}
          search={() => []}
          onChange={(v) => {
            onChange(v);
            setValue(v);
          }}
          minWidth={10}
          maxWidth={20}
        />
      );
    }
    render(<Controlled />);
    expect(screen.getByRole('button')).toHaveTextContent('TICKETS');
    fireEvent.click(screen.getByRole('button'));
    expect(onChange).toHaveBeenCalledTimes(1);
    expect(onChange).toHaveBeenCalledWith(['tickets', 'csat']);
    expect(screen.getByRole('button')).toHaveTextContent('TICKETS,CSAT');
  });
});
