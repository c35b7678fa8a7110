package twelvedata

import (
	"github.com/segmentio/kafka-go"
	"github.com/tickerlake/tickerlake/ingest"
)

func kafkaMsg(r ingest.Raw) kafka.Message {
	return kafka.Message{Topic: r.Topic, Key: []byte(r.Symbol), Value: r.Value, Headers: r.Headers}
}
