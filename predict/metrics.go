package predict

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

type serviceMetrics struct {
	latency   prometheus.Histogram
	serving   *prometheus.GaugeVec
	coverage  *prometheus.GaugeVec
	scored    prometheus.Counter
	fineTunes *prometheus.CounterVec
}

func newServiceMetrics() *serviceMetrics {
	return &serviceMetrics{
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "tickerlake_predict_forecast_seconds", Help: "Time to answer one forecast, features included.",
			Buckets: []float64{0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5},
		}),
		serving: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tickerlake_predict_serving_version", Help: "The serving model version's number, labelled by model and version (0: the built-in baseline).",
		}, []string{"model", "version"}),
		coverage: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tickerlake_predict_live_band_coverage", Help: "Share of served one-session-ahead forecasts whose band held the realised close, by band (50 or 90).",
		}, []string{"band"}),
		scored: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tickerlake_predict_live_forecasts_scored_total", Help: "Served forecasts scored against the realised close.",
		}),
		fineTunes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tickerlake_predict_fine_tunes_total", Help: "Fine-tune jobs by state reached (running, succeeded, failed).",
		}, []string{"status"}),
	}
}

func (m *serviceMetrics) register(reg prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{m.latency, m.serving, m.coverage, m.scored, m.fineTunes} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

func (m *serviceMetrics) setServing(meta Meta) {
	m.serving.Reset()
	n, _ := strconv.Atoi(strings.TrimPrefix(meta.Version, "v"))
	m.serving.WithLabelValues(meta.Serving, meta.Version).Set(float64(n))
}

type liveKey struct {
	sym  string
	date string
}

type bands struct{ q05, q25, q75, q95 float64 }

// liveCoverage scores the first session of served forecasts once the
// lake has that session's close: the bands' live coverage.
type liveCoverage struct {
	mu      sync.Mutex
	pending map[liveKey]bands
	n       int
	hit50   int
	hit90   int
}

// record keeps the first forecast served per symbol and session.
func (l *liveCoverage) record(sym string, p Point) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := liveKey{sym, p.Date}
	if _, ok := l.pending[k]; ok || len(l.pending) > 100000 {
		return
	}
	l.pending[k] = bands{p.Q05, p.Q25, p.Q75, p.Q95}
}

// observe scores the pending forecasts of s's symbol whose session it has.
func (l *liveCoverage) observe(s *Series, m *serviceMetrics) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.pending) == 0 {
		return
	}
	for i := s.Len() - 1; i >= 0 && i >= s.Len()-30; i-- {
		k := liveKey{s.Symbol, s.Dates[i].Format(time.DateOnly)}
		b, ok := l.pending[k]
		if !ok {
			continue
		}
		delete(l.pending, k)
		c := s.Close[i]
		l.n++
		if c >= b.q25 && c <= b.q75 {
			l.hit50++
		}
		if c >= b.q05 && c <= b.q95 {
			l.hit90++
		}
		m.scored.Inc()
		m.coverage.WithLabelValues("50").Set(float64(l.hit50) / float64(l.n))
		m.coverage.WithLabelValues("90").Set(float64(l.hit90) / float64(l.n))
	}
}
