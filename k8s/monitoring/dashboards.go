package monitoring

import "strings"

// rate5m sums a counter's per-second rate over five minutes by labels.
func rate5m(metric, by string) string {
	return "sum by (" + by + ") (rate(" + metric + "[5m]))"
}

// quantile is a histogram's q-quantile over five minutes by labels.
func quantile(q, bucket, by string) string {
	return "histogram_quantile(" + q + ", sum by (le, " + by + ") (rate(" + bucket + "[5m])))"
}

// p50p99 are a histogram's median and 99th percentile over five minutes
// by labels; legend follows "p50 " or "p99 " (e.g. "{{route}}").
func p50p99(bucket, by, legend string) []Query {
	return []Query{
		{quantile("0.5", bucket, by), strings.TrimSpace("p50 " + legend)},
		{quantile("0.99", bucket, by), strings.TrimSpace("p99 " + legend)},
	}
}

// Dashboards are the dashboards, in the order the README lists them.
func Dashboards() []Dashboard {
	return []Dashboard{pipeline(), lakeBoard(), kafkaBoard(), apiBoard(), sinksBoard(), marketBoard()}
}

func pipeline() Dashboard {
	return Dashboard{
		UID: "tickerlake-pipeline", Title: "tickerlake / Pipeline",
		Description: "Collection, cleaning and dead letters: from the providers to the processed topics.",
		Panels: []Panel{
			{Title: "Collection tasks finished", Unit: "ops", Description: "Tasks per second by kind and status.",
				Queries: []Query{{rate5m("tickerlake_collect_tasks_total", "kind, status"), "{{kind}} {{status}}"}}},
			{Title: "Collection progress", Unit: "percentunit", Needs: "twelvedata",
				Description: "Share of the current task's symbols done, by provider.",
				Queries:     []Query{{"max by (source) (tickerlake_provider_task_progress_ratio)", "{{source}}"}}},
			{Title: "Daily credits left", Unit: "short", Needs: "twelvedata",
				Description: "Daily credits left over all keys of a provider, and per key label; Twelve Data's reset at 00:00 UTC.",
				Queries: []Query{
					{"min by (source) (tickerlake_provider_daily_credits_left)", "{{source}}"},
					{"min by (source, key) (tickerlake_provider_key_daily_credits_left)", "{{source}} {{key}}"},
				}},
			{Title: "Provider calls refused (429s)", Unit: "reqps", Needs: "twelvedata", Sparse: true,
				Description: "Calls throttled for the minute or the day, or refused as unauthorized, by provider and key label.",
				Queries:     []Query{{rate5m(`tickerlake_provider_calls_total{outcome=~"throttled|exhausted|unauthorized"}`, "source, key, outcome"), "{{source}} {{key}} {{outcome}}"}}},
			{Title: "Collection tasks queued and in flight", Unit: "short",
				Description: "Tasks fetched from task-queue waiting for their provider's lane, and tasks being collected, by provider.",
				Queries: []Query{
					{"sum by (provider) (tickerlake_collect_tasks_queued)", "queued {{provider}}"},
					{"sum by (provider) (tickerlake_collect_tasks_in_flight)", "in flight {{provider}}"},
				}},
			{Title: "Collection task queue wait", Unit: "s", Description: "p50 and p99 of the time a task waited for its provider's lane.",
				Queries: p50p99("tickerlake_collect_task_queue_wait_seconds_bucket", "provider", "{{provider}}")},
			{Title: "Records ingested", Unit: "rps", Description: "Raw messages the collector published, by topic.",
				Queries: []Query{{rate5m("tickerlake_records_ingested_total", "topic"), "{{topic}}"}}},
			{Title: "Records processed", Unit: "rps", Description: "Records the processor accepted, by processed topic.",
				Queries: []Query{{rate5m("tickerlake_records_processed_total", "topic"), "{{topic}}"}}},
			{Title: "Records dead-lettered by reason", Unit: "rps", Description: "Records sent to the dead-letter topic, by source topic and reason.",
				Queries: []Query{{rate5m("tickerlake_records_dead_lettered_total", "topic, reason"), "{{topic}} {{reason}}"}}},
			{Title: "Dead-letter ratio", Unit: "percentunit", Description: "Share of records rejected over 15 minutes (alert above 5%).",
				Queries: []Query{{"tickerlake:dead_letter_ratio:rate15m", "dead-lettered"}}},
			{Title: "Values imputed", Unit: "ops", Description: "Bar values the processor filled in, by dataset and method.",
				Queries: []Query{{rate5m("tickerlake_values_imputed_total", "dataset, method"), "{{dataset}} {{method}}"}}},
			{Title: "Gap bars inserted and duplicates dropped", Unit: "ops",
				Queries: []Query{
					{rate5m("tickerlake_gap_bars_inserted_total", "dataset"), "gap bars {{dataset}}"},
					{rate5m("tickerlake_records_deduplicated_total", "dataset"), "duplicates {{dataset}}"},
				}},
			{Title: "Option IVs unsolved", Unit: "ops", Description: "Option quotes with a price but no implied volatility, by reason: at_or_below_intrinsic (an American quote at or under intrinsic value), outside_bounds (outside the other no-arbitrage bounds), vol_above_range (needs more volatility than the solver allows), not_computable (inputs the pricer cannot evaluate).",
				Queries: []Query{{rate5m("tickerlake_option_iv_unsolved_total", "dataset, reason"), "{{dataset}} {{reason}}"}}},
		},
	}
}

