import { Component, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { Loader } from './loader';
import { StateView } from './state-view';

@Component({
  imports: [StateView],
  template: `<app-state [loader]="loader()" what="bars" empty="No bars in this range."><p class="content">chart</p></app-state>`,
})
class Host {
  readonly loader = signal(new Loader<number[]>());
}

describe('StateView', () => {
  async function render(setup: (l: Loader<number[]>) => Promise<void>) {
    const fixture = TestBed.createComponent(Host);
    await setup(fixture.componentInstance.loader());
    fixture.detectChanges();
    await fixture.whenStable();
    const el = fixture.nativeElement as HTMLElement;
    const content = el.querySelector('.content')!.parentElement as HTMLElement;
    return { fixture, el, contentHidden: content.hidden };
  }

  const never = () => new Promise<number[]>(() => {});
  const cases: {
    name: string;
    setup: (l: Loader<number[]>) => Promise<void>;
    text: string;
    hidden: boolean;
    alert: boolean;
    progress: boolean;
  }[] = [
    { name: 'loading', setup: async (l) => void l.run(never), text: 'Loading bars…', hidden: true, alert: false, progress: true },
    { name: 'ready', setup: (l) => l.run(async () => [1]), text: 'chart', hidden: false, alert: false, progress: false },
    { name: 'empty', setup: (l) => l.run(async () => []), text: 'No bars in this range.', hidden: true, alert: false, progress: false },
    {
      name: 'error',
      setup: (l) => l.run(async () => Promise.reject(new Error('lake unavailable'))),
      text: 'Could not load bars: lake unavailable',
      hidden: true,
      alert: true,
      progress: false,
    },
    {
      name: 'reloading keeps the content',
      setup: async (l) => {
        await l.run(async () => [1]);
        void l.run(never);
      },
      text: 'chart',
      hidden: false,
      alert: false,
      progress: true,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const { el, contentHidden } = await render(c.setup);
      expect(el.textContent).toContain(c.text);
      expect(contentHidden).toBe(c.hidden);
      expect(el.querySelector('[role=alert]') !== null).toBe(c.alert);
      expect(el.querySelector('mat-progress-bar') !== null).toBe(c.progress);
    });
  }

  it('retries from the error', async () => {
    let calls = 0;
    const { fixture, el } = await render((l) =>
      l.run(async () => {
        if (++calls === 1) throw new Error('timeout');
        return [1];
      }),
    );
    (el.querySelector('[role=alert] button') as HTMLButtonElement).click();
    await fixture.whenStable();
    fixture.detectChanges();
    expect(calls).toBe(2);
    expect(el.querySelector('[role=alert]')).toBeNull();
  });
});
