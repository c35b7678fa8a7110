package laketest

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/tickerlake/tickerlake/clock"
	"github.com/tickerlake/tickerlake/lake"
)

// Clock is a manual clock for the fake S3 server's object times and the
// code under test alike.
type Clock struct{ *clock.Manual }

// NewClock starts a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{clock.NewManual(t)} }

// Since is Now minus t, as the fake server asks.
func (c *Clock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }

// FakeS3 starts an in-process S3 server (gofakes3, in memory) whose object
// times come from clock, creates bucket in it, and returns a lake store
// under prefix there.
func FakeS3(t testing.TB, clock *Clock, bucket, prefix string) *lake.S3 {
	t.Helper()
	// The clock may run far from the request signatures' real time, so
	// the server does not check their skew.
	fake := gofakes3.New(s3mem.New(s3mem.WithTimeSource(clock)), gofakes3.WithTimeSkewLimit(0), gofakes3.WithLogger(gofakes3.DiscardLog()))
	srv := httptest.NewServer(fake.Server())
	t.Cleanup(srv.Close)
	cfg := lake.S3Config{Bucket: bucket, Prefix: prefix, Endpoint: srv.URL, Region: "us-east-1", PathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
	st, err := lake.NewS3(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Client().CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	return st
}

// S3FromEnv returns a store on the S3 server scripts/services/versitygw.sh
// started (TICKERLAKE_TEST_S3_*), under a prefix of its own for this test.
// Without that server it returns false, or fails the test under CI=true.
func S3FromEnv(t testing.TB) (*lake.S3, bool) {
	t.Helper()
	endpoint := os.Getenv("TICKERLAKE_TEST_S3_ENDPOINT")
	if endpoint == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("TICKERLAKE_TEST_S3_ENDPOINT is not set under CI: scripts/services/versitygw.sh did not run")
		}
		return nil, false
	}
	prefix := fmt.Sprintf("test/%s-%d", strings.NewReplacer("/", "-", " ", "_").Replace(t.Name()), time.Now().UnixNano())
	cfg := lake.S3Config{Bucket: os.Getenv("TICKERLAKE_TEST_S3_BUCKET"), Prefix: prefix, Endpoint: endpoint,
		Region: os.Getenv("TICKERLAKE_TEST_S3_REGION"), PathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(os.Getenv("TICKERLAKE_TEST_S3_ACCESS_KEY"), os.Getenv("TICKERLAKE_TEST_S3_SECRET_KEY"), "")}
	st, err := lake.NewS3(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return st, true
}

// RequireS3 is S3FromEnv for tests that need the server: they skip, saying
// why, when it is absent outside CI.
func RequireS3(t testing.TB) *lake.S3 {
	t.Helper()
	st, ok := S3FromEnv(t)
	if !ok {
		t.Skip("no S3 server: run scripts/services/versitygw.sh (bash scripts/test.sh does) and export what it prints")
	}
	return st
}
