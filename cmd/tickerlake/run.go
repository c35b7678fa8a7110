package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/ingest/flatfile"
	"github.com/tickerlake/tickerlake/ingest/ratelimit"
	"github.com/tickerlake/tickerlake/ingest/twelvedata"
	"github.com/tickerlake/tickerlake/ingest/yahoo"
	"github.com/tickerlake/tickerlake/jobs"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/stream"
)

// RunCmd publishes one collection task and returns: what a Kubernetes
// CronJob calls. Collector replicas pick the task up from task-queue.
type RunCmd struct {
	KafkaFlags
	CompactFlags
	Job          string   `arg:"" help:"collect-KIND for a task kind of the dataset registry (listed below), or compact (the lake's housekeeping, as tickerlake compact)."`
	Symbols      []string `name:"symbols" sep:"," help:"Symbols to collect, comma-separated (default the whole universe)."`
	Date         string   `name:"date" placeholder:"YYYY-MM-DD" help:"Session to collect for collect-daily and collect-15min (default the latest)."`
	HistoryYears int      `name:"history-years" env:"TICKERLAKE_HISTORY_YEARS" default:"10" help:"Years of daily bars collect-historical reaches back."`
	At           string   `name:"at" placeholder:"RFC3339" help:"Act as if run at this time (default now), e.g. to run a schedule slot that was missed."`

	clock clock.Clock // the clock (default the system's); tests set it
	out   io.Writer   // where the published task is printed (default stdout)
}

// Help lists the jobs, derived from the dataset registry: a new task kind
// is a new collect- job without an edit here.
func (c *RunCmd) Help() string {
	return "Jobs: " + strings.Join(append(jobs.JobNames(), "compact"), ", ") + "."
}

// Validate rejects a job the registry does not know before any flag is used.
func (c *RunCmd) Validate() error {
	if c.Job == "compact" {
		return nil
	}
	_, err := jobs.JobKind(c.Job)
	return err
}

// Run implements the command.
func (c *RunCmd) Run(g *Globals, ctx context.Context, log *slog.Logger) error {
	if c.Job == "compact" {
		return c.compact(ctx, g, log)
	}
	kc, err := needKafka(c.KafkaFlags, log)
	if err != nil {
		return err
	}
	kind, err := jobs.JobKind(c.Job)
	if err != nil {
		return err
	}
	// The tasks already on task-queue are the ledger: a window they cover is
	// not asked for again.
	col := jobs.Collect{Symbols: c.Symbols, HistoryYears: c.HistoryYears, Ledger: jobs.TaskQueue{Kafka: kc}}
	if c.Date != "" {
		if col.Date, err = time.Parse("2006-01-02", c.Date); err != nil {
			return fmt.Errorf("--date %q: want YYYY-MM-DD", c.Date)
		}
	}
	clk, out := clock.Or(c.clock), c.out
	if c.At != "" {
		at, err := time.Parse(time.RFC3339, c.At)
		if err != nil {
			return fmt.Errorf("--at %q: want RFC3339, e.g. 2027-03-01T10:05:00-05:00", c.At)
		}
		clk = clock.NewManual(at)
	}
	if out == nil {
		out = os.Stdout
	}
	w := stream.NewWriter(kc, stream.TaskQueue)
	task, err := col.Publish(ctx, w, kind, clk.Now())
	if cerr := w.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close task producer: %w", cerr)
	}
	if jobs.NothingToCollect(err) {
		log.Info("nothing to collect", "job", c.Job, "reason", err.Error())
		return nil
	}
	if err != nil {
		return err
	}
	log.Info("task published", "job", c.Job, "task", task.ID)
	return json.NewEncoder(out).Encode(task)
}

