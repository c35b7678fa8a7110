package stream_test

import (
	"context"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/stream"
	"github.com/twmb/franz-go/pkg/kfake"
)

// BenchmarkConsume reads a snapshot's option topics back through a
// kafka-go reader from an in-process broker, as the processor and the lake
// writer fetch them: the raw JSON chains in the batches the raw producer
// (zstd) made of them, and the processed Arrow batches in the processor's
// (lz4). caught-up fetches one record batch at a time, as a consumer that
// keeps up with its producer does, so every batch is decompressed into the
// buffer of a fetch of its own; backlog fetches as much as NewReader's
// readers ask for (fetchMaxBytes). allocs/msg and B/msg count everything the process allocated per
// message read: the reader's goroutines, and the in-process broker's
// answers to its fetches too (from a fifth of the bytes when caught up to
// two thirds for the processed backlog fetched 32 MiB at a time, by a
// memory profile); cpu-ms/op is
// a snapshot's CPU time, the broker's included. kafka-go decompresses each
// batch into a bytes.Buffer from a sync.Pool, grown to four times the
// compressed size first (then doubled by ReadFrom when the batch
// decompresses to more, as the raw JSON does at 7 to 1): here the pool
// keeps its buffers and that growth hardly shows, whereas in the options
// pipeline, with a collection a snapshot, it allocated some 3 MB a snapshot
// (a -memprofile of BenchmarkOptionsRawToLake in cmd/tickerlake, bytes.growSlice under kafka-go).
func BenchmarkConsume(b *testing.B) {
	raw, processed := benchTopics(b)
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, stream.OptionData, stream.ProcessedOptionData))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	k := stream.Cluster{Brokers: c.ListenAddrs()}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// Each topic holds the snapshot this many times; the readers go round.
	const copies = 4
	for _, topic := range []struct {
		name   string
		w      *kafka.Writer
		values [][]byte
	}{{stream.OptionData, stream.NewWriter(k, stream.OptionData), raw}, {stream.ProcessedOptionData, stream.NewProcessedWriter(k), processed}} {
		hs := stream.Headers(stream.HeaderEncoding, stream.EncodingArrow, stream.HeaderSchema, market.OptionQuotes.Name,
			stream.HeaderSchemaVersion, strconv.Itoa(market.SchemaVersion))
		name := topic.name // a writer of one topic refuses messages that name it
		if topic.w.Topic != "" {
			name = ""
		}
		msgs := make([]kafka.Message, len(topic.values))
		for i, v := range topic.values {
			msgs[i] = kafka.Message{Topic: name, Key: []byte(strconv.Itoa(i)), Value: v, Headers: hs}
		}
		for range copies {
			if err := topic.w.WriteMessages(ctx, msgs...); err != nil {
				b.Fatal(err)
			}
		}
		if err := topic.w.Close(); err != nil {
			b.Fatal(err)
		}
	}
	for _, topic := range []struct {
		name  string
		topic string
		n     int
	}{{"raw-json", stream.OptionData, len(raw)}, {"processed-arrow", stream.ProcessedOptionData, len(processed)}} {
		for _, fetch := range []struct {
			name     string
			maxBytes int
		}{{"caught-up", 1}, {"backlog", stream.FetchMaxBytes}} {
			b.Run(topic.name+"/"+fetch.name, func(b *testing.B) {
				r := kafka.NewReader(kafka.ReaderConfig{Brokers: k.Brokers, Topic: topic.topic, MinBytes: 1,
					MaxBytes: fetch.maxBytes, MaxWait: 200 * time.Millisecond})
				defer r.Close()
				read := 0
				next := func() {
					if read == copies*topic.n {
						if err := r.SetOffset(kafka.FirstOffset); err != nil {
							b.Fatal(err)
						}
						read = 0
					}
					if _, err := r.ReadMessage(ctx); err != nil {
						b.Fatal(err)
					}
					read++
				}
				for range topic.n { // the first fetches dial and find the leader
					next()
				}
				var m0, m1 runtime.MemStats
				runtime.ReadMemStats(&m0)
				cpu0 := stream.CPUSeconds()
				for b.Loop() {
					for range topic.n {
						next()
					}
				}
				reportCPU(b, cpu0)
				runtime.ReadMemStats(&m1)
				msgs := float64(b.N * topic.n)
				b.ReportMetric(float64(m1.Mallocs-m0.Mallocs)/msgs, "allocs/msg")
				b.ReportMetric(float64(m1.TotalAlloc-m0.TotalAlloc)/msgs, "B/msg")
			})
		}
	}
}
