import bars from '../../testdata/bars-msft-page1.json';
import type { Bar } from '../api/client';
import { toCsv } from '../shared/csv';
import { before } from '../shared/format';
import { PRESETS, adjustedOf, csvColumns } from './historical';

describe('historical CSV export', () => {
  it('writes the original StockData layout, one line per bar', () => {
    const rows = bars.bars as Bar[];
    const lines = toCsv(rows, csvColumns('MSFT')).trimEnd().split('\r\n');
    expect(lines[0]).toBe('StockName,Date,Open,High,Low,Close,Volume');
    expect(lines).toHaveLength(rows.length + 1);
    const b = rows[0];
    expect(lines[1]).toBe(`MSFT,${b.t},${b.open},${b.high},${b.low},${b.close},${b.volume}`);
  });
});

describe('range presets', () => {
  const cases = [
    { label: '5D', want: '2026-11-22' },
    { label: '1M', want: '2026-10-27' },
    { label: '3M', want: '2026-08-27' },
    { label: '6M', want: '2026-05-27' },
    { label: '1Y', want: '2025-11-27' },
  ];
  for (const c of cases) {
    it(`${c.label} starts ${c.want} for a range ending 2026-11-27`, () => {
      const p = PRESETS.find((x) => x.label === c.label)!;
      expect(before('2026-11-27', p.months, p.days)).toBe(c.want);
    });
  }
});

describe('adjusted toggle', () => {
  it('reads the adjusted query parameter', () => {
    expect(adjustedOf('true')).toBe(true);
    expect(adjustedOf('1')).toBe(true);
    expect(adjustedOf(undefined)).toBe(false);
    expect(adjustedOf('false')).toBe(false);
    expect(adjustedOf('')).toBe(false);
  });
});
