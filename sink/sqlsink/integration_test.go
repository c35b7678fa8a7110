package sqlsink

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/metrics"
	"github.com/tickerlake/tickerlake/sink"
	"github.com/tickerlake/tickerlake/sink/sinktest"
	"github.com/tickerlake/tickerlake/stream"
)

// TestPostgres runs the warehouse test against the PostgreSQL that
// scripts/services/postgres.sh starts.
func TestPostgres(t *testing.T) {
	dsn := sinktest.Env(t, "TICKERLAKE_TEST_PG_DSN", "the PostgreSQL integration test")
	testWarehouse(t, sinktest.PostgresDB(t, dsn))
}

// badRows are rows the warehouse must refuse: a negative volume breaks a
// CHECK, a 40-character contract symbol overflows its column.
func badRows(t *testing.T, ingested time.Time) []kafka.Message {
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	var daily []market.DailyBar
	for i := 0; i < 6; i++ {
		d := day.AddDate(0, 0, -i)
		vol := int64(5000)
		if i == 3 {
			vol = -5
		}
		daily = append(daily, market.DailyBar{Symbol: "AMD", Date: d, Open: 100, High: 101, Low: 99, Close: 100.5, Volume: vol, IngestedAt: ingested})
	}
	var quotes []market.OptionQuote
	snap := time.Date(2026, 11, 20, 21, 0, 0, 0, time.UTC)
	exp := time.Date(2026, 12, 18, 0, 0, 0, 0, time.UTC)
	for k := 0; k < 5; k++ {
		cs := sinktest.ContractSymbol("AMD", exp, market.Call, float64(90+k))
		if k == 2 {
			cs = strings.Repeat("X", 40)
		}
		quotes = append(quotes, market.OptionQuote{SnapshotTS: snap, Symbol: "AMD", ContractSymbol: cs, Type: market.Call,
			Expiration: exp, Strike: float64(90 + k), ContractSize: "REGULAR", Currency: "USD", IngestedAt: ingested})
	}
	return []kafka.Message{
		sinktest.Message(t, stream.ProcessedDailyData, market.DailyBars, "AMD", daily),
		sinktest.Message(t, stream.ProcessedOptionData, market.OptionQuotes, "AMD", quotes),
	}
}

