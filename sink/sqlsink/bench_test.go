package sqlsink

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/sink"
	"github.com/tickerlake/tickerlake/sink/sinktest"
)

const benchRows = 5000

// benchBars are benchRows daily bars with keys no earlier iteration used.
func benchBars(iter int) []sink.Row {
	rows := make([]sink.Row, benchRows)
	day := time.Date(2000, 1, 3, 0, 0, 0, 0, time.UTC)
	at := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	for i := range rows {
		sym := fmt.Sprintf("B%07d", iter*benchRows/50+i/50)
		p := 100 + float64(i%50)
		rows[i] = sink.Row{Values: []any{sym, day.AddDate(0, 0, i%50), p, p + 1, p - 1, p + 0.5, int64(1000 + i), false, at}}
	}
	return rows
}

func reportRows(b *testing.B) {
	b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkPostgres compares the sink's two write paths with bare pgx doing
// the same work on the same server: bulk (COPY into a staging table, then
// one upsert) and parameterised multi-row upserts, plus pgx's own ceilings
// (COPY into a table with no key, and a batch of one-row upserts).
func BenchmarkPostgres(b *testing.B) {
	dsn := sinktest.PostgresDB(b, sinktest.Env(b, "TICKERLAKE_TEST_PG_DSN", "the PostgreSQL benchmark"))
	ctx := context.Background()
	bulk, err := Open(ctx, Config{DSN: dsn, BulkRows: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer bulk.Close()
	params, err := Open(ctx, Config{DSN: dsn, BulkRows: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	defer params.Close()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	cols := sink.StockData.Names()
	project := func(rows []sink.Row) [][]any { return sink.StockData.Project(rows) }
	iter := 0
	next := func() []sink.Row { iter++; return benchBars(iter) }

	b.Run("copy/sink", func(b *testing.B) {
		for b.Loop() {
			if err := bulk.Write(ctx, market.DailyBars, next()); err != nil {
				b.Fatal(err)
			}
		}
		reportRows(b)
	})
	b.Run("copy/bare-pgx", func(b *testing.B) {
		for b.Loop() {
			rows := project(next())
			err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
				if _, err := tx.Exec(ctx, `CREATE TEMP TABLE bare_stage (LIKE "StockData" INCLUDING DEFAULTS) ON COMMIT DROP`); err != nil {
					return err
				}
				if _, err := tx.CopyFrom(ctx, pgx.Identifier{"bare_stage"}, cols, pgx.CopyFromRows(rows)); err != nil {
					return err
				}
				_, err := tx.Exec(ctx, `INSERT INTO "StockData" SELECT * FROM bare_stage ON CONFLICT ("StockName", "Date") DO UPDATE SET
					"Open" = EXCLUDED."Open", "High" = EXCLUDED."High", "Low" = EXCLUDED."Low", "Close" = EXCLUDED."Close",
					"Volume" = EXCLUDED."Volume", "Imputed" = EXCLUDED."Imputed", "IngestedAt" = EXCLUDED."IngestedAt"
					WHERE "StockData"."IngestedAt" <= EXCLUDED."IngestedAt"`)
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		reportRows(b)
	})
	b.Run("copy/bare-pgx-no-key", func(b *testing.B) {
		if _, err := conn.Exec(ctx, `CREATE TABLE bare_heap (LIKE "StockData")`); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := conn.CopyFrom(ctx, pgx.Identifier{"bare_heap"}, cols, pgx.CopyFromRows(project(next()))); err != nil {
				b.Fatal(err)
			}
		}
		reportRows(b)
		if _, err := conn.Exec(ctx, `DROP TABLE bare_heap`); err != nil {
			b.Fatal(err)
		}
	})
	b.Run("upsert/sink", func(b *testing.B) {
		for b.Loop() {
			if err := params.Write(ctx, market.DailyBars, next()); err != nil {
				b.Fatal(err)
			}
		}
		reportRows(b)
	})
	b.Run("upsert/bare-pgx-multirow", func(b *testing.B) {
		q := pgInsertSQL(sink.StockData, benchRows)
		for b.Loop() {
			var args []any
			for _, r := range project(next()) {
				args = append(args, r...)
			}
			if _, err := conn.Exec(ctx, q, args...); err != nil {
				b.Fatal(err)
			}
		}
		reportRows(b)
	})
	b.Run("upsert/bare-pgx-batch", func(b *testing.B) {
		q := pgInsertSQL(sink.StockData, 1)
		for b.Loop() {
			batch := &pgx.Batch{}
			for _, r := range project(next()) {
				batch.Queue(q, r...)
			}
			if err := conn.SendBatch(ctx, batch).Close(); err != nil {
				b.Fatal(err)
			}
		}
		reportRows(b)
	})
}
