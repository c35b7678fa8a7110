package influx

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"
	ihttp "github.com/influxdata/influxdb-client-go/v2/api/http"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/sink"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		name                string
		err                 error
		rejected, transient bool
	}{
		{"field type conflict", &ihttp.Error{StatusCode: 400, Message: "partial write: field type conflict"}, true, false},
		{"unprocessable", &ihttp.Error{StatusCode: 422}, true, false},
		{"request too large", &ihttp.Error{StatusCode: 413}, true, false},
		{"throttled", &ihttp.Error{StatusCode: 429, RetryAfter: 5}, false, true},
		{"server error", &ihttp.Error{StatusCode: 503}, false, true},
		{"no answer", &ihttp.Error{Err: errors.New("dial tcp: connection refused")}, false, true},
		{"unauthorized", &ihttp.Error{StatusCode: 401}, false, false},
		{"database not found", &ihttp.Error{StatusCode: 404, Message: "database not found"}, false, false},
		{"other", errors.New("boom"), false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := classify(fmt.Errorf("write 3 points: %w", tc.err))
			if sink.IsRejected(got) != tc.rejected || sink.IsTransient(got) != tc.transient {
				t.Errorf("classify(%v): rejected %v transient %v, want %v %v", tc.err, sink.IsRejected(got), sink.IsTransient(got), tc.rejected, tc.transient)
			}
			if !errors.Is(got, tc.err) {
				t.Errorf("classify lost the cause: %v", got)
			}
			var te *sink.TransientError
			if he, ok := tc.err.(*ihttp.Error); ok && errors.As(got, &te) && te.After != time.Duration(he.RetryAfter)*time.Second {
				t.Errorf("retry after %v, want the server's %ds", te.After, he.RetryAfter)
			}
		})
	}
}

// A server that does not answer is a transient failure, so the consumer
// waits for it rather than stopping.
func TestUnreachableServerIsTransient(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	client := influxdb2.NewClientWithOptions("http://"+addr, "", influxdb2.DefaultOptions().SetHTTPRequestTimeout(5))
	defer client.Close()
	s := &Sink{client: client, api: client.WriteAPIBlocking("", "tickerlake"), batchSize: 10, cols: columnsOf(market.IntradayBars)}
	row := sink.Row{Values: []any{"AAPL", time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC), 1.0, 1.0, 1.0, 1.0, int64(1), false, time.Now()}}
	err = s.Write(context.Background(), market.IntradayBars, []sink.Row{row})
	if err == nil || !sink.IsTransient(err) {
		t.Fatalf("write to a closed port: %v, want a transient error", err)
	}
}
