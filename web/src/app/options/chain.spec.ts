import type { OptionRow } from '../api/client';
import { aroundTheMoney, atmIndex, defaultExpiration, pairByStrike } from './chain';

function row(strike: number, type: 'C' | 'P'): OptionRow {
  return { contractSymbol: `MSFT261218${type}${String(strike * 1000).padStart(8, '0')}`, strike } as OptionRow;
}

describe('chain', () => {
  const calls = [row(100, 'C'), row(90, 'C'), row(110, 'C')];
  const puts = [row(110, 'P'), row(100, 'P'), row(120, 'P')];

  it('pairs calls and puts by strike, lowest first', () => {
    const rows = pairByStrike(calls, puts);
    expect(rows.map((r) => r.strike)).toEqual([90, 100, 110, 120]);
    expect(rows[0].put).toBeUndefined();
    expect(rows[1].call?.contractSymbol).toBe('MSFT261218C00100000');
    expect(rows[1].put?.contractSymbol).toBe('MSFT261218P00100000');
    expect(rows[3].call).toBeUndefined();
  });

  const cases = [
    { name: 'spot between strikes', spot: 104, want: 1 },
    { name: 'spot nearer the upper strike', spot: 106, want: 2 },
    { name: 'spot below every strike', spot: 10, want: 0 },
    { name: 'no spot', spot: null, want: -1 },
  ];
  for (const c of cases) {
    it(`finds the money: ${c.name}`, () => expect(atmIndex(pairByStrike(calls, puts), c.spot)).toBe(c.want));
  }

  it('keeps the strikes around the money', () => {
    const rows = pairByStrike(calls, puts);
    expect(aroundTheMoney(rows, 111, 1).map((r) => r.strike)).toEqual([100, 110, 120]);
    expect(aroundTheMoney(rows, 111, 0)).toHaveLength(4);
    expect(aroundTheMoney(rows, null, 1)).toHaveLength(4);
  });

  it('starts at the nearest expiration a week out', () => {
    expect(defaultExpiration([{ expiration: 'a', days_to_expiry: 2 }, { expiration: 'b', days_to_expiry: 9 }])).toBe('b');
    expect(defaultExpiration([{ expiration: 'a', days_to_expiry: 2 }])).toBe('a');
    expect(defaultExpiration([])).toBeUndefined();
  });
});
