package twelvedata

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/ingest/wire"

	"github.com/tickerlake/tickerlake/ingest/ratelimit"
	"github.com/tickerlake/tickerlake/market"
)

// Source collects bar tasks (daily, 15-minute, historical) from Twelve Data.
// Symbols are batched into calls of as many credits as a key may spend in
// its window, spread over the keys of Pool; calls for different keys run
// concurrently and a call is only made when its key has the credits, so the
// provider never has reason to answer 429.
type Source struct {
	Client   *Client
	Pool     *ratelimit.Pool
	Clock    clock.Clock      // default the system clock
	Calendar *market.Calendar // default NYSE
	Log      *slog.Logger     // default discards
	Metrics  *ingest.ProviderMetrics
	// MaxBatch caps symbols per call (default 120, the provider's batch limit);
	// the pool's per-window credits cap it further.
	MaxBatch int
	// PageBars is the most bars asked for in one call (default 5000, the
	// provider's outputsize limit); longer windows are paged by date.
	PageBars int
	// MaxAttempts bounds calls per symbol and page for errors other than
	// 429 (default 3); MaxThrottled bounds 429s (default 30).
	MaxAttempts, MaxThrottled int
	// ProgressEvery is how often progress is logged, in clock time (default 30s).
	ProgressEvery time.Duration
}

// Name implements ingest.Source.
func (s *Source) Name() string { return "twelvedata" }

// Instrument implements ingest.Instrumented.
func (s *Source) Instrument(log *slog.Logger, m *ingest.ProviderMetrics) {
	s.Log, s.Metrics = log, m
}

func (s *Source) defaults() {
	if s.Clock == nil {
		s.Clock = clock.System{}
	}
	if s.Calendar == nil {
		s.Calendar = market.NYSE()
	}
	if s.Log == nil {
		s.Log = slog.New(slog.DiscardHandler)
	}
	if s.MaxBatch <= 0 {
		s.MaxBatch = 120
	}
	if s.PageBars <= 0 || s.PageBars > 5000 {
		s.PageBars = 5000
	}
	if s.MaxAttempts <= 0 {
		s.MaxAttempts = 3
	}
	if s.MaxThrottled <= 0 {
		s.MaxThrottled = 30
	}
	if s.ProgressEvery <= 0 {
		s.ProgressEvery = 30 * time.Second
	}
}

// page is one window of bars, [from, to), that fits one call.
type page struct {
	from, to time.Time
}

// item is one symbol over one page: the unit of work and of credit.
type item struct {
	sym       string
	page      int
	attempts  int
	throttled int
}

// result is one finished call.
type result struct {
	grant ratelimit.Grant
	items []*item
	resp  *Response
	err   error
}

// Pages splits a task's window into pages of at most pageBars bars of the
// calendar's sessions; days and hours without a session get no page, so a
// task over a holiday makes no call at all.
func Pages(cal *market.Calendar, t ingest.Task, pageBars int) []page {
	var starts []time.Time
	switch t.Kind {
	case ingest.Intraday:
		for _, d := range cal.TradingDays(market.DateOf(t.From), market.DateOf(t.To)) {
			for _, b := range cal.Bars15(d) {
				if !b.Before(t.From) && b.Before(t.To) {
					starts = append(starts, b)
				}
			}
		}
	default:
		if !t.To.After(t.From) {
			return nil
		}
		for _, d := range cal.TradingDays(t.From, t.To.Add(-time.Nanosecond)) {
			if !d.Before(t.From) && d.Before(t.To) {
				starts = append(starts, d)
			}
		}
	}
	var pages []page
	for i := 0; i < len(starts); i += pageBars {
		j := min(i+pageBars, len(starts))
		p := page{from: starts[i], to: t.To}
		if j < len(starts) {
			p.to = starts[j]
		}
		pages = append(pages, p)
	}
	return pages
}

func interval(k ingest.Kind) string {
	if k == ingest.Intraday {
		return wire.Interval15Min
	}
	return wire.Interval1Day
}

