package jobs

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/ingest/ratelimit"
	"github.com/tickerlake/tickerlake/ingest/twelvedata"
	"github.com/tickerlake/tickerlake/ingest/twelvedata/tdtest"
	"github.com/tickerlake/tickerlake/k8s"
	"github.com/tickerlake/tickerlake/market"
	batchv1 "k8s.io/api/batch/v1"
)

// The budget the CronJobs are held to: five free Twelve Data keys, as the
// README documents.
const (
	budgetKeys      = 5
	budgetPerMinute = 8   // credits per key per minute
	budgetPerDay    = 800 // credits per key per UTC day
)

// cronJob is one CronJob of the manifests that runs a collection job.
type cronJob struct {
	name     string
	schedule string // as written, with its time zone
	job      string // the job `tickerlake run` is given
	kind     ingest.Kind
	next     cron.Schedule
}

// collectCronJobs renders the kustomization in dir as kubectl does and
// returns its CronJobs that call `run collect-*`, their schedules parsed as
// the Kubernetes controller parses them (robfig/cron's standard parser, the
// time zone as a TZ= prefix).
func collectCronJobs(t *testing.T, dir string) []cronJob {
	t.Helper()
	objs, err := k8s.Render(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []cronJob
	for _, o := range objs {
		if o.Kind != "CronJob" {
			continue
		}
		var cj batchv1.CronJob
		if err := o.Decode(&cj); err != nil {
			t.Fatal(err)
		}
		for _, c := range cj.Spec.JobTemplate.Spec.Template.Spec.Containers {
			if len(c.Args) < 2 || c.Args[0] != "run" || !strings.HasPrefix(c.Args[1], "collect-") {
				continue
			}
			if len(c.Args) > 2 {
				// Flags such as --symbols change what a run publishes; teach
				// this test what they do before a CronJob passes them.
				t.Fatalf("%s: CronJob %s passes %v: the budget test only knows `run JOB`", dir, cj.Name, c.Args[2:])
			}
			kind, err := JobKind(c.Args[1])
			if err != nil {
				t.Fatalf("%s: CronJob %s: %v", dir, cj.Name, err)
			}
			zone := ""
			if cj.Spec.TimeZone != nil {
				zone = *cj.Spec.TimeZone
			}
			out = append(out, newCronJob(t, cj.Name, cj.Spec.Schedule, zone, c.Args[1], kind))
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s: no CronJob runs a collection", dir)
	}
	return out
}

func newCronJob(t *testing.T, name, schedule, zone, job string, kind ingest.Kind) cronJob {
	t.Helper()
	if zone == "" {
		t.Fatalf("CronJob %s has no timeZone: its runs would follow the controller's zone", name)
	}
	spec := "TZ=" + zone + " " + schedule
	s, err := cron.ParseStandard(spec)
	if err != nil {
		t.Fatalf("CronJob %s: schedule %q: %v", name, spec, err)
	}
	return cronJob{name: name, schedule: spec, job: job, kind: kind, next: s}
}

// fire is one run of a CronJob.
type fire struct {
	at  time.Time
	job cronJob
}

// fires lists every run of jobs in [from, to), in time order.
func fires(jobs []cronJob, from, to time.Time) []fire {
	var out []fire
	for _, j := range jobs {
		for at := j.next.Next(from.Add(-time.Second)); at.Before(to); at = j.next.Next(at) {
			out = append(out, fire{at: at.UTC(), job: j})
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].at.Before(out[b].at) })
	return out
}

// dayUse is what one New York calendar day's runs cost.
type dayUse struct {
	date      time.Time
	credits   int // what the day's tasks cost: pages x symbols, as the source calls
	tasks     int // Twelve Data tasks published
	snapshots []time.Time
	// Filled on the days fetched through the source:
	fetched   bool
	charged   int // credits the provider charged
	perMinute int // most credits charged over all keys in any minute
	perKey    int // most credits charged to one key in any minute
	longest   time.Duration
}

// budget is what a simulated stretch of runs cost.
type budget struct {
	days       map[time.Time]*dayUse
	throttled  int           // calls the provider refused for going over a limit
	incomplete []string      // tasks left unfinished for want of credits
	late       time.Duration // most a task started after its run fired
}

// simulate plays the CronJobs' runs over [from, to) as a cluster would:
// each run plans its task against the tasks published before it (the
// ledger `tickerlake run` reads from task-queue), and each Twelve Data task
// costs one credit per symbol for each page of bars the source calls for.
// On the days fetch picks, the tasks are also fetched by the real source,
// through a pool of the budget's keys on a simulated clock, from a
// stand-in provider that charges credits and refuses calls over the free
// plan's limits. (Fetching every day of a year takes minutes of JSON.)
func simulate(t *testing.T, jobs []cronJob, from, to time.Time, fetch func(date time.Time) bool) budget {
	t.Helper()
	ctx := context.Background()
	cal := market.NYSE()
	secrets := make([]string, budgetKeys)
	for i := range secrets {
		secrets[i] = fmt.Sprintf("key%d", i+1)
	}
	pool, err := ratelimit.NewPool(ratelimit.Limits{PerWindow: budgetPerMinute, PerDay: budgetPerDay}, secrets)
	if err != nil {
		t.Fatal(err)
	}
	clock := clock.NewManual(from)
	// One stand-in per New York day keeps its per-call accounting short; a
	// day's runs all fall in one UTC day, the provider's daily window.
	var provider atomic.Pointer[tdtest.Server]
	inProcess := &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		rec := httptest.NewRecorder()
		provider.Load().ServeHTTP(rec, r)
		return rec.Result(), nil
	})}
	src := &twelvedata.Source{Client: &twelvedata.Client{BaseURL: "http://twelvedata.test", HTTP: inProcess},
		Pool: pool, Clock: clock, Calendar: cal}

	b := budget{days: map[time.Time]*dayUse{}}
	var cur *dayUse
	closeDay := func() {
		if cur == nil || !cur.fetched {
			return
		}
		p := provider.Load()
		b.throttled += p.Throttled()
		calls := p.Calls()
		for i, a := range calls {
			if !a.Charged {
				continue
			}
			cur.charged += len(a.Symbols)
			inMinute := 0
			for _, c := range calls[i:] {
				if c.Charged && c.At.Sub(a.At) < time.Minute {
					inMinute += len(c.Symbols)
				}
			}
			cur.perMinute = max(cur.perMinute, inMinute)
		}
		perKey, _ := p.MostPerKey(time.Minute)
		for _, n := range perKey {
			cur.perKey = max(cur.perKey, n)
		}
	}
	var ledger TaskLog
	col := Collect{Calendar: cal, Ledger: &ledger}
	for _, f := range fires(jobs, from, to) {
		task, err := col.Plan(ctx, f.job.kind, f.at)
		if NothingToCollect(err) {
			continue
		}
		if err != nil {
			t.Fatalf("%s at %s: %v", f.job.name, f.at, err)
		}
		ledger = append(ledger, task)
		date := market.DateOf(f.at)
		if cur == nil || !cur.date.Equal(date) {
			closeDay()
			cur = &dayUse{date: date, fetched: fetch(date)}
			b.days[date] = cur
			provider.Store(tdtest.New(clock.Now))
		}
		if task.Kind == ingest.Options {
			cur.snapshots = append(cur.snapshots, task.To)
			continue // option chains come from Yahoo, not from the credits
		}
		cur.tasks++
		cur.credits += len(twelvedata.Pages(cal, task, 5000)) * len(ingest.TaskSymbols(task))
		if !cur.fetched {
			continue
		}
		if now := clock.Now(); now.Before(f.at) {
			clock.Advance(f.at.Sub(now))
		} else {
			b.late = max(b.late, now.Sub(f.at))
		}
		start := clock.Now()
		err = src.Fetch(ctx, task, func(ingest.Raw) error { return nil })
		if ie, ok := ingest.AsIncomplete(err); ok {
			b.incomplete = append(b.incomplete, fmt.Sprintf("%s at %s: %d symbols left", task.Short(),
				f.at.In(market.NewYork).Format("2006-01-02 15:04"), len(ie.Left)+len(ie.Failed)))
		} else if err != nil {
			t.Fatalf("%s at %s: %v", f.job.name, f.at, err)
		}
		cur.longest = max(cur.longest, clock.Now().Sub(start))
	}
	closeDay()
	return b
}

