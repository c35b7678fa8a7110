package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/stream"
)

// Scheduler publishes collection tasks as market time passes, each feed's
// when the registry says (market.Due): a 15-minute task as each bar
// completes, an option snapshot every OptionEvery during the session (and
// at the close), the daily bar at each close, and the dividends and splits
// of the registry's window (ten years) at the close of each week's first
// session. On its first start it backfills, so the lake has data at once.
type Scheduler struct {
	Kafka    stream.Cluster
	Calendar *market.Calendar
	Log      *slog.Logger
	// StatePath keeps the scheduler's position across restarts.
	StatePath string
	// Speed is how much faster than real time market time runs until it
	// catches up (1 = real time). Default 60.
	Speed float64
	// ReplaySessions is how many recent sessions are played at Speed rather
	// than backfilled (default 2).
	ReplaySessions int
	// BackfillDays of daily bars and BackfillSessions of 15-minute bars and
	// closing option snapshots are published on first start (defaults 365, 3).
	BackfillDays     int
	BackfillSessions int
	// OptionEvery is the snapshot interval inside a session (default 1h).
	OptionEvery time.Duration
	// Clock is the real clock (default the system's); market time runs on
	// a DemoClock over it.
	Clock clock.Clock
	// Tick is how often the clock is read (default 250ms).
	Tick time.Duration

	clock *DemoClock
	w     *kafka.Writer
}

type state struct {
	Position time.Time `json:"position"` // market time up to which tasks are published
}

func (s *Scheduler) defaults() {
	if s.Speed == 0 {
		s.Speed = 60
	}
	if s.ReplaySessions == 0 {
		s.ReplaySessions = 2
	}
	if s.BackfillDays == 0 {
		s.BackfillDays = 365
	}
	if s.BackfillSessions == 0 {
		s.BackfillSessions = 3
	}
	if s.OptionEvery == 0 {
		s.OptionEvery = time.Hour
	}
	s.Clock = clock.Or(s.Clock)
	if s.Tick == 0 {
		s.Tick = 250 * time.Millisecond
	}
}

// Run publishes tasks until ctx ends.
func (s *Scheduler) Run(ctx context.Context) error {
	s.defaults()
	s.w = stream.NewWriter(s.Kafka, stream.TaskQueue)
	defer func() {
		if err := s.w.Close(); err != nil {
			s.Log.Warn("close task producer", "err", err)
		}
	}()
	st, err := s.load()
	if err != nil {
		return err
	}
	if st.Position.IsZero() {
		start := s.replayStart()
		if err := s.backfill(ctx, start); err != nil {
			return err
		}
		st.Position = start
		if err := s.save(st); err != nil {
			return err
		}
	}
	s.clock = NewDemoClock(s.Calendar, st.Position, s.Speed, s.Clock)
	s.Log.Info("scheduler started", "position", st.Position, "speed", s.Speed)
	t := time.NewTicker(s.Tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		now := s.clock.Now()
		if !now.After(st.Position) {
			continue
		}
		if err := s.publish(ctx, s.Due(st.Position, now)...); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		st.Position = now
		if err := s.save(st); err != nil {
			return err
		}
	}
}

// replayStart is the open of the session ReplaySessions back from now.
func (s *Scheduler) replayStart() time.Time {
	now := s.Clock.Now()
	d := market.DateOf(now)
	if open, _, ok := s.Calendar.Session(d); !ok || now.Before(open) {
		d = s.Calendar.PrevTradingDay(d)
	}
	for i := 1; i < s.ReplaySessions; i++ {
		d = s.Calendar.PrevTradingDay(d)
	}
	open, _, _ := s.Calendar.Session(d)
	return open
}

// scheduled lists the task kinds the registry has the scheduler publish
// at due, in registry order.
func scheduled(due market.Due) []ingest.Kind {
	var out []ingest.Kind
	for _, f := range market.Feeds() {
		if f.Task != "" && f.Due == due {
			out = append(out, ingest.Kind(f.Task))
		}
	}
	return out
}

// Backfill returns the first-start tasks for market time before start.
func (s *Scheduler) Backfill(start time.Time) []ingest.Task {
	s.defaults()
	day := market.DateOf(start)
	var tasks []ingest.Task
	for _, k := range scheduled(market.DueClose) {
		tasks = append(tasks, ingest.NewTask(k, day.AddDate(0, 0, -s.BackfillDays), day))
	}
	first := day
	var closes []time.Time
	for i := 0; i < s.BackfillSessions; i++ {
		first = s.Calendar.PrevTradingDay(first)
		_, closeT, _ := s.Calendar.Session(first)
		closes = append(closes, closeT)
	}
	for _, k := range scheduled(market.DueSnapshots) {
		for _, closeT := range closes {
			tasks = append(tasks, ingest.NewTask(k, closeT, closeT))
		}
	}
	open, _, _ := s.Calendar.Session(first)
	for _, k := range scheduled(market.DueEachBar) {
		tasks = append(tasks, ingest.NewTask(k, open, start))
	}
	for _, k := range scheduled(market.DueWeekly) {
		tasks = append(tasks, windowTaskOf(k, day))
	}
	return tasks
}

