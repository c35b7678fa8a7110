/** Display formats shared by the pages; missing values show as an en dash. */

const DASH = '–';

export function price(v: number | null | undefined, digits = 2): string {
  return v == null || !Number.isFinite(v) ? DASH : v.toFixed(digits);
}

export function percent(v: number | null | undefined, digits = 2): string {
  if (v == null || !Number.isFinite(v)) return DASH;
  return `${v > 0 ? '+' : ''}${v.toFixed(digits)}%`;
}

/** An implied volatility given as a fraction (0.23 → 23.0%). */
export function vol(v: number | null | undefined): string {
  return v == null || !Number.isFinite(v) ? DASH : `${(v * 100).toFixed(1)}%`;
}

export function compact(v: number | null | undefined): string {
  if (v == null || !Number.isFinite(v)) return DASH;
  return new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 }).format(v);
}

/** A lag in seconds as "42 s", "12 min", "3.5 h" or "2.0 d". */
export function lag(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds)) return DASH;
  const s = Math.max(0, seconds);
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86400).toFixed(1)} d`;
}

export function direction(v: number | null | undefined): 'up' | 'down' | '' {
  if (v == null || !Number.isFinite(v) || v === 0) return '';
  return v > 0 ? 'up' : 'down';
}

/** YYYY-MM-DD of a date in UTC. */
export function isoDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** The date `months` months (and `days` days) before an ISO date. */
export function before(iso: string, months: number, days = 0): string {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() - months);
  d.setUTCDate(d.getUTCDate() - days);
  return isoDate(d);
}