// TestScheduleFitsCreditBudget plays the CronJobs of each overlay, as
// rendered, over every day of 2027 on the NYSE calendar, for the whole
// universe, and checks that
// the Twelve Data credits they spend fit five free keys: no day over
// 5 x 800 credits. The most expensive day is then fetched through the real
// source and rate limiter from a provider that enforces the free plan: it
// charges what was counted, no key goes over 8 credits in any minute, no
// task is left unfinished and no run is still busy when the next fires.
// Holidays cost nothing, and an early close leaves one closing option
// snapshot, not one per later run.
func TestScheduleFitsCreditBudget(t *testing.T) {
	// Both overlays keep the base's schedules; should one change them, it is
	// played on its own.
	played := map[string]bool{}
	for _, dir := range []string{"../k8s/overlays/local", "../k8s/overlays/production"} {
		jobs := collectCronJobs(t, dir)
		key := describe(jobs)
		if played[key] {
			t.Logf("%s: the same schedules", filepath.Base(dir))
			continue
		}
		played[key] = true
		t.Run(filepath.Base(dir), func(t *testing.T) { checkBudget(t, jobs) })
	}
}

func checkBudget(t *testing.T, jobs []cronJob) {
	year := time.Date(2027, 1, 1, 0, 0, 0, 0, market.NewYork)
	// A month before the year fills the ledger as a running cluster has it.
	b := simulate(t, jobs, year.AddDate(0, -1, 0), year.AddDate(1, 0, 0), func(time.Time) bool { return false })

	cal := market.NYSE()
	universe := len(market.Universe())
	var worst dayUse
	total, trading, tradingCredits := 0, 0, 0
	for d := civilDate(year); d.Year() == 2027; d = d.AddDate(0, 0, 1) {
		u := b.days[d]
		if u == nil {
			u = &dayUse{date: d}
		}
		total += u.credits
		if u.credits > worst.credits {
			worst = *u
		}
		if cal.IsTradingDay(d) {
			trading++
			tradingCredits += u.credits
		}
		checkDay(t, cal, d, u)
	}
	days := 365
	t.Logf("schedules: %s", describe(jobs))
	t.Logf("2027, %d symbols, %d trading days: most credits in a day %d on %s (%d Twelve Data tasks), budget %d (%d keys x %d)",
		universe, trading, worst.credits, worst.date.Format("Mon 2006-01-02"), worst.tasks, budgetKeys*budgetPerDay, budgetKeys, budgetPerDay)
	t.Logf("mean credits a day %.0f over %d days, %.0f over trading days; year total %d",
		float64(total)/float64(days), days, float64(tradingCredits)/float64(trading), total)
	if worst.credits > budgetKeys*budgetPerDay {
		t.Errorf("%s spends %d credits, over the %d of %d free keys", worst.date.Format("2006-01-02"), worst.credits, budgetKeys*budgetPerDay, budgetKeys)
	}

	// The worst day again, after the week before it, fetched for real.
	fb := simulate(t, jobs, worst.date.AddDate(0, 0, -7), worst.date.AddDate(0, 0, 1), func(d time.Time) bool { return d.Equal(worst.date) })
	u := fb.days[worst.date]
	if u == nil || !u.fetched {
		t.Fatalf("%s was not fetched", worst.date.Format("2006-01-02"))
	}
	t.Logf("%s fetched through the source: %d credits charged; most in any minute %d over all keys (limit %d), %d on one key (limit %d); longest run %s; most a run waited for the one before %s",
		u.date.Format("2006-01-02"), u.charged, u.perMinute, budgetKeys*budgetPerMinute, u.perKey, budgetPerMinute, u.longest, fb.late)
	if u.charged != u.credits {
		t.Errorf("the provider charged %d credits, the count said %d", u.charged, u.credits)
	}
	checkLimits(t, fb, u.perMinute, u.perKey)
}

