# Recipes; the README's two commands work without just installed.

# Run the whole pipeline on embedded defaults (API on http://localhost:8006).
up *ARGS:
    go run ./cmd/tickerlake up {{ARGS}}

# Run the whole test suite, as CI does.
test *ARGS:
    bash scripts/test.sh {{ARGS}}

# Benchmarks: end-to-end option rows to Parquet beside bare parquet-go.
bench:
    go test -run '^$' -bench . -benchtime 3x ./cmd/tickerlake/ ./transform/quant/

# Benchmarks of the SQL and InfluxDB sinks, against servers it starts.
bench-sinks:
    bash scripts/bench-sinks.sh

# The container image (non-root, web app embedded), tagged as k8s/overlays/local expects.
image TAG="tickerlake/tickerlake:dev":
    docker build -t {{TAG}} .

# Ad-hoc SQL over the lake, e.g. just sql "SELECT count(*) FROM daily_bars"
sql QUERY:
    go run ./cmd/tickerlake sql "{{QUERY}}"
