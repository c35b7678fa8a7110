import { TestBed } from '@angular/core/testing';
import search from '../../testdata/search-micro-soft.json';
import { recordedApi } from '../../testing/recorded-fetch';
import { SymbolSearch } from './symbol-search';

describe('SymbolSearch', () => {
  function render(routes: Parameters<typeof recordedApi>[0]) {
    const rec = recordedApi(routes);
    TestBed.configureTestingModule({
      imports: [SymbolSearch],
      providers: [
        ...rec.providers,
      ],
    });
    const fixture = TestBed.createComponent(SymbolSearch);
    const picked: string[] = [];
    fixture.componentInstance.picked.subscribe((s) => picked.push(s));
    fixture.detectChanges();
    const input = fixture.nativeElement.querySelector('input') as HTMLInputElement;
    return { fixture, input, picked, asked: rec.asked };
  }

  async function type(fixture: { whenStable(): Promise<unknown> }, input: HTMLInputElement, text: string) {
    input.value = text;
    input.dispatchEvent(new Event('input'));
    input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter' }));
    await fixture.whenStable();
    await new Promise((r) => setTimeout(r));
  }

  it('is labelled for screen readers', () => {
    const { input } = render({});
    expect(input.getAttribute('aria-label')).toContain('Search stocks');
  });

  it('opens the best match on Enter', async () => {
    const { fixture, input, picked, asked } = render({ '/api/v1/search?q=micro%20soft&limit=8': { body: search } });
    await type(fixture, input, 'micro soft');
    expect(asked).toContain('/api/v1/search?q=micro%20soft&limit=8');
    expect(picked).toEqual(['MSFT']);
  });

  it('opens nothing when nothing matches', async () => {
    const { fixture, input, picked } = render({ '/api/v1/search?q=zzzz&limit=8': { body: { query: 'zzzz', matches: [] } } });
    await type(fixture, input, 'zzzz');
    expect(picked).toEqual([]);
  });

  it('opens nothing when search fails', async () => {
    const { fixture, input, picked } = render({ '/api/v1/search?q=msft&limit=8': { status: 503, body: { title: 'Service Unavailable', status: 503 } } });
    await type(fixture, input, 'msft');
    expect(picked).toEqual([]);
  });
});