// checkDay holds one day to the calendar: nothing on a closed day, and at
// most one option snapshot at or after the close.
func checkDay(t *testing.T, cal *market.Calendar, d time.Time, u *dayUse) {
	t.Helper()
	_, closeT, open := cal.Session(d)
	if !open && d.Weekday() != time.Saturday && (u.tasks > 0 || len(u.snapshots) > 0) {
		name, _ := cal.Holiday(d)
		t.Errorf("%s (%s %s): %d tasks and %d snapshots published on a closed day", d.Format("2006-01-02"), d.Weekday(), name, u.tasks, len(u.snapshots))
	}
	if !open {
		return
	}
	if i := slices.IndexFunc(u.snapshots, func(s time.Time) bool { return s.After(closeT) }); i >= 0 {
		t.Errorf("%s: a snapshot at %s, after the close", d.Format("2006-01-02"), u.snapshots[i])
	}
	if n := len(slices.Compact(slices.Clone(u.snapshots))); n != len(u.snapshots) {
		t.Errorf("%s: %d snapshots, %d of them distinct", d.Format("2006-01-02"), len(u.snapshots), n)
	}
}

func checkLimits(t *testing.T, b budget, perMinute, perKey int) {
	t.Helper()
	if b.throttled > 0 {
		t.Errorf("%d calls went over a key's limits and were refused", b.throttled)
	}
	if len(b.incomplete) > 0 {
		t.Errorf("%d tasks ran out of daily credits, the first: %s", len(b.incomplete), b.incomplete[0])
	}
	if perMinute > budgetKeys*budgetPerMinute || perKey > budgetPerMinute {
		t.Errorf("a minute spent %d credits (%d on one key), over %d (%d a key)", perMinute, perKey, budgetKeys*budgetPerMinute, budgetPerMinute)
	}
	if b.late > 0 {
		t.Errorf("a run started %s after it fired: the one before had not finished", b.late)
	}
}

