package jobs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/market"
)

// ErrMarketClosed says there is nothing to collect now: an option snapshot
// was asked for outside a session, or a session on a closed day.
var ErrMarketClosed = errors.New("market closed")

// ErrCollected says the window a run targets was already asked for, so a
// task for it would spend provider credits on data already on its way.
var ErrCollected = errors.New("already collected")

// NothingToCollect reports whether err means a run has nothing to publish.
func NothingToCollect(err error) bool {
	return errors.Is(err, ErrMarketClosed) || errors.Is(err, ErrCollected)
}

// Collect shapes the one-shot tasks `tickerlake run collect-*` and the
// collection trigger of the API publish.
type Collect struct {
	// Calendar decides sessions (default NYSE).
	Calendar *market.Calendar
	// Symbols to collect; empty means the whole universe.
	Symbols []string
	// HistoryYears is how far back collect-historical reaches (default 10).
	HistoryYears int
	// Date, for daily and 15-minute bars, is the session to collect instead
	// of the latest one; it must be a trading day. A chosen date is
	// collected again even when Ledger has it: that is what it is for.
	Date time.Time
	// Ledger lists the tasks already published; Plan asks only for what
	// they leave out. Nil plans from the calendar alone.
	Ledger Ledger
}

// JobNames lists the collection jobs, collect-KIND for every task kind the
// registry names, in registry order.
func JobNames() []string {
	var out []string
	for _, k := range ingest.Kinds() {
		out = append(out, "collect-"+string(k))
	}
	return out
}

// JobKind maps a job name (collect-KIND, see JobNames) to the kind of task
// it publishes.
func JobKind(job string) (ingest.Kind, error) {
	k := ingest.Kind(strings.TrimPrefix(job, "collect-"))
	for _, known := range ingest.Kinds() {
		if k == known && strings.HasPrefix(job, "collect-") {
			return k, nil
		}
	}
	return "", fmt.Errorf("unknown job %q (%s)", job, strings.Join(JobNames(), ", "))
}

// latestSession is the last session that has closed by now.
func latestSession(cal *market.Calendar, now time.Time) time.Time {
	d := market.DateOf(now)
	if _, closeT, ok := cal.Session(d); ok && !now.Before(closeT) {
		return d
	}
	return cal.PrevTradingDay(d)
}