func dropTables(t *testing.T, s *Sink) {
	t.Helper()
	ctx := context.Background()
	for _, tb := range append(sink.Tables(), &sink.Table{Name: "tickerlake_schema_migrations"}) {
		q := "DROP TABLE IF EXISTS " + s.db.quote(tb.Name)
		if err := s.db.exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func testWarehouse(t *testing.T, dsn string) {
	ctx := context.Background()
	log := sinktest.Logger(t)
	// Start from an empty database.
	s0, err := Open(ctx, Config{DSN: dsn, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	dropTables(t, s0)
	s0.Close()

	// Replicas starting at once: the lock lets one migrate, the others find it done.
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		sinks []*Sink
	)
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := Open(ctx, Config{DSN: dsn, Log: log, BulkRows: 50})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			sinks = append(sinks, s)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	for _, s := range sinks[1:] {
		s.Close()
	}
	s := sinks[0]
	defer s.Close()
	migs, _ := migrations(dialectOf(t, dsn))
	if n, err := s.db.queryInt(ctx, "SELECT COUNT(*) FROM tickerlake_schema_migrations"); err != nil || n != int64(len(migs)) {
		t.Fatalf("migrations recorded: %d (%v), want %d", n, err, len(migs))
	}

	ingested := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	fx := sinktest.NewFixture(30, ingested)
	brokers := sinktest.Broker(t)
	sinktest.Publish(t, brokers, append(fx.Messages(t), badRows(t, ingested)...))

	calls, puts := 0, 0
	for _, q := range fx.Options {
		if q.Type == market.Call {
			calls++
		} else {
			puts++
		}
	}
	want := map[*sink.Table]int64{
		sink.StockData:      int64(len(fx.Daily) + 5), // the AMD bars but the bad one
		sink.StockData15Min: int64(len(fx.Intraday)),
		sink.CallOptions:    int64(calls + 4), // the AMD calls but the bad one
		sink.PutOptions:     int64(puts),
	}
	goodRows := float64(len(fx.Daily) + 5 + len(fx.Intraday) + len(fx.Options) + 4)

	// First delivery: batches above BulkRows go through COPY / bulk copy.
	m1 := metrics.New()
	stop := sinktest.Run(t, (&sink.Consumer{Sink: s, Kafka: stream.Cluster{Brokers: brokers}, Log: log, Metrics: m1, BatchWindow: 300 * time.Millisecond}).Run)
	waitWritten(t, m1, goodRows)
	stop()
	reconcile(t, s, want)
	dead := sinktest.DeadLetters(t, brokers, 2, 20*time.Second)
	checkDeadLetters(t, dead)

	var volume int64
	for _, b := range fx.Daily {
		volume += b.Volume
	}
	if got, err := s.db.queryInt(ctx, `SELECT SUM(`+s.db.quote("Volume")+`) FROM `+s.db.quote("StockData")+` WHERE `+s.db.quote("StockName")+` <> 'AMD'`); err != nil || got != volume {
		t.Errorf("sum of daily volume = %d (%v), want %d", got, err, volume)
	}

	// Replay everything in a new group through parameterised upserts: the
	// tables must come out the same.
	s2, err := Open(ctx, Config{DSN: dsn, Log: log, BulkRows: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	m2 := metrics.New()
	stop = sinktest.Run(t, (&sink.Consumer{Sink: s2, Group: "sink-sql-replay", Kafka: stream.Cluster{Brokers: brokers}, Log: log, Metrics: m2, BatchWindow: 300 * time.Millisecond}).Run)
	waitWritten(t, m2, goodRows)
	stop()
	reconcile(t, s2, want)

	// A late replay of older data must not overwrite; newer data must.
	first := fx.Daily[0]
	older, newer := first, first
	older.Close, older.IngestedAt = 1, ingested.Add(-time.Hour)
	newer.Close, newer.IngestedAt = 2, ingested.Add(time.Hour)
	closeOf := func() int64 {
		n, err := s2.db.queryInt(ctx, fmt.Sprintf(`SELECT CAST(%s * 1000 AS BIGINT) FROM %s WHERE %s = '%s' AND %s = '%s'`,
			s2.db.quote("Close"), s2.db.quote("StockData"), s2.db.quote("StockName"), first.Symbol, s2.db.quote("Date"), first.Date.Format("2006-01-02")))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	orig := closeOf()
	for _, tc := range []struct {
		name string
		bar  market.DailyBar
		want int64
	}{{"older", older, orig}, {"newer", newer, 2000}} {
		row := sink.Row{Values: []any{tc.bar.Symbol, tc.bar.Date, tc.bar.Open, tc.bar.High, tc.bar.Low, tc.bar.Close, tc.bar.Volume, tc.bar.Imputed, tc.bar.IngestedAt}}
		if err := s2.Write(ctx, market.DailyBars, []sink.Row{row}); err != nil {
			t.Fatal(err)
		}
		if got := closeOf(); got != tc.want {
			t.Errorf("%s replay: Close*1000 = %d, want %d", tc.name, got, tc.want)
		}
	}
	reconcile(t, s2, want)
}

func dialectOf(t *testing.T, dsn string) string {
	if strings.HasPrefix(dsn, "sqlserver:") {
		return "sqlserver"
	}
	return "postgres"
}

func waitWritten(t *testing.T, m *metrics.Set, want float64) {
	t.Helper()
	sinktest.Eventually(t, 90*time.Second, func() (bool, string) {
		var got float64
		for _, ds := range market.Datasets() {
			got += sinkWritten(m, ds)
		}
		return got >= want, fmt.Sprintf("%v of %v rows written", got, want)
	})
}

func reconcile(t *testing.T, s *Sink, want map[*sink.Table]int64) {
	t.Helper()
	for tb, n := range want {
		got, err := s.Count(context.Background(), tb)
		if err != nil {
			t.Fatal(err)
		}
		if got != n {
			t.Errorf("%s has %d rows, want %d", tb.Name, got, n)
		}
	}
}

func checkDeadLetters(t *testing.T, dead []kafka.Message) {
	t.Helper()
	if len(dead) != 2 {
		t.Fatalf("%d dead letters, want 2", len(dead))
	}
	for _, m := range dead {
		if r := stream.Header(m, stream.HeaderReason); r != "sql_rejected" {
			t.Errorf("dead letter reason %q", r)
		}
		if stream.Header(m, stream.HeaderDetail) == "" || stream.Header(m, stream.HeaderOrigin) == "" {
			t.Errorf("dead letter without detail or origin: %v", m.Headers)
		}
		ds, rows, err := sink.Decode(m)
		if err != nil || len(rows) != 1 {
			t.Fatalf("dead letter does not decode to one row: %v (%d rows)", err, len(rows))
		}
		switch ds {
		case market.DailyBars:
			if v := rows[0].Values[6]; v != int64(-5) {
				t.Errorf("dead daily bar has volume %v, want the bad -5", v)
			}
		case market.OptionQuotes:
			if v := rows[0].Values[2]; v != strings.Repeat("X", 40) {
				t.Errorf("dead option is %v, want the 40-character contract", v)
			}
		default:
			t.Errorf("dead letter of dataset %s", ds.Name)
		}
	}
}

// A newer binary brings a new migration: only it is applied, once.
func TestPostgresMigrationUpgrade(t *testing.T) {
	dsn := sinktest.PostgresDB(t, sinktest.Env(t, "TICKERLAKE_TEST_PG_DSN", "the PostgreSQL integration test"))
	ctx := context.Background()
	db, err := openPostgres(ctx, dsn, 500)
	if err != nil {
		t.Fatal(err)
	}
	defer db.close()
	v1, err := migrations("postgres")
	if err != nil {
		t.Fatal(err)
	}
	v2 := append(v1[:len(v1):len(v1)], migration{version: len(v1) + 1, name: "note", sql: `ALTER TABLE "StockData" ADD COLUMN "Note" TEXT`})
	for _, tc := range []struct {
		name string
		migs []migration
		want string
	}{
		{"fresh database", v1, fmt.Sprint(versionsOf(v1))},
		{"same binary again", v1, "[]"},
		{"newer binary", v2, fmt.Sprint([]int{len(v2)})},
		{"newer binary again", v2, "[]"},
	} {
		applied, err := db.migrate(ctx, tc.migs)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := fmt.Sprint(applied); got != tc.want {
			t.Errorf("%s: applied %v, want %s", tc.name, applied, tc.want)
		}
	}
	if n, err := db.queryInt(ctx, `SELECT COUNT(*) FROM information_schema.columns WHERE table_name = 'StockData' AND column_name = 'Note'`); err != nil || n != 1 {
		t.Errorf("the new migration's column: %d (%v)", n, err)
	}
}

func versionsOf(migs []migration) []int {
	out := make([]int, len(migs))
	for i, m := range migs {
		out[i] = m.version
	}
	return out
}

func sinkWritten(m *metrics.Set, ds *market.Dataset) float64 {
	return testutil.ToFloat64(m.Written.WithLabelValues(ds.Name, "sql"))
}
