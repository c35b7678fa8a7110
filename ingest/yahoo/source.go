package yahoo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/ingest/wire"

	"github.com/tickerlake/tickerlake/ingest/ratelimit"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/stream"
)

// Source collects option-chain snapshots: for each symbol, every expiration
// within OptionDays of the task's instant, one message per expiration with
// the snapshot instant (the task's To) in the tl-snapshot-ts header. Taking
// the instant from the task rather than the wall clock makes a re-delivered
// task land on the same natural keys.
type Source struct {
	Client *Client
	// Pool paces calls; nil means NewPacing(DefaultPerMinute).
	Pool  *ratelimit.Pool
	Clock clock.Clock  // default the system clock
	Log   *slog.Logger // default discards
	// Metrics counts calls; nil counts nowhere.
	Metrics *ingest.ProviderMetrics
	// OptionDays is how far ahead expirations are collected (default 90).
	OptionDays int
	// MaxAttempts bounds calls per chain for 429s and server errors (default 6).
	MaxAttempts int
	// Backoff is the first pause after a 429, doubled on each retry, plus up
	// to as much again of jitter (default 2s; at most 5 minutes).
	Backoff time.Duration
	// Seed seeds the jitter.
	Seed uint64
	// ProgressEvery is how often progress is logged, in clock time (default 30s).
	ProgressEvery time.Duration

	rng *rand.Rand
}

// DefaultPerMinute is the default pace of calls to Yahoo.
const DefaultPerMinute = 60

// NewPacing returns a pool that allows perMinute calls a minute.
func NewPacing(perMinute int) *ratelimit.Pool {
	p, _ := ratelimit.NewPool(ratelimit.Limits{PerWindow: perMinute, Window: time.Minute, Margin: -1}, []string{"yahoo"})
	return p
}

// Name implements ingest.Source.
func (s *Source) Name() string { return "yahoo" }

// Instrument implements ingest.Instrumented.
func (s *Source) Instrument(log *slog.Logger, m *ingest.ProviderMetrics) { s.Log, s.Metrics = log, m }

func (s *Source) defaults() {
	if s.Pool == nil {
		s.Pool = NewPacing(DefaultPerMinute)
	}
	if s.Clock == nil {
		s.Clock = clock.System{}
	}
	if s.Log == nil {
		s.Log = slog.New(slog.DiscardHandler)
	}
	if s.OptionDays <= 0 {
		s.OptionDays = 90
	}
	if s.MaxAttempts <= 0 {
		s.MaxAttempts = 6
	}
	if s.Backoff <= 0 {
		s.Backoff = 2 * time.Second
	}
	if s.ProgressEvery <= 0 {
		s.ProgressEvery = 30 * time.Second
	}
	if s.rng == nil {
		s.rng = rand.New(rand.NewPCG(s.Seed, 0x9e3779b97f4a7c15))
	}
}

// Fetch implements ingest.Source.
func (s *Source) Fetch(ctx context.Context, t ingest.Task, emit func(ingest.Raw) error) error {
	if t.Kind != ingest.Options && t.Kind != ingest.Actions {
		return fmt.Errorf("yahoo: %s tasks are not collected from Yahoo", t.Kind)
	}
	s.defaults()
	collect := s.chain
	if t.Kind == ingest.Actions {
		collect = s.actions
	}
	syms := ingest.TaskSymbols(t)
	failed := map[string]string{}
	started, logged := s.Clock.Now(), time.Time{}
	for i, sym := range syms {
		if now := s.Clock.Now(); logged.IsZero() || now.Sub(logged) >= s.ProgressEvery {
			logged = now
			s.progress(t, i, len(syms), len(failed), started, now)
		}
		sym = market.CanonicalSymbol(sym)
		if err := collect(ctx, t, sym, emit); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			var pe *publishError
			if errors.As(err, &pe) {
				return pe.err
			}
			failed[sym] = err.Error()
			s.Log.Warn("collection failed", "kind", t.Kind, "symbol", sym, "err", err)
		}
		s.Metrics.Done(s.Name(), i+1, len(syms))
	}
	s.Log.Info("collection finished", "task", t.Short(), "done", len(syms), "total", len(syms), "failed", len(failed),
		"elapsed", s.Clock.Now().Sub(started).Round(time.Second))
	if len(failed) > 0 {
		return &ingest.IncompleteError{Task: t.Short(), Failed: failed}
	}
	return nil
}

func (s *Source) progress(t ingest.Task, done, total, failed int, started, now time.Time) {
	attrs := []any{"task", t.Short(), "done", done, "total", total, "failed", failed, "elapsed", now.Sub(started).Round(time.Second)}
	if done > 0 {
		eta := time.Duration(float64(now.Sub(started)) / float64(done) * float64(total-done))
		attrs = append(attrs, "eta", eta.Round(time.Second))
	}
	s.Log.Info("collection progress", attrs...)
}

// publishError is a failure to hand a message on, which stops the task.
type publishError struct{ err error }

func (e *publishError) Error() string { return e.err.Error() }