// Task returns the task of kind for now, by the span the registry gives
// its feed (market.Span):
//   - session (daily): the latest closed session's date (or Date's);
//   - session so far (15min): today's bars so far during a session, else the
//     latest closed session's (or Date's);
//   - years (historical): daily bars of the HistoryYears up to the latest
//     closed session;
//   - window (actions): the feed's window (ten years) up to the latest
//     closed session;
//   - snapshot (options): a snapshot at now (to the minute) during a
//     session, at the close after it on a trading day, and ErrMarketClosed
//     otherwise.
//
// Closed days are skipped: on a weekend or holiday daily bars mean the
// session before, whose task (and so ID) is the one published then.
func (c Collect) Task(kind ingest.Kind, now time.Time) (ingest.Task, error) {
	feed, err := market.FeedForTask(string(kind))
	if err != nil {
		return ingest.Task{}, err
	}
	cal := c.Calendar
	if cal == nil {
		cal = market.NYSE()
	}
	now = now.UTC()
	session := latestSession(cal, now)
	if !c.Date.IsZero() {
		if feed.Span != market.SpanSession && feed.Span != market.SpanSessionSoFar {
			return ingest.Task{}, fmt.Errorf("a date picks the session of daily or 15min bars, not of %s", kind)
		}
		y, m, d := c.Date.Date() // a calendar date, as the market package keeps them
		session = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		if !cal.IsTradingDay(session) {
			name, _ := cal.Holiday(session)
			if name == "" {
				name = session.Weekday().String()
			}
			return ingest.Task{}, fmt.Errorf("%w on %s (%s): nothing to collect", ErrMarketClosed, session.Format("2006-01-02"), name)
		}
	}
	switch feed.Span {
	case market.SpanSession:
		return ingest.NewTask(kind, session, session.AddDate(0, 0, 1), c.Symbols...), nil
	case market.SpanSessionSoFar:
		if open, closeT, ok := cal.Session(market.DateOf(now)); ok && c.Date.IsZero() && now.Before(closeT) {
			if to := now.Truncate(15 * time.Minute); to.After(open) {
				return ingest.NewTask(kind, open, to, c.Symbols...), nil
			}
		}
		open, closeT, _ := cal.Session(session)
		return ingest.NewTask(kind, open, closeT, c.Symbols...), nil
	case market.SpanYears:
		years := c.HistoryYears
		if years <= 0 {
			years = 10
		}
		to := session.AddDate(0, 0, 1)
		return ingest.NewTask(kind, to.AddDate(-years, 0, 0), to, c.Symbols...), nil
	case market.SpanWindow:
		a := windowTask(feed, session.AddDate(0, 0, 1))
		return ingest.NewTask(kind, a.From, a.To, c.Symbols...), nil
	case market.SpanSnapshot:
		open, closeT, ok := cal.Session(market.DateOf(now))
		switch {
		case !ok || now.Before(open):
			next := cal.NextTradingDay(market.DateOf(now))
			if ok {
				next = market.DateOf(now)
			}
			nextOpen, _, _ := cal.Session(next)
			return ingest.Task{}, fmt.Errorf("%w: no option snapshot until the session opens at %s", ErrMarketClosed, nextOpen.Format(time.RFC3339))
		case !now.Before(closeT):
			return ingest.NewTask(kind, closeT, closeT, c.Symbols...), nil
		default:
			at := now.Truncate(time.Minute)
			return ingest.NewTask(kind, at, at, c.Symbols...), nil
		}
	}
	return ingest.Task{}, fmt.Errorf("task kind %q: the registry gives its feed no collection span", kind)
}

// PublishCollect publishes the task of kind for now, for the whole
// universe, to task-queue through w (whose Topic must be empty or
// task-queue) and returns it. It is what `tickerlake run collect-*` and the
// API's collection trigger do; ErrMarketClosed means nothing was published.
func PublishCollect(ctx context.Context, w *kafka.Writer, kind ingest.Kind, now time.Time) (ingest.Task, error) {
	return Collect{}.Publish(ctx, w, kind, now)
}

// Plan returns the task a run of kind at now publishes: Task's window less
// what Ledger's tasks of the same kind and symbols already cover. A window
// covered whole is ErrCollected, so a CronJob that fires twice for one
// session window, or on a holiday after the session before was collected,
// publishes nothing and spends no credits.
func (c Collect) Plan(ctx context.Context, kind ingest.Kind, now time.Time) (ingest.Task, error) {
	t, err := c.Task(kind, now)
	if err != nil || c.Ledger == nil || !c.Date.IsZero() {
		return t, err
	}
	done, err := c.Ledger.Published(ctx, kind)
	if err != nil {
		return ingest.Task{}, fmt.Errorf("tasks already published: %w", err)
	}
	rest, ok := Uncovered(t, done)
	if !ok {
		return t, fmt.Errorf("%w: task %s", ErrCollected, t.Short())
	}
	return rest, nil
}

// Publish publishes the task Plan returns, as PublishCollect does.
func (c Collect) Publish(ctx context.Context, w *kafka.Writer, kind ingest.Kind, now time.Time) (ingest.Task, error) {
	t, err := c.Plan(ctx, kind, now)
	if err != nil {
		return t, err
	}
	m, err := t.Message()
	if err != nil {
		return t, err
	}
	if w.Topic != "" {
		m.Topic = "" // a writer with a topic refuses messages naming one
	}
	if err := w.WriteMessages(ctx, m); err != nil {
		return t, fmt.Errorf("publish task %s: %w", t.ID, err)
	}
	return t, nil
}
