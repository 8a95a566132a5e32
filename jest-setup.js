// Jest setup provided by Grafana scaffolding
import './.config/jest-setup';

// @grafana/ui's Combobox sizes its menu with a canvas' measureText, which jsdom lacks (the scaffold's stub
// returns no context at all). A fixed-width font is close enough for layout in tests.
HTMLCanvasElement.prototype.getContext = () => ({
  font: '',
  measureText: (text) => ({ width: text.length * 8 }),
});

// jsdom has no IntersectionObserver; @grafana/ui's MultiCombobox observes its pills with one.
class IntersectionObserverStub {
  observe() {}
  unobserve() {}
  disconnect() {}
  takeRecords() {
    return [];
  }
}
Object.assign(global, { IntersectionObserver: IntersectionObserverStub });

// findBy*/waitFor wait 1 s by default: on a 2-core machine busy with other test suites, rendering
// @grafana/ui forms can take longer than that, and a slower machine is not a failure.
import { configure } from '@testing-library/react';
configure({ asyncUtilTimeout: 10000 });