// chain collects one symbol: the nearest expiration's answer lists every
// expiration, then each other one within range is asked for.
func (s *Source) chain(ctx context.Context, t ingest.Task, sym string, emit func(ingest.Raw) error) error {
	ysym := market.YahooSymbol(sym)
	first, res, err := s.fetch(ctx, ysym, 0)
	if err != nil {
		return err
	}
	var errs []error
	for _, exp := range Expirations(res, t.To, s.OptionDays) {
		d := time.Unix(exp, 0).UTC()
		body := first
		if len(res.Options) == 0 || res.Options[0].ExpirationDate != exp {
			if body, _, err = s.fetch(ctx, ysym, exp); err != nil {
				if ctx.Err() != nil {
					return err
				}
				errs = append(errs, fmt.Errorf("expiration %s: %w", d.Format("2006-01-02"), err))
				continue
			}
		}
		raw := ingest.Raw{Topic: stream.OptionData, Symbol: sym, Value: body,
			Headers: ingest.RawHeaders(s.Name(), t, wire.SchemaOptionChain,
				stream.HeaderSnapshot, t.To.UTC().Format(time.RFC3339Nano))}
		if err := emit(raw); err != nil {
			return &publishError{fmt.Errorf("yahoo: publish %s: %w", sym, err)}
		}
	}
	return errors.Join(errs...)
}

// actions collects one symbol's dividends and splits over the task's window:
// one chart answer, published as Yahoo sent it. An unknown symbol's error
// answer, and an answer still cut short after every retry, are published
// too, so the processor dead-letters them with their reason.
func (s *Source) actions(ctx context.Context, t ingest.Task, sym string, emit func(ingest.Raw) error) error {
	var body []byte
	err := s.paced(ctx, market.YahooSymbol(sym), func() error {
		var err error
		body, err = s.Client.Chart(ctx, market.YahooSymbol(sym), t.From.Unix(), t.To.Unix())
		if err == nil && malformed(body) {
			return errMalformed
		}
		return err
	})
	if err != nil && !(errors.Is(err, errMalformed) && body != nil) {
		return err
	}
	topic, err := t.Kind.Topic()
	if err != nil {
		return err
	}
	raw := ingest.Raw{Topic: topic, Symbol: sym, Value: body, Headers: ingest.RawHeaders(s.Name(), t, wire.SchemaChartEvents)}
	if err := emit(raw); err != nil {
		return &publishError{fmt.Errorf("yahoo: publish %s: %w", sym, err)}
	}
	return nil
}

var errMalformed = errors.New("answer is not JSON")

// paced runs call, one paced call at a time, retrying 429s, server errors,
// transport failures and errMalformed with jittered exponential backoff.
func (s *Source) paced(ctx context.Context, ysym string, call func() error) error {
	var lastErr error
	for attempt := 0; attempt < s.MaxAttempts; attempt++ {
		g, err := s.Pool.Take(s.Clock.Now(), 1)
		if err != nil {
			return fmt.Errorf("yahoo pacing: %w", err)
		}
		if err := s.Clock.Sleep(ctx, g.At.Sub(s.Clock.Now())); err != nil {
			return err
		}
		err = call()
		var he *HTTPError
		switch {
		case err == nil:
			s.Metrics.Call(s.Name(), g.Key.Label, ingest.OutcomeOK)
			return nil
		case errors.As(err, &he) && he.Status == 429:
			s.Metrics.Call(s.Name(), g.Key.Label, ingest.OutcomeThrottled)
		case errors.As(err, &he) && he.Status == 401:
			s.Metrics.Call(s.Name(), g.Key.Label, ingest.OutcomeUnauthorized)
		default:
			s.Metrics.Call(s.Name(), g.Key.Label, ingest.OutcomeError)
		}
		lastErr = err
		if !IsTemporary(err) && !errors.Is(err, errMalformed) {
			return err
		}
		if attempt+1 < s.MaxAttempts {
			wait := s.backoff(attempt)
			s.Log.Warn("yahoo backing off", "symbol", ysym, "attempt", attempt+1, "wait", wait, "err", err)
			if err := s.Clock.Sleep(ctx, wait); err != nil {
				return err
			}
		}
	}
	return fmt.Errorf("gave up after %d attempts: %w", s.MaxAttempts, lastErr)
}

// Expirations lists a chain's expirations (unix seconds at 00:00 UTC of
// the date) from at's New York date through days later, each once, in order.
func Expirations(res wire.OptionResult, at time.Time, days int) []int64 {
	first := market.DateOf(at)
	last := first.AddDate(0, 0, days)
	var out []int64
	for _, exp := range res.ExpirationDates {
		d := time.Unix(exp, 0).UTC()
		if d.Before(first) || d.After(last) || slices.Contains(out, exp) {
			continue
		}
		out = append(out, exp)
	}
	slices.Sort(out)
	return out
}

// fetch makes one paced call, retrying 429s, server errors and malformed
// answers with jittered exponential backoff, and checks the answer decodes.
func (s *Source) fetch(ctx context.Context, ysym string, date int64) ([]byte, wire.OptionResult, error) {
	var (
		body     []byte
		res      wire.OptionResult
		noResult error
	)
	err := s.paced(ctx, ysym, func() error {
		b, err := s.Client.Options(ctx, ysym, date)
		if err != nil {
			return err
		}
		r, derr := wire.DecodeOptionChain(b)
		switch {
		case derr == nil:
			body, res = b, r
		case !malformed(b):
			// A well-formed answer without a chain: asking again will not help.
			res, noResult = r, derr
		default:
			return fmt.Errorf("%w: %w", errMalformed, derr)
		}
		return nil
	})
	if err == nil {
		err = noResult
	}
	return body, res, err
}

// malformed reports an answer that is not JSON at all, e.g. cut short.
func malformed(body []byte) bool { return body != nil && !json.Valid(body) }

func (s *Source) backoff(attempt int) time.Duration {
	d := s.Backoff << attempt
	if d > 5*time.Minute || d <= 0 {
		d = 5 * time.Minute
	}
	return d + time.Duration(s.rng.Int64N(int64(s.Backoff)))
}