// TestScheduleBudgetCatchesOverspend is the budget test's own check: the
// schedule the CronJobs had before, a 15-minute run every quarter hour from
// 9:00 to 16:45, overspends five free keys even when each run asks only for
// new bars, and the simulation says so.
func TestScheduleBudgetCatchesOverspend(t *testing.T) {
	jobs := []cronJob{
		newCronJob(t, "collect-15min", "*/15 9-16 * * 1-5", "America/New_York", "collect-15min", ingest.Intraday),
		newCronJob(t, "collect-daily", "30 16 * * 1-5", "America/New_York", "collect-daily", ingest.Daily),
	}
	from := time.Date(2027, 3, 1, 0, 0, 0, 0, market.NewYork)
	b := simulate(t, jobs, from, from.AddDate(0, 0, 2), func(time.Time) bool { return true })
	u := b.days[civilDate(from)]
	if u == nil || u.credits <= budgetKeys*budgetPerDay || len(b.incomplete) == 0 {
		t.Fatalf("an overspending schedule passed: %+v, %d tasks unfinished", u, len(b.incomplete))
	}
	t.Logf("every quarter hour: %d Twelve Data tasks on %s would cost %d credits; the provider charged %d, and %d tasks were left unfinished for want of credits",
		u.tasks, u.date.Format("2006-01-02"), u.credits, u.charged, len(b.incomplete))
}

// roundTripper serves requests in process: a day of calls over loopback
// sockets spends most of its time in the kernel.
type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func civilDate(t time.Time) time.Time { return market.DateOf(t) }

func describe(jobs []cronJob) string {
	var parts []string
	for _, j := range jobs {
		parts = append(parts, fmt.Sprintf("%s %q", j.job, j.schedule))
	}
	return strings.Join(parts, ", ")
}
