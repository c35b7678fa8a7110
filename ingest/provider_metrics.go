package ingest

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/tickerlake/tickerlake/metrics"
)

// register adds c to m's registry once: several collectors or sources may
// share one metrics set, and then share the collector already there.
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

func newCounterVec(m *metrics.Set, name, help string, labels ...string) *prometheus.CounterVec {
	return register(m, prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels))
}

func newGaugeVec(m *metrics.Set, name, help string, labels ...string) *prometheus.GaugeVec {
	return register(m, prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels))
}