// ProviderFlags switch collection from the synthetic market to real
// providers: Twelve Data for bars and Yahoo for option chains.
type ProviderFlags struct {
	Source               string   `name:"source" env:"TICKERLAKE_SOURCE" enum:"auto,synthetic,twelvedata,flatfile" default:"auto" help:"Market source: synthetic; twelvedata (bars from Twelve Data, option chains from Yahoo); flatfile (daily and historical bars from --flatfiles, 15-minute bars from Twelve Data when keyed, option chains from Yahoo); auto is twelvedata when TWELVEDATA_API_KEYS is set."`
	FlatFiles            string   `name:"flatfiles" env:"TICKERLAKE_FLATFILES" placeholder:"DIR|s3://BUCKET/PREFIX" help:"Day-aggregate flat files (CSV or CSV.gz) to import historical bars from, in a folder or under an S3 prefix."`
	FlatFilesS3PathStyle bool     `name:"flatfiles-s3-path-style" env:"TICKERLAKE_FLATFILES_S3_PATH_STYLE" help:"Address the flat files' bucket path-style, as most S3-compatible servers need."`
	TwelveDataKeys       []string `name:"twelvedata-api-keys" env:"TWELVEDATA_API_KEYS" sep:"," help:"Twelve Data API keys, comma-separated; prefer the environment variable."`
	TwelveDataKeyShares  int      `name:"twelvedata-key-shares" env:"TWELVEDATA_KEY_SHARES" default:"1" help:"Split the Twelve Data keys into this many disjoint shares, one per collector replica, so no two replicas spend one key."`
	TwelveDataKeyShare   string   `name:"twelvedata-key-share" env:"TWELVEDATA_KEY_SHARE" default:"0" placeholder:"N|ordinal" help:"The share of keys this replica spends: a number from 0, or ordinal for the number ending the pod's host name (collector-2 takes share 2)."`
	PodName              string   `name:"pod-name" env:"HOSTNAME" help:"This replica's name, whose ending number --twelvedata-key-share ordinal takes; Kubernetes sets HOSTNAME to the pod's name (default the system's host name)."`
	TwelveDataBaseURL    string   `name:"twelvedata-base-url" env:"TWELVEDATA_BASE_URL" default:"https://api.twelvedata.com" help:"Twelve Data API root."`
	TwelveDataPerMinute  int      `name:"twelvedata-credits-per-minute" env:"TWELVEDATA_CREDITS_PER_MINUTE" default:"8" help:"Credits each Twelve Data key may spend per minute."`
	TwelveDataPerDay     int      `name:"twelvedata-credits-per-day" env:"TWELVEDATA_CREDITS_PER_DAY" default:"800" help:"Credits each Twelve Data key may spend per day (0: no daily limit)."`
	YahooBaseURL         string   `name:"yahoo-base-url" env:"YAHOO_BASE_URL" default:"https://query2.finance.yahoo.com" help:"Yahoo Finance root serving the crumb and options paths."`
	YahooCookieURL       string   `name:"yahoo-cookie-url" env:"YAHOO_COOKIE_URL" default:"https://fc.yahoo.com" help:"Where Yahoo's session cookie is set."`
	YahooPerMinute       int      `name:"yahoo-calls-per-minute" env:"YAHOO_CALLS_PER_MINUTE" default:"60" help:"Pace of calls to Yahoo."`
}

// keys are the Twelve Data keys this process may spend: its share of
// TWELVEDATA_API_KEYS.
func (f ProviderFlags) keys() ([]string, error) {
	var all []string
	for _, k := range f.TwelveDataKeys {
		if k != "" {
			all = append(all, k)
		}
	}
	if len(all) == 0 || (f.TwelveDataKeyShares == 1 && f.TwelveDataKeyShare == "0") {
		return all, nil
	}
	i, err := f.keyShare()
	if err != nil {
		return nil, err
	}
	keys, err := ratelimit.Share(all, f.TwelveDataKeyShares, i)
	if err != nil {
		return nil, fmt.Errorf("--twelvedata-key-shares %d --twelvedata-key-share %s: %w", f.TwelveDataKeyShares, f.TwelveDataKeyShare, err)
	}
	return keys, nil
}

