package jobs

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/stream"
)

func TestUncovered(t *testing.T) {
	bars := func(from, to string) ingest.Task {
		return ingest.NewTask(ingest.Intraday, nyTime(from), nyTime(to))
	}
	session := bars("2027-03-01 09:30", "2027-03-01 16:00")
	tests := []struct {
		name string
		t    ingest.Task
		done []ingest.Task
		want ingest.Task // zero: covered
	}{
		{"nothing published", session, nil, session},
		{"the bars since the last run", session,
			[]ingest.Task{bars("2027-03-01 09:30", "2027-03-01 10:00"), bars("2027-03-01 10:00", "2027-03-01 15:30")},
			bars("2027-03-01 15:30", "2027-03-01 16:00")},
		{"published out of order", session,
			[]ingest.Task{bars("2027-03-01 10:00", "2027-03-01 16:00"), bars("2027-03-01 09:30", "2027-03-01 10:00")},
			ingest.Task{}},
		{"a gap is asked for again, and what follows it", session,
			[]ingest.Task{bars("2027-03-01 09:30", "2027-03-01 10:00"), bars("2027-03-01 10:30", "2027-03-01 11:00")},
			bars("2027-03-01 10:00", "2027-03-01 16:00")},
		{"the previous session does not count", session,
			[]ingest.Task{bars("2027-02-26 09:30", "2027-02-26 16:00")}, session},
		{"other symbols do not count", session,
			[]ingest.Task{ingest.NewTask(ingest.Intraday, session.From, session.To, "AAPL")}, session},
		{"the same symbols in another order count",
			ingest.NewTask(ingest.Intraday, session.From, session.To, "MSFT", "AAPL"),
			[]ingest.Task{ingest.NewTask(ingest.Intraday, session.From, session.To, "AAPL", "MSFT")}, ingest.Task{}},
		{"a snapshot taken", ingest.NewTask(ingest.Options, nyTime("2027-11-26 13:00"), nyTime("2027-11-26 13:00")),
			[]ingest.Task{ingest.NewTask(ingest.Options, nyTime("2027-11-26 13:00"), nyTime("2027-11-26 13:00"))}, ingest.Task{}},
		{"a snapshot not taken", ingest.NewTask(ingest.Options, nyTime("2027-11-26 13:00"), nyTime("2027-11-26 13:00")),
			[]ingest.Task{ingest.NewTask(ingest.Options, nyTime("2027-11-26 12:00"), nyTime("2027-11-26 12:00"))},
			ingest.NewTask(ingest.Options, nyTime("2027-11-26 13:00"), nyTime("2027-11-26 13:00"))},
		{"history since last week's", ingest.NewTask(ingest.Historical, day("2017-03-07"), day("2027-03-06")),
			[]ingest.Task{ingest.NewTask(ingest.Historical, day("2017-02-28"), day("2027-02-27"))},
			ingest.NewTask(ingest.Historical, day("2027-02-27"), day("2027-03-06"))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := Uncovered(tc.t, tc.done)
			if want := tc.want.ID != ""; ok != want {
				t.Fatalf("uncovered %v, want %v (%s)", ok, want, got.ID)
			}
			if ok && got.ID != tc.want.ID {
				t.Errorf("got %s, want %s", got.ID, tc.want.ID)
			}
		})
	}
}