func (p page) request(kind ingest.Kind, symbols []string) Request {
	r := Request{Symbols: symbols, Interval: interval(kind), OutputSize: 5000}
	if kind == ingest.Intraday {
		r.Start = p.from.In(market.NewYork).Format("2006-01-02 15:04:05")
		r.End = p.to.In(market.NewYork).Format("2006-01-02 15:04:05")
	} else {
		r.Start = p.from.Format("2006-01-02")
		r.End = p.to.Format("2006-01-02")
	}
	return r
}

// run is the state of one task's collection.
type run struct {
	s       *Source
	task    ingest.Task
	pages   []page
	queue   []*item
	total   int // items
	done    int
	failed  map[string]string
	empty   []string
	emit    func(ingest.Raw) error
	emitErr error // publishing failed: stop calling
	started time.Time
	logged  time.Time
}

// Fetch implements ingest.Source.
func (s *Source) Fetch(ctx context.Context, t ingest.Task, emit func(ingest.Raw) error) error {
	s.defaults()
	if s.Pool == nil || s.Client == nil {
		return errors.New("twelvedata: no API keys configured (TWELVEDATA_API_KEYS)")
	}
	switch t.Kind {
	case ingest.Daily, ingest.Intraday, ingest.Historical:
	default:
		return fmt.Errorf("twelvedata: %s tasks are not collected from Twelve Data", t.Kind)
	}
	r := &run{s: s, task: t, pages: Pages(s.Calendar, t, s.PageBars), failed: map[string]string{}, emit: emit}
	for pi := range r.pages {
		for _, sym := range ingest.TaskSymbols(t) {
			r.queue = append(r.queue, &item{sym: market.CanonicalSymbol(sym), page: pi})
		}
	}
	r.total = len(r.queue)
	if r.total == 0 {
		s.Log.Info("nothing to collect: no session in the task's window", "task", t.Short())
		return nil
	}
	r.started = s.Clock.Now()
	return r.dispatch(ctx)
}

// batch is how many items at the queue's head share its page, up to max.
func (r *run) batch(max int) int {
	n := 0
	for n < len(r.queue) && n < max && r.queue[n].page == r.queue[0].page {
		n++
	}
	return n
}

func (r *run) dispatch(ctx context.Context) error {
	s := r.s
	results := make(chan result)
	inflight := 0
	maxInflight := len(s.Pool.Keys())
	var stop error // why no further calls are made
	var resume time.Time
	for (len(r.queue) > 0 && stop == nil) || inflight > 0 {
		if r.emitErr != nil && stop == nil {
			stop = r.emitErr
		}
		if len(r.queue) == 0 || stop != nil || inflight >= maxInflight {
			r.handle(<-results)
			inflight--
			continue
		}
		now := s.Clock.Now()
		want := r.batch(s.MaxBatch)
		g, err := s.Pool.Peek(now, want)
		if err == nil && g.At.After(now) {
			if inflight > 0 {
				// A finished call may change the plan (a 429, a rejected key).
				r.handle(<-results)
				inflight--
				continue
			}
			r.progress(now, g.At.Sub(now))
			if err := s.Clock.Sleep(ctx, g.At.Sub(now)); err != nil {
				stop = err
			}
			continue
		}
		if err != nil {
			if inflight > 0 {
				r.handle(<-results)
				inflight--
				continue
			}
			var ex *ratelimit.DayExhaustedError
			if errors.As(err, &ex) {
				resume = ex.Reset
			}
			stop = err
			continue
		}
		g, err = s.Pool.Take(now, want)
		if err != nil {
			stop = err
			continue
		}
		items := r.queue[:g.Credits:g.Credits]
		r.queue = r.queue[g.Credits:]
		inflight++
		go func() {
			syms := make([]string, len(items))
			for i, it := range items {
				syms[i] = it.sym
			}
			resp, err := s.Client.TimeSeries(ctx, g.Key.Secret(), r.pages[items[0].page].request(r.task.Kind, syms))
			results <- result{grant: g, items: items, resp: resp, err: err}
		}()
	}
	r.progress(s.Clock.Now(), 0)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if r.emitErr != nil {
		return r.emitErr
	}
	if stop != nil && !errors.Is(stop, ctx.Err()) {
		var ex *ratelimit.DayExhaustedError
		switch {
		case errors.As(stop, &ex):
		case errors.Is(stop, ratelimit.ErrNoKeys):
			for _, it := range r.queue {
				r.failed[it.sym] = "every API key was rejected"
			}
			r.queue = nil
		default:
			return stop
		}
	}
	if len(r.failed) == 0 && len(r.queue) == 0 {
		return nil
	}
	ie := &ingest.IncompleteError{Task: r.task.Short(), Failed: r.failed, Resume: resume}
	seen := map[string]bool{}
	for _, it := range r.queue {
		if !seen[it.sym] {
			seen[it.sym] = true
			ie.Left = append(ie.Left, it.sym)
		}
	}
	sort.Strings(ie.Left)
	return ie
}