// keyShare resolves --twelvedata-key-share; "ordinal" reads the pod's name
// from HOSTNAME, which Kubernetes sets, else from the system.
func (f ProviderFlags) keyShare() (int, error) {
	if f.TwelveDataKeyShare != "ordinal" {
		i, err := strconv.Atoi(f.TwelveDataKeyShare)
		if err != nil {
			return 0, fmt.Errorf("--twelvedata-key-share %q: want a number or ordinal", f.TwelveDataKeyShare)
		}
		return i, nil
	}
	host := f.PodName
	if host == "" {
		var err error
		if host, err = os.Hostname(); err != nil {
			return 0, fmt.Errorf("--twelvedata-key-share ordinal: %w", err)
		}
	}
	i, err := ratelimit.Ordinal(host)
	if err != nil {
		return 0, fmt.Errorf("--twelvedata-key-share ordinal: %w", err)
	}
	return i, nil
}

// Validate checks the provider configuration once, at start.
func (f ProviderFlags) Validate() error {
	keys, err := f.keys()
	if err != nil {
		return err
	}
	if f.Source == "twelvedata" && len(keys) == 0 {
		return errors.New("--source twelvedata needs TWELVEDATA_API_KEYS")
	}
	if f.Source == "flatfile" && f.FlatFiles == "" {
		return errors.New("--source flatfile needs --flatfiles (TICKERLAKE_FLATFILES)")
	}
	if strings.HasPrefix(f.FlatFiles, "s3://") {
		if _, _, err := lake.ParseS3URL(f.FlatFiles); err != nil {
			return fmt.Errorf("--flatfiles: %w", err)
		}
	}
	return nil
}

// flatFiles is the flat-file source of --flatfiles, or nil.
func (f ProviderFlags) flatFiles() ingest.Source {
	if f.FlatFiles == "" {
		return nil
	}
	loc, pathStyle := f.FlatFiles, f.FlatFilesS3PathStyle
	if !strings.HasPrefix(loc, "s3://") {
		return &flatfile.Source{Open: func(context.Context) (flatfile.Files, error) { return flatfile.Dir(loc), nil }}
	}
	bucket, prefix, _ := lake.ParseS3URL(loc)
	if prefix != "" {
		prefix += "/"
	}
	return &flatfile.Source{Prefix: prefix, Open: func(ctx context.Context) (flatfile.Files, error) {
		// The store's own prefix stays empty: List and Get take whole keys.
		return lake.NewS3(ctx, lake.S3Config{Bucket: bucket, PathStyle: pathStyle})
	}}
}

// providers returns the real providers' source, or nil for the synthetic market.
func (f ProviderFlags) providers(optionDays int) ingest.Source {
	keys, _ := f.keys() // Validate has rejected a share that cannot be had
	if f.Source == "synthetic" || (f.Source == "auto" && len(keys) == 0) {
		return nil
	}
	flat := f.flatFiles()
	td := &twelvedata.Source{Client: &twelvedata.Client{BaseURL: f.TwelveDataBaseURL}}
	if len(keys) > 0 {
		// NewPool fails only without keys or with an empty one, both excluded here.
		td.Pool, _ = ratelimit.NewPool(ratelimit.Limits{PerWindow: f.TwelveDataPerMinute, PerDay: f.TwelveDataPerDay}, keys)
	}
	yh := &yahoo.Source{Client: &yahoo.Client{BaseURL: f.YahooBaseURL, CookieURL: f.YahooCookieURL},
		Pool: yahoo.NewPacing(max(f.YahooPerMinute, 1)), OptionDays: optionDays, Seed: uint64(time.Now().UnixNano())}
	return ingest.Routing{Bars: td, Options: yh, FlatFiles: flat, FlatFilesFirst: f.Source == "flatfile", BarsKeyed: td.Pool != nil}.Router()
}
