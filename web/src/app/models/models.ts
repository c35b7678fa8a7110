import { Component, DestroyRef, InjectionToken, computed, inject, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatButtonToggleModule } from '@angular/material/button-toggle';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import type { EChartsCoreOption } from 'echarts/core';
import { Api, FineTuneJob, Metrics, ModelVersion, ModelsReport } from '../api/client';
import { EChart } from '../shared/echart';
import { vol } from '../shared/format';
import { Loader } from '../shared/loader';
import { StateView } from '../shared/state-view';

/** How often a running fine-tune is asked for its progress. */
export const JOB_POLL_MS = new InjectionToken<number>('JOB_POLL_MS', { providedIn: 'root', factory: () => 2000 });

/** Readers' names of the baselines every model is scored beside. */
export const BASELINES: Record<string, string> = { ewma: 'EWMA', randomWalk: 'Random walk', impliedVol: 'Implied volatility' };

const COLORS = ['#0b57d0', '#8a5a00', '#6f6f78', '#0a7a33', '#b3261e', '#7d3fb2'];

export type Metric = keyof Metrics;

/** A model version as the charts and the table name it. */
export function modelLabel(m: Pick<ModelVersion, 'name' | 'version'>): string {
  return `${m.name} ${m.version}`;
}

/** The baselines the report has scores for, in the order of BASELINES then any others. */
export function baselineKeys(models: readonly ModelVersion[]): string[] {
  const seen = new Set(models.flatMap((m) => Object.keys(m.baselines ?? {})));
  return [...Object.keys(BASELINES).filter((k) => seen.has(k)), ...[...seen].filter((k) => !(k in BASELINES))];
}

/** A walk-forward score: four significant digits, tiny variances in exponent form. */
export function score(v: number | null | undefined): string {
  if (v == null || !Number.isFinite(v)) return '–';
  return v !== 0 && Math.abs(v) < 1e-3 ? v.toExponential(2) : String(+v.toPrecision(4));
}

/**
 * The models the charts set against the baselines: those that may serve, of
 * the serving version (or the newest when a baseline serves).
 */
export function candidates(models: readonly ModelVersion[], serving?: string): ModelVersion[] {
  const may = models.filter((m) => m.candidate !== false);
  const newest = may.reduce((a, m) => (a === undefined || m.trainedAt > a.trainedAt ? m : a), undefined as ModelVersion | undefined);
  const version = may.some((m) => m.version === serving) ? serving : newest?.version;
  return may.filter((m) => m.version === version);
}

/**
 * Whether a baseline's score counts against a model's: both over the same
 * forecasts (implied volatility exists only on some sessions, so its plain
 * QLIKE is over fewer forecasts than the model's and is left out).
 */
export function comparable(model: Partial<Metrics>, base: Partial<Metrics>, metric: Metric): boolean {
  const [a, b] = metric === 'qlikeWithIv' ? [model.nWithIv, base.nWithIv] : [model.n, base.n];
  return a == null || b == null || a === b;
}

/**
 * One metric for every model version beside its baselines, as grouped bars;
 * a target (coverage's nominal level) is drawn as a dashed line.
 */
export function metricOption(models: readonly ModelVersion[], metric: Metric, target?: number): EChartsCoreOption {
  const cats = models.map(modelLabel);
  const asShown = (v: number | null | undefined) => (v == null || !Number.isFinite(v) ? null : target != null ? +(v * 100).toFixed(2) : v);
  const series: object[] = [
    { name: 'Model', type: 'bar', data: models.map((m) => asShown(m.metrics?.[metric])), itemStyle: { color: COLORS[0] } },
    ...baselineKeys(models).map((k, i) => ({
      name: BASELINES[k] ?? k, type: 'bar',
      data: models.map((m) => {
        const b = m.baselines?.[k];
        return b && comparable(m.metrics, b, metric) ? asShown(b[metric]) : null;
      }),
      itemStyle: { color: COLORS[(i + 1) % COLORS.length] },
    })),
  ];
  if (target != null) {
    series.push({
      name: `Target ${target}%`, type: 'line', data: cats.map(() => target), showSymbol: false,
      lineStyle: { type: 'dashed', color: '#1b1b1f' }, itemStyle: { color: '#1b1b1f' },
    });
  }
  return {
    tooltip: { trigger: 'axis', valueFormatter: (v: number | null) => (target != null ? `${v ?? '–'}%` : score(v)) },
    legend: { top: 0 },
    grid: { left: 64, right: 24, top: 56, bottom: 40 },
    xAxis: { type: 'category', data: cats },
    // Scores of good models differ in the second or third digit: the axis
    // spans the values (with room below, so the lowest bar shows), not zero
    // to the largest.
    yAxis: {
      type: 'value', name: target != null ? 'Coverage %' : '', axisLabel: target != null ? {} : { formatter: score },
      min: (v: { min: number; max: number }) => +(v.min - Math.max(v.max - v.min, Math.abs(v.min) * 0.01) * 0.25).toPrecision(4),
    },
    series,
  };
}

/** /models: the saved model versions, which one serves and why, their walk-forward scores beside the baselines', and fine-tuning. */
@Component({
  selector: 'app-models',
  imports: [StateView, EChart, MatButtonModule, MatButtonToggleModule, MatFormFieldModule, MatInputModule, MatProgressBarModule],
  templateUrl: './models.html',
  styleUrl: './models.scss',
})
export class Models {
  private readonly api = inject(Api);
  private readonly pollMs = inject(JOB_POLL_MS);
  private destroyed = false;

  protected readonly report = new Loader<ModelsReport>((r) => !r.models?.length && !r.serving);
  protected readonly models = computed(() => this.report.value()?.models ?? []);
  protected readonly charted = computed(() => candidates(this.models(), this.report.value()?.serving.version));
  protected readonly band = signal<'cover50' | 'cover90'>('cover90');
  protected readonly qlikeOver = signal<'qlike' | 'qlikeWithIv'>('qlike');
  protected readonly qlike = computed(() => metricOption(this.charted(), this.qlikeOver()));
  protected readonly pinball = computed(() => metricOption(this.charted(), 'pinball'));
  protected readonly coverage = computed(() => metricOption(this.charted(), this.band(), this.band() === 'cover50' ? 50 : 90));

  protected readonly job = signal<FineTuneJob | undefined>(undefined);
  protected readonly jobError = signal('');
  protected readonly starting = signal(false);
  protected readonly running = computed(() => this.starting() || this.job()?.status === 'running');

  protected readonly score = score;
  protected readonly coverageOf = vol;
  protected readonly label = modelLabel;
  protected readonly count = (n: number | null | undefined) => (n == null ? '–' : n.toLocaleString('en-US'));

  constructor() {
    inject(DestroyRef).onDestroy(() => (this.destroyed = true));
    void this.report.run(() => this.api.models());
  }

  /** Starts a fine-tune with the admin key given and follows it to its outcome. */
  protected async fineTune(key: string): Promise<void> {
    this.jobError.set('');
    this.starting.set(true);
    try {
      let job = await this.api.fineTune(key.trim());
      this.job.set(job);
      while (job.status === 'running' && !this.destroyed) {
        await new Promise((r) => setTimeout(r, this.pollMs));
        job = await this.api.job(job.job);
        this.job.set(job);
      }
      if (job.status === 'succeeded') void this.report.run(() => this.api.models());
    } catch (e) {
      this.jobError.set(e instanceof Error ? e.message : String(e));
    } finally {
      this.starting.set(false);
    }
  }
}