func lakeBoard() Dashboard {
	return Dashboard{
		UID: "tickerlake-lake", Title: "tickerlake / Lake",
		Description: "Commits, rows and freshness of the lake's datasets.",
		Panels: []Panel{
			{Title: "Rows committed per dataset", Unit: "rps",
				Queries: []Query{{`tickerlake:records_written:rate5m{sink="lake"}`, "{{dataset}}"}}},
			{Title: "Commits", Unit: "ops", Description: "Batches the writer committed to the lake per second.",
				Queries: []Query{{rate5m(`tickerlake_sink_commit_duration_seconds_count{sink="lake"}`, "sink"), "commits"}}},
			{Title: "Commit latency", Unit: "s", Description: "Time to encode, put and commit one batch.",
				Queries: p50p99(`tickerlake_sink_commit_duration_seconds_bucket{sink="lake"}`, "sink", "")},
			{Title: "Freshness", Unit: "s", Description: "Now minus the newest event written, per dataset, and its objective.",
				Queries: []Query{
					{"tickerlake:dataset_freshness_seconds", "{{dataset}}"},
					{"tickerlake:dataset_freshness_objective_seconds", "objective {{dataset}}"},
				}},
			{Title: "Freshness error ratio", Unit: "percentunit",
				Description: "Share of the last hour and six hours each dataset was staler than its objective: the freshness SLO's burn (99% objective).",
				Queries: []Query{
					{"tickerlake:dataset_freshness_error_ratio:1h", "1h {{dataset}}"},
					{"tickerlake:dataset_freshness_error_ratio:6h", "6h {{dataset}}"},
				}},
			{Title: "Writer lag", Unit: "short", Description: "Messages the writer has not yet committed to the lake, by topic.",
				Queries: []Query{{`tickerlake:consumer_group_lag:sum{group="writer"}`, "{{topic}}"}}},
			{Title: "Objects in the lake", Unit: "short", Description: "Data objects per dataset and format, counted at each housekeeping run: compaction brings them down.",
				Queries: []Query{{"sum by (dataset, format) (tickerlake_lake_objects)", "{{dataset}} {{format}}"}}},
			{Title: "Housekeeping runs", Unit: "short", Description: "Retention, compaction and janitor runs over the last hour, by outcome.",
				Queries: []Query{{"sum by (step, outcome) (increase(tickerlake_lake_housekeeping_runs_total[1h]))", "{{step}} {{outcome}}"}}},
			{Title: "Since the last successful housekeeping", Unit: "s", Description: "Time since each step last finished without error (alert past 3h while runs fail).",
				Queries: []Query{{"time() - max by (step) (tickerlake_lake_housekeeping_last_success_timestamp_seconds)", "{{step}}"}}},
			{Title: "Objects deleted by housekeeping", Unit: "short", Description: "Replaced files and retired records (compaction) and orphans (janitor) deleted over the last hour.",
				Queries: []Query{{"sum by (step) (increase(tickerlake_lake_housekeeping_objects_deleted_total[1h]))", "{{step}}"}}},
		},
	}
}

func kafkaBoard() Dashboard {
	return Dashboard{
		UID: "tickerlake-kafka", Title: "tickerlake / Kafka",
		Description: "Consumer lag of every group: collector, processor, writer and the SQL and InfluxDB sinks.",
		Panels: []Panel{
			{Title: "Lag by group", Unit: "short",
				Queries: []Query{{"sum by (group) (tickerlake:consumer_group_lag:sum)", "{{group}}"}}},
			{Title: "Lag by group and topic", Unit: "short",
				Queries: []Query{{"tickerlake:consumer_group_lag:sum", "{{group}} {{topic}}"}}},
			{Title: "Lag by partition", Unit: "short", Description: "One partition lagging alone points at one hot symbol or a stuck consumer.",
				Queries: []Query{{"max by (group, topic, partition) (tickerlake_kafka_consumer_group_lag)", "{{group}} {{topic}}/{{partition}}"}}},
			{Title: "Lag scrape failures", Unit: "short", Description: "1 while the api cannot read a group's offsets.",
				Queries: []Query{{"max by (group) (tickerlake_kafka_consumer_group_lag_scrape_errors)", "{{group}}"}}},
		},
	}
}