// requeue puts items back for another call, or fails those out of tries.
func (r *run) requeue(items []*item, throttled bool, cause error) {
	for _, it := range items {
		if throttled {
			it.throttled++
		} else {
			it.attempts++
		}
		switch {
		case it.attempts >= r.s.MaxAttempts:
			r.fail(it, cause.Error())
		case it.throttled >= r.s.MaxThrottled:
			r.fail(it, fmt.Sprintf("throttled %d times: %v", it.throttled, cause))
		default:
			r.queue = append(r.queue, it)
		}
	}
}

func (r *run) fail(it *item, reason string) {
	r.done++
	if prev, ok := r.failed[it.sym]; ok && prev != reason {
		reason = prev + "; " + reason
	}
	r.failed[it.sym] = reason
}

func (r *run) handle(res result) {
	s := r.s
	now := s.Clock.Now()
	key := res.grant.Key
	var apiErr *APIError
	switch {
	case res.err == nil:
		s.Metrics.Call(s.Name(), key.Label, ingest.OutcomeOK)
		if res.resp.CreditsLeft >= 0 {
			s.Pool.Observe(key, now, res.resp.CreditsLeft)
		}
		r.accept(res)
	case errors.As(res.err, &apiErr) && apiErr.DayExhausted():
		s.Metrics.Call(s.Name(), key.Label, ingest.OutcomeExhausted)
		s.Log.Warn("daily credits exhausted", "key", key.Label)
		s.Pool.Exhausted(key, now)
		r.queue = append(res.items, r.queue...)
	case errors.As(res.err, &apiErr) && apiErr.Throttled():
		s.Metrics.Call(s.Name(), key.Label, ingest.OutcomeThrottled)
		s.Log.Warn("throttled; waiting for the next window", "key", key.Label, "symbols", len(res.items))
		s.Pool.Throttled(key, now)
		r.requeue(res.items, true, res.err)
	case errors.As(res.err, &apiErr) && apiErr.Unauthorized():
		s.Metrics.Call(s.Name(), key.Label, ingest.OutcomeUnauthorized)
		s.Log.Error("api key rejected; not used again", "key", key.Label, "err", apiErr.Message)
		s.Pool.Disable(key, res.err)
		r.queue = append(res.items, r.queue...)
	case errors.As(res.err, &apiErr) && len(res.items) == 1 && !apiErr.Temporary():
		// A one-symbol call answers for its symbol, e.g. "**symbol** not found".
		s.Metrics.Call(s.Name(), key.Label, ingest.OutcomeOK)
		r.symbolError(res.items[0], apiErr)
	default:
		s.Metrics.Call(s.Name(), key.Label, ingest.OutcomeError)
		s.Log.Warn("time_series call failed", "key", key.Label, "symbols", len(res.items), "err", res.err)
		r.requeue(res.items, false, res.err)
	}
	s.Metrics.Credits(s.Name(), s.Pool.DayLeft(now))
	s.Metrics.KeyCreditsLeft(s.Name(), key.Label, s.Pool.KeyDayLeft(key, now))
	s.Metrics.Done(s.Name(), r.done, r.total)
}

