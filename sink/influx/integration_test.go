package influx

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
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

// influxQL runs an InfluxQL query and returns the first series' rows.
func influxQL(t testing.TB, base, db, q string) [][]any {
	t.Helper()
	resp, err := http.Get(base + "/query?" + url.Values{"db": {db}, "q": {q}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Results []struct {
			Error  string `json:"error"`
			Series []struct {
				Values [][]any `json:"values"`
			} `json:"series"`
		} `json:"results"`
		Error string `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	if out.Error != "" || len(out.Results) == 0 || out.Results[0].Error != "" {
		t.Fatalf("%s: %+v", q, out)
	}
	if len(out.Results[0].Series) == 0 {
		return nil
	}
	return out.Results[0].Series[0].Values
}

// number reads one numeric result; no series means zero.
func number(t testing.TB, base, db, q string) float64 {
	rows := influxQL(t, base, db, q)
	if len(rows) == 0 {
		return 0
	}
	f, ok := rows[0][1].(float64)
	if !ok {
		t.Fatalf("%s: %v is not a number", q, rows[0][1])
	}
	return f
}

// conflict writes a float volume into the shard holding early January 2000,
// so that an integer volume written there later is refused: InfluxDB's way
// of rejecting a point.
func conflict(t testing.TB, base, bucket string) {
	db := strings.Split(bucket, "/")[0]
	body := fmt.Sprintf("%s,StockName=AMD,symbol=AMD volume=1.5 %d", Measurement, time.Date(2000, 1, 4, 15, 0, 0, 0, time.UTC).Unix())
	resp, err := http.Post(base+"/write?precision=s&db="+db, "text/plain", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		msg, _ := io.ReadAll(resp.Body)
		t.Fatalf("seed conflicting point into %s: %s: %s", db, resp.Status, msg)
	}
}

func TestInflux(t *testing.T) {
	base := sinktest.Env(t, "TICKERLAKE_TEST_INFLUX_URL", "the InfluxDB integration test")
	bucket := sinktest.InfluxDB(t, base)
	db := strings.Split(bucket, "/")[0]
	ctx := context.Background()
	log := sinktest.Logger(t)
	conflict(t, base, bucket)

	ingested := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	fx := sinktest.NewFixture(5, ingested)
	// Good AMD bars, and one in the conflicting shard.
	amd := []market.IntradayBar{
		{Symbol: "AMD", TS: time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC), Open: 100, High: 101, Low: 99, Close: 100, Volume: 10, IngestedAt: ingested},
		{Symbol: "AMD", TS: time.Date(2000, 1, 3, 15, 0, 0, 0, time.UTC), Open: 100, High: 101, Low: 99, Close: 100, Volume: 10, IngestedAt: ingested},
		{Symbol: "AMD", TS: time.Date(2026, 11, 20, 15, 15, 0, 0, time.UTC), Open: 100, High: 101, Low: 99, Close: 100, Volume: 10, IngestedAt: ingested},
	}
	brokers := sinktest.Broker(t)
	sinktest.Publish(t, brokers, append(fx.Messages(t), sinktest.Message(t, stream.ProcessedIntradayData, market.IntradayBars, "AMD", amd)))

	s, err := New(ctx, Config{URL: base, Bucket: bucket, BatchSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	good := float64(len(fx.Intraday) + 2)
	for _, group := range []string{"sink-influx", "sink-influx-replay"} {
		m := metrics.New()
		stop := sinktest.Run(t, (&sink.Consumer{Sink: s, Group: group, Kafka: stream.Cluster{Brokers: brokers}, Log: log, Metrics: m, BatchWindow: 300 * time.Millisecond}).Run)
		sinktest.Eventually(t, 60*time.Second, func() (bool, string) {
			got := testutil.ToFloat64(m.Written.WithLabelValues(market.IntradayBars.Name, "influx"))
			return got >= good, fmt.Sprintf("%v of %v points written", got, good)
		})
		stop()
		// Reconcile after the first delivery and after the replay alike.
		if n := number(t, base, db, `SELECT count("close") FROM "stock_15min" WHERE time > '2020-01-01T00:00:00Z'`); n != good {
			t.Errorf("%s: %v bars in InfluxDB, want %v", group, n, good)
		}
		var volume int64
		for _, b := range fx.Intraday {
			if b.Symbol == "MSFT" {
				volume += b.Volume
			}
		}
		if n := number(t, base, db, `SELECT sum("volume") FROM "stock_15min" WHERE "StockName" = 'MSFT'`); n != float64(volume) {
			t.Errorf("%s: MSFT volume %v, want %d", group, n, volume)
		}
		// One bar read back field by field.
		b := fx.Intraday[7]
		rows := influxQL(t, base, db, fmt.Sprintf(`SELECT "open", "high", "low", "close", "volume" FROM "stock_15min" WHERE "symbol" = '%s' AND time = '%s'`,
			b.Symbol, b.TS.Format(time.RFC3339)))
		if len(rows) != 1 || rows[0][1] != b.Open || rows[0][2] != b.High || rows[0][3] != b.Low || rows[0][4] != b.Close || rows[0][5] != float64(b.Volume) {
			t.Errorf("%s: read back %v, want %+v", group, rows, b)
		}
	}
	dead := sinktest.DeadLetters(t, brokers, 2, 20*time.Second)
	checkDead(t, dead)
}

// checkDead expects the conflicting bar dead-lettered once per delivery.
func checkDead(t *testing.T, dead []kafka.Message) {
	if len(dead) != 2 {
		t.Fatalf("%d dead letters, want 2 (one per delivery)", len(dead))
	}
	for _, m := range dead {
		if r := stream.Header(m, stream.HeaderReason); r != "influx_rejected" {
			t.Errorf("reason %q", r)
		}
		_, rows, err := sink.Decode(m)
		if err != nil || len(rows) != 1 || rows[0].Values[1].(time.Time).Year() != 2000 {
			t.Errorf("dead letter %v, %v: want the year-2000 bar", rows, err)
		}
	}
}