func apiBoard() Dashboard {
	const count, bucket = "tickerlake_http_request_duration_seconds_count", "tickerlake_http_request_duration_seconds_bucket"
	return Dashboard{
		UID: "tickerlake-api", Title: "tickerlake / API",
		Description: "Requests, errors and latency of the REST API, and DuckDB's time.",
		Panels: []Panel{
			{Title: "Requests by route", Unit: "reqps",
				Queries: []Query{{"tickerlake:http_requests:rate5m", "{{route}}"}}},
			{Title: "5xx ratio by route", Unit: "percentunit",
				Queries: []Query{{"tickerlake:http_errors:ratio_rate5m", "{{route}}"}}},
			{Title: "Errors by route and status", Unit: "reqps", Sparse: true,
				Queries: []Query{{rate5m(count+`{status=~"4..|5.."}`, "route, status"), "{{route}} {{status}}"}}},
			{Title: "Rate-limited requests", Unit: "reqps", Sparse: true, Description: "Requests answered 429 by the API's rate limiter.",
				Queries: []Query{{rate5m(count+`{status="429"}`, "route"), "{{route}}"}}},
			{Title: "Latency by route", Unit: "s",
				Queries: []Query{
					{quantile("0.5", bucket, "route"), "p50 {{route}}"},
					{quantile("0.9", bucket, "route"), "p90 {{route}}"},
					{"tickerlake:http_request_duration_seconds:p99_rate5m", "p99 {{route}}"},
				}},
			{Title: "Response cache", Unit: "reqps", Description: "Data requests the API's response cache answered (hit) and passed to the lake (miss).",
				Queries: []Query{{rate5m("tickerlake_api_response_cache_requests_total", "result"), "{{result}}"}}},
			{Title: "Query cache", Unit: "ops", Needs: "s3",
				Description: "Lake objects the API's queries found in its local cache of a remote lake (hits) and fetched into it (misses), and evictions to stay within --cache-size.",
				Queries: []Query{
					{"sum(rate(tickerlake_query_cache_hits_total[5m]))", "hits"},
					{"sum(rate(tickerlake_query_cache_misses_total[5m]))", "misses"},
					{"sum(rate(tickerlake_query_cache_evictions_total[5m]))", "evictions"},
				}},
			{Title: "DuckDB query time", Unit: "s", Description: "p50 and p99 of DuckDB's time per API query, by query name (sql for ad-hoc SQL).",
				Queries: p50p99("tickerlake_sql_query_duration_seconds_bucket", "query", "{{query}}")},
		},
	}
}

func sinksBoard() Dashboard {
	return Dashboard{
		UID: "tickerlake-sinks", Title: "tickerlake / Sinks",
		Description: "The SQL warehouse and InfluxDB sinks: rows, commit time, rejected rows and lag.",
		Panels: []Panel{
			{Title: "Rows written by sink", Unit: "rps", Needs: "sql",
				Queries: []Query{{`tickerlake:records_written:rate5m{sink!="lake"}`, "{{sink}} {{dataset}}"}}},
			{Title: "Commit latency by sink", Unit: "s", Needs: "sql",
				Queries: []Query{{quantile("0.99", `tickerlake_sink_commit_duration_seconds_bucket{sink!="lake"}`, "sink"), "p99 {{sink}}"}}},
			{Title: "Rows rejected by the stores", Unit: "rps", Needs: "sql", Sparse: true,
				Description: "Rows the stores refused, and undecodable messages, sent to the dead-letter topic.",
				Queries:     []Query{{rate5m(`tickerlake_records_dead_lettered_total{reason=~".*_rejected|sink_decode_error"}`, "topic, reason"), "{{topic}} {{reason}}"}}},
			{Title: "Sink lag", Unit: "short", Needs: "sql",
				Queries: []Query{{`tickerlake:consumer_group_lag:sum{group=~"sink-.*"}`, "{{group}} {{topic}}"}}},
		},
	}
}

func marketBoard() Dashboard {
	return Dashboard{
		UID: "tickerlake-market", Title: "tickerlake / Market", Symbol: true,
		Description: "The 15-minute bars in InfluxDB (measurement stock_15min, tag StockName), as the original system charted them.",
		Panels: []Panel{
			{Title: "Close ($symbol)", Unit: "currencyUSD", Needs: "influx",
				InfluxQL: []Query{{`SELECT last("close") FROM "stock_15min" WHERE "StockName" =~ /^$symbol$/ AND $timeFilter GROUP BY time(15m), "StockName" fill(none)`, "$tag_StockName"}}},
			{Title: "Volume ($symbol)", Unit: "short", Needs: "influx",
				InfluxQL: []Query{{`SELECT sum("volume") FROM "stock_15min" WHERE "StockName" =~ /^$symbol$/ AND $timeFilter GROUP BY time(15m), "StockName" fill(0)`, "$tag_StockName"}}},
		},
	}
}
