import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import quote from '../../testdata/quote-msft.json';
import { recordedApi } from '../../testing/recorded-fetch';
import { POPULAR } from '../shared/popular';
import { Home } from './home';

describe('Home', () => {
  async function render(routes: Parameters<typeof recordedApi>[0]) {
    const rec = recordedApi(routes);
    TestBed.configureTestingModule({
      imports: [Home],
      providers: [
        provideRouter([]),
        ...rec.providers,
      ],
    });
    const fixture = TestBed.createComponent(Home);
    fixture.detectChanges();
    await settle(fixture);
    return { fixture, el: fixture.nativeElement as HTMLElement };
  }

  async function settle(fixture: { whenStable(): Promise<unknown>; detectChanges(): void }) {
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r));
      await fixture.whenStable();
      fixture.detectChanges();
    }
  }

  it('shows the popular stocks it has quotes for', async () => {
    const { el } = await render({ '/api/v1/quotes/MSFT': { body: quote } });
    const cards = el.querySelectorAll('li.card');
    expect(cards).toHaveLength(1);
    expect(cards[0].textContent).toContain('MSFT');
    expect(cards[0].textContent).toContain(quote.price.toFixed(2));
    expect(el.querySelector('li.card a')?.getAttribute('href')).toBe('/HistoricalData?symbol=MSFT');
  });

  it('says why when no quote loads, and retries', async () => {
    const routes: Parameters<typeof recordedApi>[0] = {};
    for (const s of POPULAR) routes[`/api/v1/quotes/${s}`] = { status: 503, body: { title: 'Service Unavailable', status: 503, detail: 'lake unavailable' } };
    const { fixture, el } = await render(routes);
    const alert = el.querySelector('[role=alert]');
    expect(alert?.textContent).toContain('lake unavailable');
    routes['/api/v1/quotes/MSFT'] = { body: quote };
    (alert?.querySelector('button') as HTMLButtonElement).click();
    await settle(fixture);
    expect(el.querySelector('[role=alert]')).toBeNull();
    expect(el.querySelectorAll('li.card')).toHaveLength(1);
  });
});
