import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import chain from '../../testdata/chain-msft.json';
import expirations from '../../testdata/expirations-msft.json';
import surface from '../../testdata/surface-msft.json';
import { recordedApi } from '../../testing/recorded-fetch';
import { Options } from './options';

// The first render loads ECharts' chunk: allow it more than the default 5 s.
describe('Options', { timeout: 30_000 }, () => {
  async function render(body: unknown = chain) {
    const rec = recordedApi({
      '/api/v1/options/MSFT/expirations': { body: expirations },
      '/api/v1/options/MSFT/surface': { body: surface },
      [`/api/v1/options/MSFT/chain?expiration=${chain.expirations[0] ?? '2026-12-04'}`]: { body },
      '/api/v1/options/MSFT/chain?expiration=2026-12-04': { body },
    });
    TestBed.configureTestingModule({
      imports: [Options],
      providers: [
        provideRouter([]),
        ...rec.providers,
      ],
    });
    const fixture = TestBed.createComponent(Options);
    fixture.componentRef.setInput('symbol', 'msft');
    const settle = async () => {
      for (let i = 0; i < 4; i++) {
        await new Promise((r) => setTimeout(r));
        await fixture.whenStable();
        fixture.detectChanges();
      }
    };
    await settle();
    return { fixture, el: fixture.nativeElement as HTMLElement, asked: rec.asked, settle };
  }

  it('opens on the nearest expiration a week out, with calls and puts side by side', async () => {
    const { el, asked } = await render();
    expect(asked).toContain('/api/v1/options/MSFT/chain?expiration=2026-12-04');
    const table = el.querySelector('table.chain') as HTMLTableElement;
    expect(table.dataset['expiration']).toBe('2026-12-04');
    expect(table.querySelector('.calls-head')?.textContent).toBe('Calls');
    expect(table.querySelector('.puts-head')?.textContent).toBe('Puts');
    const rows = table.querySelectorAll('tbody tr');
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThanOrEqual(21);
    const ivs = [...table.querySelectorAll('td.iv')].map((td) => td.textContent?.trim());
    expect(ivs.some((v) => /^\d+\.\d%$/.test(v ?? ''))).toBe(true);
    expect(table.querySelectorAll('tr.atm')).toHaveLength(1);
  });

  it('shows a dash, not 0.0% and -1.000, for a quote without IV or Greeks', async () => {
    // A deep in-the-money put whose mid sits at intrinsic value: the API sends
    // null IV and Greeks (tickerlake_option_iv_unsolved_total, at_or_below_intrinsic).
    const c = structuredClone(chain);
    const strike = [...c.puts].sort((a, b) => Math.abs(a.strike - c.underlying_price) - Math.abs(b.strike - c.underlying_price))[0].strike;
    const put = c.puts.find((p) => p.strike === strike)!;
    Object.assign(put, { iv: null, delta: null, gamma: null, theta: null, vega: null, rho: null });
    const { el } = await render(c);
    const row = [...el.querySelectorAll('table.chain tbody tr')].find((r) => r.querySelector('th.strike')?.textContent?.trim() === strike.toFixed(2))!;
    expect(row).toBeTruthy();
    const putCells = [...row.querySelectorAll('td')].slice(10).map((td) => td.textContent?.trim());
    expect(putCells.slice(5)).toEqual(['–', '–', '–', '–', '–']);
    expect(row.querySelector('td.iv[data-kind="call"]')?.textContent?.trim()).toMatch(/^\d+\.\d%$/);
  });

  it('narrows the chain to five strikes either side of the money', async () => {
    const { el, fixture, settle } = await render();
    const five = [...el.querySelectorAll('mat-button-toggle button')].find((b) => b.textContent?.includes('±5')) as HTMLButtonElement;
    five.click();
    fixture.detectChanges();
    await settle();
    expect(el.querySelectorAll('table.chain tbody tr').length).toBeLessThanOrEqual(11);
  });

  it("asks for a contract's history when its last price is chosen", async () => {
    const { el, fixture, asked, settle } = await render();
    const button = el.querySelector('button[aria-label^="History of"]') as HTMLButtonElement;
    const contract = button.getAttribute('aria-label')!.replace('History of ', '');
    button.click();
    fixture.detectChanges();
    await settle();
    expect(asked).toContain(`/api/v1/contracts/${contract}?limit=500`);
    expect(el.querySelector('#history-title')?.textContent).toContain(contract);
  });
});
