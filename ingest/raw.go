package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/metrics"
	"github.com/tickerlake/tickerlake/stream"
)

// RawHeaders are the headers every raw message carries: its encoding and
// schema, the source that fetched it and the task it belongs to, then kv.
func RawHeaders(source string, t Task, schema string, kv ...string) []kafka.Header {
	return stream.Headers(append([]string{
		stream.HeaderEncoding, stream.EncodingJSON,
		stream.HeaderSchema, schema,
		stream.HeaderSchemaVersion, "1",
		stream.HeaderSource, source,
		stream.HeaderTask, t.ID,
	}, kv...)...)
}

// TaskSymbols is the task's symbols, or the whole default universe when it
// names none.
func TaskSymbols(t Task) []string {
	if len(t.Symbols) > 0 {
		return t.Symbols
	}
	var out []string
	for _, c := range market.Universe() {
		out = append(out, c.Symbol)
	}
	return out
}

// Instrumented is a Source that reports to the collector's logger and
// metrics; the collector hands them over before the first Fetch.
type Instrumented interface {
	Instrument(log *slog.Logger, m *ProviderMetrics)
}

// Providers is a Source made of several providers, each with its own
// budget: the collector runs each provider's tasks in a lane of its own, so
// one provider's long task never holds up another's.
type Providers interface {
	Provider(k Kind) string
}

// Router sends each task kind to its own source, e.g. bars to Twelve Data
// and option chains to Yahoo.
type Router struct {
	Routes map[Kind]Source
}

// Name implements Source: the distinct source names, joined with "+".
func (r *Router) Name() string {
	seen := map[string]bool{}
	var names []string
	for _, k := range Kinds() {
		if s, ok := r.Routes[k]; ok && !seen[s.Name()] {
			seen[s.Name()] = true
			names = append(names, s.Name())
		}
	}
	return strings.Join(names, "+")
}

// Fetch implements Source.
func (r *Router) Fetch(ctx context.Context, t Task, emit func(Raw) error) error {
	s, ok := r.Routes[t.Kind]
	if !ok {
		return fmt.Errorf("no source collects %s tasks", t.Kind)
	}
	return s.Fetch(ctx, t, emit)
}

// Provider implements Providers: the name of the source kind's tasks are
// routed to, so the collector runs each provider in its own lane.
func (r *Router) Provider(k Kind) string {
	if s, ok := r.Routes[k]; ok {
		return s.Name()
	}
	return r.Name()
}

// Instrument implements Instrumented for every routed source.
func (r *Router) Instrument(log *slog.Logger, m *ProviderMetrics) {
	for _, s := range r.Routes {
		if in, ok := s.(Instrumented); ok {
			in.Instrument(log, m)
		}
	}
}

// IncompleteError is a task a source could only partly collect. What was
// collected has been emitted; Failed names each symbol that failed and why,
// and Left the symbols not attempted because the daily credits ran out,
// which can be collected again from Resume on.
type IncompleteError struct {
	Task   string
	Failed map[string]string // symbol -> reason
	Left   []string
	Resume time.Time
}

func (e *IncompleteError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "task %s incomplete", e.Task)
	if len(e.Failed) > 0 {
		syms := make([]string, 0, len(e.Failed))
		for s := range e.Failed {
			syms = append(syms, s)
		}
		sort.Strings(syms)
		fmt.Fprintf(&b, "; %d failed:", len(syms))
		for i, s := range syms {
			if i > 0 {
				b.WriteByte(';')
			}
			fmt.Fprintf(&b, " %s: %s", s, e.Failed[s])
		}
	}
	if len(e.Left) > 0 {
		fmt.Fprintf(&b, "; daily credits exhausted, %d left until %s: %s", len(e.Left),
			e.Resume.UTC().Format(time.RFC3339), strings.Join(e.Left, ","))
	}
	return b.String()
}

// AsIncomplete unwraps an IncompleteError.
func AsIncomplete(err error) (*IncompleteError, bool) {
	var ie *IncompleteError
	ok := errors.As(err, &ie)
	return ie, ok
}

// Provider call outcomes, the outcome label of ProviderMetrics.Calls.
const (
	OutcomeOK           = "ok"
	OutcomeThrottled    = "throttled"    // 429 for the window
	OutcomeExhausted    = "exhausted"    // 429 for the day
	OutcomeUnauthorized = "unauthorized" // key or crumb rejected
	OutcomeError        = "error"        // transport, server or decoding error
)

// ProviderMetrics count calls to market-data providers by source, key
// label (key1, key2, ...; never the key) and outcome.
type ProviderMetrics struct {
	Calls       *prometheus.CounterVec // source, key, outcome
	CreditsLeft *prometheus.GaugeVec   // source: daily credits left over all keys
	KeyCredits  *prometheus.GaugeVec   // source, key: daily credits left per key label
	Progress    *prometheus.GaugeVec   // source: share of the current task's symbols done
}

// NewProviderMetrics registers the provider metrics on m's registry, or
// reuses those already there; a nil m gives metrics that count nowhere.
func NewProviderMetrics(m *metrics.Set) *ProviderMetrics {
	pm := &ProviderMetrics{
		Calls: newCounterVec(m, "tickerlake_provider_calls_total",
			"Calls to market-data providers, by source, key label and outcome (ok, throttled, exhausted, unauthorized, error).",
			"source", "key", "outcome"),
		CreditsLeft: newGaugeVec(m, "tickerlake_provider_daily_credits_left",
			"Daily credits left over all keys of a source.", "source"),
		KeyCredits: newGaugeVec(m, "tickerlake_provider_key_daily_credits_left",
			"Daily credits left per key of a source, by key label (key1, key2, ...; 0 once the provider rejected the key).", "source", "key"),
		Progress: newGaugeVec(m, "tickerlake_provider_task_progress_ratio",
			"Share of the current task's symbols done, by source.", "source"),
	}
	return pm
}

// Call counts one provider call.
func (pm *ProviderMetrics) Call(source, key, outcome string) {
	if pm != nil {
		pm.Calls.WithLabelValues(source, key, outcome).Inc()
	}
}

// Credits sets a source's daily credits left; negative means unlimited and is not reported.
func (pm *ProviderMetrics) Credits(source string, left int) {
	if pm != nil && left >= 0 {
		pm.CreditsLeft.WithLabelValues(source).Set(float64(left))
	}
}

// KeyCreditsLeft sets one key's daily credits left; negative means
// unlimited and is not reported.
func (pm *ProviderMetrics) KeyCreditsLeft(source, key string, left int) {
	if pm != nil && left >= 0 {
		pm.KeyCredits.WithLabelValues(source, key).Set(float64(left))
	}
}

// Done sets a source's progress on its current task.
func (pm *ProviderMetrics) Done(source string, done, total int) {
	if pm != nil && total > 0 {
		pm.Progress.WithLabelValues(source).Set(float64(done) / float64(total))
	}
}
