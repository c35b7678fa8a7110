package sinktest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// scratchName is a database name unique to this test process and test, so
// packages testing in parallel against one server never share tables.
func scratchName(t testing.TB) string {
	name := strings.ToLower(t.Name())
	var b strings.Builder
	for _, r := range name {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	s := b.String()
	if len(s) > 30 {
		s = s[:30]
	}
	return fmt.Sprintf("tl_%s_%d_%d", s, os.Getpid(), time.Now().UnixNano()%1e6)
}

// PostgresDB creates a scratch database on the server of dsn and returns
// its DSN; it is dropped when the test ends.
func PostgresDB(t testing.TB, dsn string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect to the test PostgreSQL: %v", err)
	}
	defer conn.Close(ctx)
	name := scratchName(t)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, dsn); err == nil {
			_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			_ = c.Close(ctx)
		}
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// InfluxDB creates a scratch database on the InfluxDB 1.8 server at base
// and returns its bucket ("database/autogen"); it is dropped when the test
// ends.
func InfluxDB(t testing.TB, base string) string {
	t.Helper()
	name := scratchName(t)
	influxExec(t, base, "CREATE DATABASE "+name)
	t.Cleanup(func() { influxExec(t, base, "DROP DATABASE "+name) })
	return name + "/autogen"
}

func influxExec(t testing.TB, base, q string) {
	resp, err := http.PostForm(base+"/query", url.Values{"q": {q}})
	if err != nil {
		t.Errorf("%s: %v", q, err)
		return
	}
	defer resp.Body.Close()
	// InfluxDB 1.x answers a failed statement with 200 and the error in
	// the body.
	var out struct {
		Error   string `json:"error"`
		Results []struct {
			Error string `json:"error"`
		} `json:"results"`
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("%s: %s: %s", q, resp.Status, body)
		return
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Errorf("%s: %v: %s", q, err, body)
		return
	}
	for _, r := range out.Results {
		if r.Error != "" {
			out.Error = r.Error
		}
	}
	if out.Error != "" {
		t.Errorf("%s: %s", q, out.Error)
	}
}
