// Package metrics holds the Prometheus collectors every role reports to,
// named by Prometheus conventions under the tickerlake_ prefix.
package metrics

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Set is one process's collectors, registered on its own registry.
type Set struct {
	Registry *prometheus.Registry

	Tasks         *prometheus.CounterVec   // kind, status
	Ingested      *prometheus.CounterVec   // topic, source: raw messages published
	Processed     *prometheus.CounterVec   // topic: records accepted by the processor
	DeadLettered  *prometheus.CounterVec   // topic, reason
	Written       *prometheus.CounterVec   // dataset, sink: rows durably written
	LastEvent     *prometheus.GaugeVec     // dataset: newest event time written
	CommitSeconds *prometheus.HistogramVec // sink
	HTTPSeconds   *prometheus.HistogramVec // route, method, status
	QuerySeconds  *prometheus.HistogramVec // query: DuckDB time of one API query

	// The collector's per-provider lanes.
	TasksQueued   *prometheus.GaugeVec     // provider: tasks fetched, waiting for their lane
	TasksInFlight *prometheus.GaugeVec     // provider: tasks being collected
	TaskQueueWait *prometheus.HistogramVec // provider: time from fetch to start

	// The lake's housekeeping (lake.Housekeeping) and what it finds.
	HousekeepingRuns        *prometheus.CounterVec // step, outcome
	HousekeepingLastSuccess *prometheus.GaugeVec   // step
	HousekeepingDeleted     *prometheus.CounterVec // step: objects deleted
	LakeObjects             *prometheus.GaugeVec   // dataset, format

	// The API's response cache.
	ResponseCache *prometheus.CounterVec // result: hit, miss
}

// New creates and registers the collectors, with the Go and process ones.
func New() *Set {
	r := prometheus.NewRegistry()
	s := &Set{
		Registry: r,
		Tasks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tickerlake_collect_tasks_total", Help: "Collection tasks finished, by kind and status.",
		}, []string{"kind", "status"}),
		Ingested: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tickerlake_records_ingested_total", Help: "Raw messages published by the collector.",
		}, []string{"topic", "source"}),
		Processed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tickerlake_records_processed_total", Help: "Records accepted by the processor, by processed topic.",
		}, []string{"topic"}),
		DeadLettered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tickerlake_records_dead_lettered_total", Help: "Records sent to the dead-letter topic, by source topic and reason.",
		}, []string{"topic", "reason"}),
		Written: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tickerlake_records_written_total", Help: "Rows durably written, by dataset and sink.",
		}, []string{"dataset", "sink"}),
		LastEvent: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tickerlake_dataset_last_event_timestamp_seconds", Help: "Event time of the newest row written, by dataset.",
		}, []string{"dataset"}),
		CommitSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "tickerlake_sink_commit_duration_seconds", Help: "Time to durably commit one batch, by sink.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 15),
		}, []string{"sink"}),
		HTTPSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "tickerlake_http_request_duration_seconds", Help: "HTTP request latency, by route, method and status.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "method", "status"}),
		QuerySeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "tickerlake_sql_query_duration_seconds", Help: "DuckDB time of one query over the lake, by query name (sql for ad-hoc SQL).",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}, []string{"query"}),
		TasksQueued: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tickerlake_collect_tasks_queued", Help: "Collection tasks fetched and waiting for their provider's lane, by provider.",
		}, []string{"provider"}),
		TasksInFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tickerlake_collect_tasks_in_flight", Help: "Collection tasks being collected, by provider.",
		}, []string{"provider"}),
		TaskQueueWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "tickerlake_collect_task_queue_wait_seconds", Help: "Time a collection task waited for its provider's lane, by provider.",
			Buckets: prometheus.ExponentialBuckets(0.01, 4, 10),
		}, []string{"provider"}),
		HousekeepingRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tickerlake_lake_housekeeping_runs_total", Help: "Runs of the lake's housekeeping steps (retention, compaction, janitor), by step and outcome (ok, failed).",
		}, []string{"step", "outcome"}),
		HousekeepingLastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tickerlake_lake_housekeeping_last_success_timestamp_seconds", Help: "When each housekeeping step last finished without error.",
		}, []string{"step"}),
		HousekeepingDeleted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tickerlake_lake_housekeeping_objects_deleted_total", Help: "Objects the housekeeping deleted: orphans and the objects compaction or retention replaced once no live table snapshot holds them (janitor); in a lake of commit records, replaced files and retired records (compaction).",
		}, []string{"step"}),
		LakeObjects: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tickerlake_lake_objects", Help: "Data objects in the lake at the janitor's last run, by dataset and format.",
		}, []string{"dataset", "format"}),
		ResponseCache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tickerlake_api_response_cache_requests_total", Help: "API data requests the response cache answered (hit) or passed to the lake (miss).",
		}, []string{"result"}),
	}
	for _, result := range []string{"hit", "miss"} {
		s.ResponseCache.WithLabelValues(result)
	}
	r.MustRegister(s.Tasks, s.Ingested, s.Processed, s.DeadLettered, s.Written, s.LastEvent, s.CommitSeconds, s.HTTPSeconds, s.QuerySeconds,
		s.TasksQueued, s.TasksInFlight, s.TaskQueueWait,
		s.HousekeepingRuns, s.HousekeepingLastSuccess, s.HousekeepingDeleted, s.LakeObjects, s.ResponseCache,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return s
}

// Serve exposes the set on addr at /metrics until ctx ends.
func Serve(ctx context.Context, addr string, s *Set) error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.Registry, promhttp.HandlerOpts{}))
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve metrics on %s: %w", addr, err)
	}
	return nil
}
