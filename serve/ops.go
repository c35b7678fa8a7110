package serve

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/tables"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/ops"
	"github.com/tickerlake/tickerlake/stream"
)

// ReadyCheck is one dependency /readyz probes.
type ReadyCheck struct {
	Name  string
	Check func(ctx context.Context) error
}

// KafkaReady checks that the brokers answer a metadata request.
func KafkaReady(k stream.Cluster) ReadyCheck {
	return ReadyCheck{Name: "kafka", Check: func(ctx context.Context) error { return stream.Ping(ctx, k) }}
}

// CheckResult is one dependency's state.
type CheckResult struct {
	Name   string  `json:"name" example:"duckdb"`
	OK     bool    `json:"ok"`
	Error  string  `json:"error,omitempty"`
	TookMS float64 `json:"took_ms"`
}

// ReadyOutput says whether the api can answer data requests.
type ReadyOutput struct {
	Status int `json:"-"`
	Body   struct {
		Status string        `json:"status" enum:"ready,unavailable"`
		Checks []CheckResult `json:"checks"`
	}
}

func (s *Server) registerReady(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "readyz", Method: http.MethodGet, Path: "/readyz", Tags: []string{"ops"},
		Summary:     "Readiness: DuckDB, the lake and the configured dependencies",
		Description: "200 when every dependency answers, 503 (same body) when one does not.",
	}, s.readyz)
}

// Readiness is the api's readiness: DuckDB answers over a refreshed lake,
// the lake's store lists, and the checks of Ready pass. It is built on first
// use, so add to Ready before; the ops port serves the same.
func (s *Server) Readiness() *ops.Readiness {
	s.readyOnce.Do(func() {
		checks := []ops.Check{{Name: "duckdb", Func: s.Engine.Ping}}
		if s.Lake != nil {
			checks = append(checks, ops.Check{Name: "lake", Func: func(ctx context.Context) error {
				// A small listing: the first dataset's table metadata.
				_, err := s.Lake.List(ctx, market.Datasets()[0].Name+"/"+lake.MetadataDir+"/")
				return err
			}})
		}
		for _, c := range s.Ready {
			checks = append(checks, ops.Check{Name: c.Name, Func: c.Check})
		}
		// The engine's refresh can take a while on a large lake.
		s.readiness = &ops.Readiness{Checks: checks, Timeout: 3 * time.Second, Log: s.Log}
	})
	return s.readiness
}

func (s *Server) readyz(ctx context.Context, _ *struct{}) (*ReadyOutput, error) {
	rep := s.Readiness().Check(ctx)
	out := &ReadyOutput{Status: http.StatusOK}
	out.Body.Status = rep.Status
	if !rep.Ready() {
		out.Status = http.StatusServiceUnavailable
	}
	for _, r := range rep.Checks {
		out.Body.Checks = append(out.Body.Checks, CheckResult(r))
	}
	return out, nil
}

// Freshness is one dataset's newest event and how far it trails the clock.
type Freshness struct {
	Dataset      string     `json:"dataset" example:"daily_bars"`
	LastEvent    *time.Time `json:"last_event" doc:"Event time of the newest committed row (a bar's start, a snapshot's instant); null when empty"`
	LagSeconds   *float64   `json:"lag_seconds" doc:"Seconds between now and last_event"`
	Commits      int        `json:"commits" doc:"Commit records of the dataset: 0 for a dataset kept as an Iceberg table, whose snapshots are its commits"`
	Rows         int64      `json:"rows" doc:"Rows committed, replays included"`
	LastCommitAt *time.Time `json:"last_commit_at" doc:"When the dataset last changed: its table's current snapshot, or the newest commit record of a lake without tables"`
}

// FreshnessOutput lists every dataset's freshness.
type FreshnessOutput struct {
	Body struct {
		AsOf     time.Time   `json:"as_of"`
		Datasets []Freshness `json:"datasets"`
	}
}

func (s *Server) getCatalog() *lake.Catalog {
	s.catalogOnce.Do(func() {
		if s.Lake != nil {
			s.catalog = &lake.Catalog{Store: s.Lake}
		}
	})
	return s.catalog
}

// freshness reads each dataset's newest event from the views, and when
// its commit was from its table's current snapshot; from the commit records
// of a dataset that has no table (a lake an older tickerlake wrote). It
// updates the freshness gauge.
func (s *Server) freshness(ctx context.Context) ([]Freshness, error) {
	now := s.Clock.Now()
	var out []Freshness
	for _, ds := range market.Datasets() {
		f := Freshness{Dataset: ds.Name}
		var committed time.Time
		table := false
		if s.Lake != nil {
			var err error
			if committed, table, err = tables.NewReader(s.Lake).Committed(ctx, ds.Name); err != nil {
				return nil, fmt.Errorf("table of %s: %w", ds.Name, err)
			}
		}
		if cat := s.getCatalog(); cat != nil && !table {
			commits, err := cat.Commits(ctx, ds.Name)
			if err != nil {
				return nil, fmt.Errorf("commits of %s: %w", ds.Name, err)
			}
			var last, committed time.Time
			for _, c := range commits {
				f.Rows += c.Rows
				if c.MaxTime.After(last) {
					last = c.MaxTime
				}
				if c.CommittedAt.After(committed) {
					committed = c.CommittedAt
				}
			}
			f.Commits = len(commits)
			if !last.IsZero() {
				last, committed = last.UTC(), committed.UTC()
				f.LastEvent, f.LastCommitAt = &last, &committed
			}
		} else {
			last, ok, rows, err := s.Engine.Newest(ctx, ds)
			if err != nil {
				return nil, err
			}
			if f.Rows = rows; ok {
				f.LastEvent = &last
			}
			if !committed.IsZero() {
				f.LastCommitAt = &committed
			}
		}
		if f.LastEvent != nil {
			lag := now.Sub(*f.LastEvent).Seconds()
			f.LagSeconds = &lag
			s.Metrics.LastEvent.WithLabelValues(ds.Name).Set(float64(f.LastEvent.Unix()))
		}
		out = append(out, f)
	}
	return out, nil
}

func (s *Server) getFreshness(ctx context.Context, _ *struct{}) (*FreshnessOutput, error) {
	fs, err := s.freshness(ctx)
	if err != nil {
		return nil, s.internal("freshness", err)
	}
	out := &FreshnessOutput{}
	out.Body.AsOf, out.Body.Datasets = s.Clock.Now().UTC(), fs
	return out, nil
}
