# Recipes; the README's two commands work without just installed.

# Run the whole pipeline on embedded defaults (API on http://localhost:8006).
up *ARGS:
    go run ./cmd/tickerlake up {{ARGS}}

# Run the whole test suite, as CI does.
test *ARGS:
    bash scripts/test.sh {{ARGS}}

# Benchmarks with the README's counts: raw option rows to committed Parquet
# beside the floor (parquet-go alone), and the API of a running `up`.
bench:
    go test -run '^$' -bench Options -benchtime 5x ./cmd/tickerlake/
    go test -run '^$' -bench UpLoad -benchtime 2000x ./cmd/tickerlake/

# The lake's writer and query benchmarks, 12 and 6 runs, as medians.
bench-lake:
    mkdir -p .tools
    go test -run '^$' -bench WriterThroughput -benchtime 5x -count 12 ./lake/ | tee .tools/bench-writer.txt
    go test -run '^$' -bench Query -count 6 ./lake/query/ | tee .tools/bench-query.txt
    go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da .tools/bench-writer.txt .tools/bench-query.txt

# Benchmarks of the SQL and InfluxDB sinks, against servers it starts.
bench-sinks:
    bash scripts/bench-sinks.sh

# The container image (non-root, web app embedded), tagged as k8s/overlays/local expects.
image TAG="tickerlake/tickerlake:dev":
    docker build -t {{TAG}} .

# Ad-hoc SQL over the lake, e.g. just sql "SELECT count(*) FROM daily_bars"
sql QUERY:
    go run ./cmd/tickerlake sql "{{QUERY}}"
