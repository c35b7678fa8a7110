package market

import (
	"fmt"
	"strings"
	"time"
)

// The registry: how rows reach each dataset and where they go from there.
// Task kinds, topics, the processor's cleaning step, the collection trigger's
// default window, the warehouse tables and the views are all derived from the
// table below, so a new dataset is one Feed entry, its record type and its own
// code (source, cleaning rules).

// Cleaning names the processor's cleaning step for one raw feed; transform
// maps each to its function.
type Cleaning string

const (
	CleanDailyBars    Cleaning = "daily_bars"    // a time_series message to DailyBar rows
	CleanIntradayBars Cleaning = "intraday_bars" // a time_series message to IntradayBar rows
	CleanOptionChain  Cleaning = "option_chain"  // an option chain to OptionQuote rows
	// CleanCorporateActions turns a chart response's dividend and split
	// events into CorporateAction rows.
	CleanCorporateActions Cleaning = "corporate_actions"
)

// Provider is the kind of outside source a feed's tasks are collected
// from; the collector's routing sends each task kind to the source
// configured for its provider.
type Provider string

// Providers.
const (
	ProviderBars   Provider = "bars"   // bar data (Twelve Data, or flat files for historical bars)
	ProviderQuotes Provider = "quotes" // option chains and chart events (Yahoo)
)

// Span is the window a one-shot collection run (`tickerlake run
// collect-TASK`, the API's collection trigger) asks a feed's provider for.
type Span int

// Spans. The latest session is the last one closed by the time of the run.
const (
	SpanNone Span = iota // a derived feed: no task of its own
	// SpanSession is the latest session's date, or a chosen date.
	SpanSession
	// SpanSessionSoFar is the bars of the session under way so far, else the
	// latest session's (or a chosen date's) whole session.
	SpanSessionSoFar
	// SpanYears is Collect.HistoryYears (default 10) of dates up to the
	// latest session.
	SpanYears
	// SpanWindow is the feed's Window up to the latest session.
	SpanWindow
	// SpanSnapshot is one snapshot: at the minute during a session, at the
	// close after it on a trading day, and nothing otherwise.
	SpanSnapshot
)

// Due is when the scheduler of `up` publishes a feed's task as market time
// passes, and what it backfills on its first start.
type Due int

// Dues.
const (
	DueNever Due = iota // one-shot runs only
	// DueEachBar: the 15-minute bars completed since the last tick, as one
	// task; backfilled from the open of the first backfilled session.
	DueEachBar
	// DueSnapshots: every Scheduler.OptionEvery during a session and at its
	// close; backfilled at the close of each backfilled session.
	DueSnapshots
	// DueClose: each session's date at its close; backfilled over
	// Scheduler.BackfillDays.
	DueClose
	// DueWeekly: the feed's Window at the close of each week's first
	// session; backfilled once.
	DueWeekly
)

// Feed is one path rows take into a dataset: a task kind the collector runs,
// the raw topic it publishes to, the cleaning step the processor applies and
// the processed topic the writer and the sinks read. A derived feed has no
// task or raw topic of its own: the processor builds its rows while cleaning
// the feed whose raw topic is DerivedFrom.
type Feed struct {
	Task        string        // ingest task kind ("daily"); "" for a derived feed
	Raw         string        // raw topic; "" for a derived feed
	Processed   string        // processed topic
	Dataset     *Dataset      // the dataset its rows belong to
	Clean       Cleaning      // the processor's step for Raw; "" for a derived feed
	DerivedFrom string        // the raw topic whose cleaning yields its rows
	Window      time.Duration // a collection trigger's default window (To - From)
	Provider    Provider      // where its tasks are collected from; "" for a derived feed
	Span        Span          // what a one-shot run asks for
	Due         Due           // when the scheduler of `up` publishes
	// Cron is the schedule, New York time, of the collect-TASK CronJob
	// generated for the feed (`go generate ./k8s`); "" for none.
	Cron string
	// Replayed says a role rebuilds state from the processed topic's whole
	// history when it starts (the processor's trailing dividend yields from
	// corporate actions), so the topic must keep its records forever rather
	// than for the broker's default retention.
	Replayed bool
}

