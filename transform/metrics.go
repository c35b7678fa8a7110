package transform

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// ruleMetrics count what the cleaning rules did, beside metrics.Set's
// processed and dead-lettered counters (which carry the reason codes).
type ruleMetrics struct {
	imputed      *prometheus.CounterVec // dataset, method
	gapBars      *prometheus.CounterVec // dataset
	deduplicated *prometheus.CounterVec // dataset
	unsolved     *prometheus.CounterVec // dataset
}

// newRuleMetrics registers the counters on reg, reusing ones already there
// so several processors may share a registry.
func newRuleMetrics(reg prometheus.Registerer) (ruleMetrics, error) {
	vec := func(name, help string, labels ...string) (*prometheus.CounterVec, error) {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) {
				if existing, ok := are.ExistingCollector.(*prometheus.CounterVec); ok {
					return existing, nil
				}
			}
			return nil, err
		}
		return c, nil
	}
	var m ruleMetrics
	var err error
	for _, f := range []struct {
		dst    **prometheus.CounterVec
		name   string
		help   string
		labels []string
	}{
		{&m.imputed, "tickerlake_values_imputed_total", "Bar values filled in by the processor, by dataset and method.", []string{"dataset", "method"}},
		{&m.gapBars, "tickerlake_gap_bars_inserted_total", "Bars inserted for sessions missing from a series, by dataset.", []string{"dataset"}},
		{&m.deduplicated, "tickerlake_records_deduplicated_total", "Records dropped because a later one in the same message had the same key, by dataset.", []string{"dataset"}},
		{&m.unsolved, "tickerlake_option_iv_unsolved_total", "Option quotes with a price but no implied volatility, by dataset and reason (at_or_below_intrinsic, outside_bounds, vol_above_range, not_computable).", []string{"dataset", "reason"}},
	} {
		if *f.dst, err = vec(f.name, f.help, f.labels...); err != nil {
			return m, err
		}
	}
	return m, nil
}
