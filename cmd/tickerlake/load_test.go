package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/tickerlake/tickerlake/internal/loadgen"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/query"
)

// BenchmarkUpLoad runs a real `tickerlake up` process (rate limit off; its
// pipeline keeps replaying sessions while the load runs) and drives its API with 16
// concurrent HTTP clients: a year of one symbol's daily bars, and one full
// option chain. In the same run the bare DuckDB queries behind each route
// read the same lake files in-process.
//
//	go test -run '^$' -bench UpLoad -benchtime 2000x ./cmd/tickerlake/
func BenchmarkUpLoad(b *testing.B) {
	dir := b.TempDir()
	bin := filepath.Join(dir, "tickerlake")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	httpAddr := freeAddr(b)
	// Started outside the repository, so it does not build the web app.
	cmd := exec.Command(bin, "up", "--data-dir", dir, "--http-addr", httpAddr, "--broker-addr", freeAddr(b), "--rate-limit", "0")
	cmd.Dir = dir
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	base := "http://" + httpAddr
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 30 * time.Second}

	// Wait until the backfill has landed a year of bars and a chain.
	var chain struct {
		SnapshotTS time.Time `json:"snapshot_ts"`
	}
	deadline := time.Now().Add(3 * time.Minute)
	for {
		resp, err := client.Get(base + "/api/options-data/?symbol=AAPL")
		if err == nil {
			err = json.NewDecoder(resp.Body).Decode(&chain)
			resp.Body.Close()
		}
		if err == nil && !chain.SnapshotTS.IsZero() {
			break
		}
		if time.Now().After(deadline) {
			b.Fatal("no AAPL option chain within 3 minutes")
		}
		time.Sleep(time.Second)
	}
	store, err := lake.NewDir(filepath.Join(dir, "lake"))
	if err != nil {
		b.Fatal(err)
	}
	eng, err := query.Open(store)
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close()
	ctx := context.Background()
	// Measure once the first-start backfill (a year of daily bars, three
	// closing chains) has landed, while the replay keeps the pipeline busy.
	for {
		res, err := eng.Query(ctx, "SELECT (SELECT count(*) FROM daily_bars), (SELECT count(DISTINCT snapshot_ts) FROM option_quotes)", 0)
		if err != nil {
			b.Fatal(err)
		}
		if res.Rows[0][0].(int64) >= 40000 && res.Rows[0][1].(int64) >= 3 {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("backfill incomplete after 3 minutes: %v", res.Rows[0])
		}
		time.Sleep(time.Second)
	}
	to := time.Now().UTC().Truncate(24 * time.Hour)
	from := to.AddDate(-1, 0, 0)
	get := func(path string) func() error {
		return func() error {
			resp, err := client.Get(base + path)
			if err != nil {
				return err
			}
			_, err = io.Copy(io.Discard, resp.Body)
			if cerr := resp.Body.Close(); err == nil {
				err = cerr
			}
			if err == nil && resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("%s: status %d", path, resp.StatusCode)
			}
			return err
		}
	}
	bare := func(q string, args ...any) func() error {
		return func() error {
			if err := eng.Refresh(ctx); err != nil {
				return err
			}
			return loadgen.Drain(eng.DB().QueryContext(ctx, q, args...))
		}
	}
	cases := []struct {
		name      string
		api, bare func() error
	}{
		{"bars-1y",
			get(fmt.Sprintf("/api/v1/bars/AAPL?from=%s&to=%s&page_size=5000", from.Format(time.DateOnly), to.Format(time.DateOnly))),
			bare("SELECT date, open, high, low, close, volume, imputed FROM daily_bars WHERE symbol = ? AND date >= ? AND date <= ? ORDER BY date", "AAPL", from, to)},
		{"chain",
			get("/api/v1/options/AAPL/chain"),
			bare("SELECT * FROM option_quotes WHERE symbol = ? AND snapshot_ts = (SELECT max(snapshot_ts) FROM option_quotes WHERE symbol = ?) ORDER BY expiration, strike, option_type", "AAPL", "AAPL")},
	}
	for _, c := range cases {
		b.Run(c.name+"/up", func(b *testing.B) { loadgen.Run(b, c.api) })
		b.Run(c.name+"/duckdb", func(b *testing.B) { loadgen.Run(b, c.bare) })
	}
}