// firstOfWeek reports whether d is its week's first session.
func firstOfWeek(cal *market.Calendar, d time.Time) bool {
	py, pw := cal.PrevTradingDay(d).ISOWeek()
	y, w := d.ISOWeek()
	return py != y || pw != w
}

// windowTask collects the feed's Window up to the date's start.
func windowTask(feed market.Feed, day time.Time) ingest.Task {
	return ingest.NewTask(ingest.Kind(feed.Task), day.Add(-feed.Window), day)
}

// windowTaskOf is windowTask for a task kind the registry lists.
func windowTaskOf(kind ingest.Kind, day time.Time) ingest.Task {
	feed, _ := market.FeedForTask(string(kind)) // kind comes from the registry
	return windowTask(feed, day)
}

func (s *Scheduler) backfill(ctx context.Context, start time.Time) error {
	tasks := s.Backfill(start)
	s.Log.Info("backfill", "tasks", len(tasks), "until", start)
	return s.publish(ctx, tasks...)
}

// Due returns the tasks for market events in (from, to].
func (s *Scheduler) Due(from, to time.Time) []ingest.Task {
	s.defaults()
	var tasks []ingest.Task
	var barFrom, barTo time.Time
	for d := market.DateOf(from); !d.After(market.DateOf(to)); d = d.AddDate(0, 0, 1) {
		open, closeT, ok := s.Calendar.Session(d)
		if !ok {
			continue
		}
		for _, b := range s.Calendar.Bars15(d) {
			end := b.Add(15 * time.Minute)
			if end.After(from) && !end.After(to) {
				if barFrom.IsZero() {
					barFrom = b
				}
				barTo = end
			}
		}
		snaps := []time.Time{}
		for t := open.Add(s.OptionEvery).Truncate(s.OptionEvery); t.Before(closeT); t = t.Add(s.OptionEvery) {
			snaps = append(snaps, t)
		}
		for _, k := range scheduled(market.DueSnapshots) {
			for _, t := range append(snaps, closeT) {
				if t.After(from) && !t.After(to) {
					tasks = append(tasks, ingest.NewTask(k, t, t))
				}
			}
		}
		if closeT.After(from) && !closeT.After(to) {
			for _, k := range scheduled(market.DueClose) {
				tasks = append(tasks, ingest.NewTask(k, d, d.AddDate(0, 0, 1)))
			}
			if firstOfWeek(s.Calendar, d) {
				for _, k := range scheduled(market.DueWeekly) {
					tasks = append(tasks, windowTaskOf(k, d.AddDate(0, 0, 1)))
				}
			}
		}
	}
	if !barFrom.IsZero() {
		var bars []ingest.Task
		for _, k := range scheduled(market.DueEachBar) {
			bars = append(bars, ingest.NewTask(k, barFrom, barTo))
		}
		tasks = append(bars, tasks...)
	}
	return tasks
}

func (s *Scheduler) publish(ctx context.Context, tasks ...ingest.Task) error {
	if len(tasks) == 0 {
		return nil
	}
	return Publish(ctx, s.w, tasks...)
}

// Publish puts tasks on task-queue, keyed by kind.
func Publish(ctx context.Context, w *kafka.Writer, tasks ...ingest.Task) error {
	msgs := make([]kafka.Message, len(tasks))
	for i, t := range tasks {
		b, err := json.Marshal(t)
		if err != nil {
			return fmt.Errorf("encode task %s: %w", t.ID, err)
		}
		msgs[i] = kafka.Message{Key: []byte(t.Kind), Value: b, Headers: stream.Headers(stream.HeaderTask, t.ID)}
	}
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		return fmt.Errorf("publish %d tasks: %w", len(tasks), err)
	}
	return nil
}

func (s *Scheduler) load() (state, error) {
	var st state
	if s.StatePath == "" {
		return st, nil
	}
	b, err := os.ReadFile(s.StatePath)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("read scheduler state: %w", err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("scheduler state %s: %w", s.StatePath, err)
	}
	return st, nil
}

func (s *Scheduler) save(st state) error {
	if s.StatePath == "" {
		return nil
	}
	b, _ := json.Marshal(st)
	tmp := s.StatePath + ".tmp"
	if err := os.MkdirAll(filepath.Dir(s.StatePath), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("write scheduler state: %w", err)
	}
	return os.Rename(tmp, s.StatePath)
}