// feeds is the registry, in the seed's topic order.
var feeds = []Feed{
	{Task: "daily", Raw: "daily-data", Processed: "processed-daily-data", Dataset: DailyBars, Clean: CleanDailyBars, Window: 7 * 24 * time.Hour, Provider: ProviderBars,
		Span: SpanSession, Due: DueClose, Cron: "30 16 * * 1-5"},
	// The CronJob asks for the bars since the run before; see the credit
	// budget in README.md.
	{Task: "15min", Raw: "15min-data", Processed: "processed-15min-data", Dataset: IntradayBars, Clean: CleanIntradayBars, Window: 24 * time.Hour, Provider: ProviderBars,
		Span: SpanSessionSoFar, Due: DueEachBar, Cron: "5,35 10-16 * * 1-5"},
	{Task: "historical", Raw: "historical-data", Processed: "processed-historical-data", Dataset: DailyBars, Clean: CleanDailyBars, Window: 365 * 24 * time.Hour, Provider: ProviderBars,
		Span: SpanYears, Due: DueNever, Cron: "0 6 * * 6"},
	{Task: "options", Raw: "option-data", Processed: "processed-options-data", Dataset: OptionQuotes, Clean: CleanOptionChain, Provider: ProviderQuotes,
		Span: SpanSnapshot, Due: DueSnapshots, Cron: "0 10-16 * * 1-5"},
	{Processed: "processed-iv-smile", Dataset: IVSmiles, DerivedFrom: "option-data"},
	// Dividends and splits change rarely and are restated whole: a weekly
	// task asks for ten years of them.
	{Task: "actions", Raw: "corporate-actions", Processed: "processed-corporate-actions", Dataset: CorporateActions, Clean: CleanCorporateActions, Window: 10 * 365 * 24 * time.Hour, Provider: ProviderQuotes, Replayed: true,
		Span: SpanWindow, Due: DueWeekly, Cron: "30 6 * * 6"},
}

// sqlTables names the warehouse tables each dataset fills; a dataset not
// named here has none.
var sqlTables = map[*Dataset][]string{
	DailyBars:    {"StockData"},
	IntradayBars: {"StockData15Min"},
	OptionQuotes: {"call_options", "put_options"},
	// A table named here and not laid out in package sink takes its
	// dataset's layout, and a migration of its own.
	CorporateActions: {"corporate_actions"},
}

// Feeds lists every feed in topic order.
func Feeds() []Feed { return append([]Feed(nil), feeds...) }

// FeedForTask returns the feed a task kind collects for.
func FeedForTask(kind string) (Feed, error) {
	for _, f := range feeds {
		if f.Task != "" && f.Task == kind {
			return f, nil
		}
	}
	return Feed{}, fmt.Errorf("no feed for task kind %q", kind)
}

// FeedForRaw returns the feed whose raw topic is topic.
func FeedForRaw(topic string) (Feed, error) {
	for _, f := range feeds {
		if f.Raw != "" && f.Raw == topic {
			return f, nil
		}
	}
	return Feed{}, fmt.Errorf("no feed reads raw topic %q", topic)
}

// FeedOf returns the first feed that fills ds.
func FeedOf(ds *Dataset) (Feed, error) {
	for _, f := range feeds {
		if f.Dataset == ds {
			return f, nil
		}
	}
	return Feed{}, fmt.Errorf("no feed fills dataset %s", ds.Name)
}

// TaskKinds lists the task kinds, in feed order.
func TaskKinds() []string {
	var out []string
	for _, f := range feeds {
		if f.Task != "" {
			out = append(out, f.Task)
		}
	}
	return out
}

// RawTopics lists the raw topics, in feed order.
func RawTopics() []string {
	var out []string
	for _, f := range feeds {
		if f.Raw != "" {
			out = append(out, f.Raw)
		}
	}
	return out
}

// ProcessedTopics lists the processed topics carrying the given datasets
// (every dataset when none is given), in feed order.
func ProcessedTopics(datasets ...*Dataset) []string {
	var out []string
	for _, f := range feeds {
		if len(datasets) == 0 || containsDataset(datasets, f.Dataset) {
			out = append(out, f.Processed)
		}
	}
	return out
}

// DatasetOfProcessed returns the dataset a processed topic carries.
func DatasetOfProcessed(topic string) (*Dataset, error) {
	for _, f := range feeds {
		if f.Processed == topic {
			return f.Dataset, nil
		}
	}
	return nil, fmt.Errorf("no dataset on processed topic %q", topic)
}

// SQLTables names the warehouse tables filled from ds, in creation order.
func (d *Dataset) SQLTables() []string { return append([]string(nil), sqlTables[d]...) }

// SQLDatasets lists the datasets that fill warehouse tables.
func SQLDatasets() []*Dataset {
	var out []*Dataset
	for _, d := range Datasets() {
		if len(sqlTables[d]) > 0 {
			out = append(out, d)
		}
	}
	return out
}

// ViewNames lists the views of the query engine, the read-only SQL API and
// `tickerlake sql`: one per dataset.
func ViewNames() []string {
	var out []string
	for _, d := range Datasets() {
		out = append(out, d.Name)
	}
	return out
}

// ViewList names the views for people: "a, b and c".
func ViewList() string {
	n := ViewNames()
	if len(n) < 2 {
		return strings.Join(n, "")
	}
	return strings.Join(n[:len(n)-1], ", ") + " and " + n[len(n)-1]
}

func containsDataset(list []*Dataset, d *Dataset) bool {
	for _, x := range list {
		if x == d {
			return true
		}
	}
	return false
}