func (r *run) symbolError(it *item, e *APIError) {
	switch {
	case e.NoData():
		r.done++
		r.empty = append(r.empty, it.sym)
	case e.Throttled() || e.DayExhausted():
		r.requeue([]*item{it}, true, e)
	case e.Temporary():
		r.requeue([]*item{it}, false, e)
	default:
		r.fail(it, e.Message)
	}
}

func (r *run) accept(res result) {
	for _, it := range res.items {
		if e, ok := res.resp.Errors[it.sym]; ok {
			r.symbolError(it, e)
			continue
		}
		raw, err := r.series(it, res.resp.Series[it.sym])
		if err != nil {
			r.requeue([]*item{it}, false, err)
			continue
		}
		r.done++
		if raw == nil {
			r.empty = append(r.empty, it.sym)
			continue
		}
		if r.emitErr == nil {
			if err := r.emit(*raw); err != nil {
				r.emitErr = fmt.Errorf("twelvedata: publish %s: %w", it.sym, err)
			}
		}
	}
}

// series checks one symbol's series and keeps the bars inside the page and
// the sessions; nil means the window had no bars.
func (r *run) series(it *item, body json.RawMessage) (*ingest.Raw, error) {
	ts, err := wire.DecodeTimeSeries(body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", it.sym, err)
	}
	pg := r.pages[it.page]
	iv := interval(r.task.Kind)
	kept := ts.Values[:0:0]
	for _, v := range ts.Values {
		f, err := v.Parse(iv)
		if err != nil {
			kept = append(kept, v) // the processor rejects it with its reason
			continue
		}
		if f.Time.Before(pg.from) || !f.Time.Before(pg.to) {
			continue
		}
		if iv == wire.Interval15Min && !r.s.Calendar.InSession(f.Time) ||
			iv == wire.Interval1Day && !r.s.Calendar.IsTradingDay(f.Time) {
			continue
		}
		kept = append(kept, v)
	}
	if len(kept) == 0 {
		return nil, nil
	}
	if len(kept) != len(ts.Values) {
		if body, err = replaceValues(body, kept); err != nil {
			return nil, fmt.Errorf("%s: %w", it.sym, err)
		}
	}
	topic, err := r.task.Kind.Topic()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", it.sym, err)
	}
	return &ingest.Raw{Topic: topic, Symbol: it.sym, Value: body,
		Headers: ingest.RawHeaders(r.s.Name(), r.task, wire.SchemaTimeSeries)}, nil
}

// replaceValues swaps a series' values and keeps every other field as sent.
func replaceValues(body json.RawMessage, vals []wire.TSValue) (json.RawMessage, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		return nil, fmt.Errorf("re-encode series: %w", err)
	}
	v, err := json.Marshal(vals)
	if err != nil {
		return nil, fmt.Errorf("re-encode series: %w", err)
	}
	obj["values"] = v
	return json.Marshal(obj)
}

// progress logs symbols done, credits left and the ETA, at most every
// ProgressEvery, and always when wait is zero (the end).
func (r *run) progress(now time.Time, wait time.Duration) {
	if wait > 0 && !r.logged.IsZero() && now.Sub(r.logged) < r.s.ProgressEvery {
		return
	}
	r.logged = now
	left := len(r.queue)
	eta, ok := r.s.Pool.Finish(now, left, r.s.MaxBatch)
	attrs := []any{"task", r.task.Short(), "done", r.done, "total", r.total, "failed", len(r.failed),
		"empty", len(r.empty), "credits_left", r.s.Pool.DayLeft(now), "elapsed", now.Sub(r.started).Round(time.Second)}
	if wait == 0 && left == 0 {
		if len(r.empty) > 0 {
			attrs = append(attrs, "without_bars", strings.Join(r.empty, ","))
		}
		r.s.Log.Info("collection finished", attrs...)
		return
	}
	if ok {
		attrs = append(attrs, "eta", eta.Sub(now).Round(time.Second))
	} else {
		attrs = append(attrs, "eta", "after the daily credits reset")
	}
	r.s.Log.Info("collection progress", attrs...)
}
