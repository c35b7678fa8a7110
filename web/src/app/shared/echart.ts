import { Component, ElementRef, OnDestroy, afterNextRender, effect, input, signal, viewChild } from '@angular/core';
import type { ECharts, EChartsCoreOption } from 'echarts/core';

/**
 * An Apache ECharts chart that redraws when its option changes and follows
 * its box's size. ECharts loads after the page has rendered, so tables and
 * controls do not wait for it.
 */
@Component({
  selector: 'app-echart',
  template: `
    <div #host class="chart" role="img" [attr.aria-label]="label()" [hidden]="failed()"></div>
    @if (failed()) { <p class="muted">Chart unavailable: {{ failed() }}</p> }
  `,
  styles: `
    :host { display: block; }
    .chart { height: var(--chart-height, 300px); width: 100%; }
  `,
})
export class EChart implements OnDestroy {
  readonly option = input.required<EChartsCoreOption>();
  readonly label = input.required<string>();
  private readonly host = viewChild.required<ElementRef<HTMLElement>>('host');
  private chart?: ECharts;
  private resize?: ResizeObserver;
  private destroyed = false;
  protected readonly failed = signal('');

  constructor() {
    afterNextRender(async () => {
      try {
        const { init } = await import('./echart-core');
        if (this.destroyed) return;
        const el = this.host().nativeElement;
        // Without a 2D canvas (jsdom, a locked-down browser) ECharts would
        // draw nothing and fail when disposed.
        if (!el.ownerDocument.createElement('canvas').getContext('2d')) throw new Error('this browser cannot draw on a canvas');
        this.chart = init(el, undefined, { renderer: 'canvas' });
        this.chart.setOption(this.withAria(this.option()), true);
        this.resize = new ResizeObserver(() => this.chart?.resize());
        this.resize.observe(el);
      } catch (e) {
        // The page stays usable without its chart (a chunk that failed to
        // load, a browser without canvas).
        this.failed.set(e instanceof Error ? e.message : String(e));
      }
    });
    effect(() => {
      const option = this.withAria(this.option());
      this.chart?.setOption(option, true);
    });
  }

  /** ECharts writes its own aria-label on the box; make it the chart's label. */
  private withAria(option: EChartsCoreOption): EChartsCoreOption {
    return { aria: { enabled: true, label: { description: this.label() } }, ...option };
  }

  ngOnDestroy(): void {
    this.destroyed = true;
    this.resize?.disconnect();
    this.chart?.dispose();
  }
}
