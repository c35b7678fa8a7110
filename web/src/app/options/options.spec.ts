import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import chain from '../../testdata/chain-msft.json';
import expirations from '../../testdata/expirations-msft.json';
import surface from '../../testdata/surface-msft.json';
import { recordedApi } from '../../testing/recorded-fetch';
import { Options } from './options';

// The first render loads ECharts' chunk: allow it more than the default 5 s.
describe('Options', { timeout: 30_000 }, () => {
  async function render() {
    const rec = recordedApi({
      '/api/v1/options/MSFT/expirations': { body: expirations },
      '/api/v1/options/MSFT/surface': { body: surface },
      [`/api/v1/options/MSFT/chain?expiration=${chain.expirations[0] ?? '2026-12-04'}`]: { body: chain },
      '/api/v1/options/MSFT/chain?expiration=2026-12-04': { body: chain },
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
