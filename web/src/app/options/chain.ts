import type { OptionRow } from '../api/client';

/** One strike of a chain: its call and its put side by side. */
export interface StrikeRow {
  strike: number;
  call?: OptionRow;
  put?: OptionRow;
}

/** Pairs calls and puts by strike, lowest strike first. */
export function pairByStrike(calls: readonly OptionRow[], puts: readonly OptionRow[]): StrikeRow[] {
  const byStrike = new Map<number, StrikeRow>();
  const row = (k: number) => byStrike.get(k) ?? byStrike.set(k, { strike: k }).get(k)!;
  for (const c of calls) row(c.strike).call = c;
  for (const p of puts) row(p.strike).put = p;
  return [...byStrike.values()].sort((a, b) => a.strike - b.strike);
}

/** The index of the strike nearest the underlying price (-1 for none). */
export function atmIndex(rows: readonly StrikeRow[], spot: number | null | undefined): number {
  if (spot == null || !rows.length) return -1;
  let best = 0;
  rows.forEach((r, i) => {
    if (Math.abs(r.strike - spot) < Math.abs(rows[best].strike - spot)) best = i;
  });
  return best;
}

/** The rows within `width` strikes of the money, or all when width is 0. */
export function aroundTheMoney(rows: readonly StrikeRow[], spot: number | null | undefined, width: number): StrikeRow[] {
  const i = atmIndex(rows, spot);
  if (!width || i < 0) return [...rows];
  return rows.slice(Math.max(0, i - width), i + width + 1);
}

/** The expiration to show first: the nearest at least a week out, else the nearest. */
export function defaultExpiration(exps: readonly { expiration: string; days_to_expiry: number }[]): string | undefined {
  return (exps.find((e) => e.days_to_expiry >= 7) ?? exps[0])?.expiration;
}
