import { before, direction, lag, percent, price, vol } from './format';

describe('format', () => {
  const cases: { name: string; got: () => string; want: string }[] = [
    { name: 'price', got: () => price(123.456), want: '123.46' },
    { name: 'price digits', got: () => price(0.12345, 3), want: '0.123' },
    { name: 'price missing', got: () => price(null), want: '–' },
    { name: 'price NaN', got: () => price(Number.NaN), want: '–' },
    { name: 'percent up', got: () => percent(1.234), want: '+1.23%' },
    { name: 'percent down', got: () => percent(-0.5), want: '-0.50%' },
    { name: 'vol fraction', got: () => vol(0.2345), want: '23.4%' },
    { name: 'vol missing', got: () => vol(undefined), want: '–' },
    { name: 'lag seconds', got: () => lag(42), want: '42 s' },
    { name: 'lag minutes', got: () => lag(720), want: '12 min' },
    { name: 'lag hours', got: () => lag(3.5 * 3600), want: '3.5 h' },
    { name: 'lag days', got: () => lag(3 * 86400), want: '3.0 d' },
    { name: 'lag negative clamps', got: () => lag(-5), want: '0 s' },
    { name: 'a month back', got: () => before('2026-11-27', 1), want: '2026-10-27' },
    { name: 'a year back', got: () => before('2026-11-27', 12), want: '2025-11-27' },
    { name: 'five days back', got: () => before('2026-03-02', 0, 5), want: '2026-02-25' },
    { name: 'direction up', got: () => direction(0.1), want: 'up' },
    { name: 'direction flat', got: () => direction(0), want: '' },
  ];
  for (const c of cases) {
    it(c.name, () => expect(c.got()).toBe(c.want));
  }
});