// TestPlanAsksOnlyForWhatIsNew runs the jobs in the order a day's CronJobs
// fire them, each against the tasks the runs before it published.
func TestPlanAsksOnlyForWhatIsNew(t *testing.T) {
	steps := []struct {
		name     string
		kind     ingest.Kind
		now      string // New York
		from, to string // New York; empty: nothing published
	}{
		{"the first run of the day", ingest.Intraday, "2027-11-24 10:05", "2027-11-24 09:30", "2027-11-24 10:00"},
		{"the same run again", ingest.Intraday, "2027-11-24 10:06", "", ""},
		{"the next run: its own bars", ingest.Intraday, "2027-11-24 10:35", "2027-11-24 10:00", "2027-11-24 10:30"},
		{"after a missed run: every bar since", ingest.Intraday, "2027-11-24 11:35", "2027-11-24 10:30", "2027-11-24 11:30"},
		{"the close", ingest.Intraday, "2027-11-24 16:05", "2027-11-24 11:30", "2027-11-24 16:00"},
		{"after the close", ingest.Intraday, "2027-11-24 16:35", "", ""},
		{"the daily bar", ingest.Daily, "2027-11-24 16:30", "2027-11-24 00:00", "2027-11-25 00:00"},
		{"the close snapshot", ingest.Options, "2027-11-24 16:00", "2027-11-24 16:00", "2027-11-24 16:00"},
		{"Thanksgiving: no bars", ingest.Intraday, "2027-11-25 10:05", "", ""},
		{"Thanksgiving: no daily bar", ingest.Daily, "2027-11-25 16:30", "", ""},
		{"Thanksgiving: no snapshot", ingest.Options, "2027-11-25 12:00", "", ""},
		{"the early close's last snapshot", ingest.Options, "2027-11-26 13:00", "2027-11-26 13:00", "2027-11-26 13:00"},
		{"no repeat after the early close", ingest.Options, "2027-11-26 14:00", "", ""},
		{"the early close's bars at once", ingest.Intraday, "2027-11-26 13:05", "2027-11-26 09:30", "2027-11-26 13:00"},
		{"none after the early close", ingest.Intraday, "2027-11-26 13:35", "", ""},
		{"Monday before the open", ingest.Intraday, "2027-11-29 09:15", "", ""},
		{"the weekly history", ingest.Historical, "2027-11-27 06:00", "2017-11-27 00:00", "2027-11-27 00:00"},
		{"the weekly history again", ingest.Historical, "2027-11-27 07:00", "", ""},
	}
	var log TaskLog
	c := Collect{Ledger: &log}
	for _, st := range steps {
		task, err := c.Plan(context.Background(), st.kind, nyTime(st.now))
		if st.from == "" {
			if !NothingToCollect(err) {
				t.Errorf("%s: published %s (err %v), want nothing", st.name, task.ID, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		from, to := nyTime(st.from), nyTime(st.to)
		if st.kind == ingest.Daily || st.kind == ingest.Historical {
			from, to = day(st.from[:10]), day(st.to[:10])
		}
		if !task.From.Equal(from) || !task.To.Equal(to) {
			t.Errorf("%s: window [%v, %v), want [%v, %v)", st.name, task.From, task.To, from, to)
		}
		log = append(log, task)
	}
	forced := Collect{Ledger: &log, Date: day("2027-11-24")}
	if _, err := forced.Plan(context.Background(), ingest.Daily, nyTime("2027-11-29 18:00")); err != nil {
		t.Errorf("a chosen date is collected again: %v", err)
	}
}

// TestTaskQueueLedger publishes through a real broker: the second run of
// the same job for the same window finds the first on task-queue.
func TestTaskQueueLedger(t *testing.T) {
	b, err := stream.StartBroker("127.0.0.1:0", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	brokers := []string{b.Addr()}
	c := Collect{Ledger: TaskQueue{Kafka: stream.Cluster{Brokers: brokers}}}
	publish := func(kind ingest.Kind, now string) (ingest.Task, error) {
		w := stream.NewWriter(stream.Cluster{Brokers: brokers}, stream.TaskQueue)
		defer w.Close()
		return c.Publish(ctx, w, kind, nyTime(now))
	}
	first, err := publish(ingest.Intraday, "2027-03-01 10:05")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := publish(ingest.Intraday, "2027-03-01 10:10"); !errors.Is(err, ErrCollected) {
		t.Errorf("the same window again: err %v, want ErrCollected", err)
	}
	if _, err := publish(ingest.Options, "2027-03-01 10:00"); err != nil {
		t.Fatal(err) // another kind on the same queue does not count
	}
	next, err := publish(ingest.Intraday, "2027-03-01 10:35")
	if err != nil {
		t.Fatal(err)
	}
	if !next.From.Equal(first.To) || !next.To.Equal(nyTime("2027-03-01 10:30")) {
		t.Errorf("next run asked for [%v, %v), want [%v, 10:30)", next.From, next.To, first.To)
	}
	published, err := TaskQueue{Kafka: stream.Cluster{Brokers: brokers}}.Published(ctx, ingest.Intraday)
	if err != nil || len(published) != 2 {
		t.Errorf("task-queue has %d 15-minute tasks (%v), want 2", len(published), err)
	}
}
