package ingest

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/tickerlake/tickerlake/metrics"
)

// countVec and gaugeVec register once per registry: several collectors or
// sources may share one metrics set.
type countVec struct{ v *prometheus.CounterVec }
type gaugeVec struct{ v *prometheus.GaugeVec }

func register[C prometheus.Collector](m *metrics.Set, c C) C {
	if m == nil || m.Registry == nil {
		return c
	}
	if err := m.Registry.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
	}
	return c
}

func newCountVec(m *metrics.Set, name, help string, labels ...string) *countVec {
	return &countVec{register(m, prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels))}
}

func newGaugeVec(m *metrics.Set, name, help string, labels ...string) *gaugeVec {
	return &gaugeVec{register(m, prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels))}
}

func (c *countVec) inc(labels ...string) { c.v.WithLabelValues(labels...).Inc() }

func (g *gaugeVec) set(x float64, labels ...string) { g.v.WithLabelValues(labels...).Set(x) }
