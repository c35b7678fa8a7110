package stream

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Broker is the embedded Kafka-protocol broker used by `tickerlake up` and
// `tickerlake broker`: real Kafka wire protocol, consumer groups and
// committed offsets, persisted under a data directory.
type Broker struct {
	cluster *kfake.Cluster
	addr    string
	accepts atomic.Int64 // connections accepted
}

// StartBroker listens on addr (host:port) and seeds every topic of Topics
// with Partitions partitions and the configs of TopicSpecs. dataDir, when
// set, persists the log and the group offsets across restarts.
func StartBroker(addr, dataDir string, log *slog.Logger) (*Broker, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("broker address %q: %w", addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("broker address %q: bad port", addr)
	}
	b := &Broker{}
	opts := []kfake.Opt{
		kfake.Ports(port),
		kfake.SeedTopics(Partitions, Topics()...),
		// kfake binds 127.0.0.1; honour the configured host instead.
		kfake.ListenFn(func(network, a string) (net.Listener, error) {
			_, p, _ := net.SplitHostPort(a)
			l, err := net.Listen(network, net.JoinHostPort(host, p))
			if err != nil {
				return nil, err
			}
			return countingListener{l, &b.accepts}, nil
		}),
	}
	if dataDir != "" {
		opts = append(opts, kfake.DataDir(dataDir))
	}
	if log != nil {
		opts = append(opts, kfake.WithLogger(brokerLog{log.With("component", "broker")}))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("start broker on %s: %w", addr, err)
	}
	b.cluster, b.addr = c, c.ListenAddrs()[0]
	// Seeding sets no topic configs: set them as `tickerlake topics` does,
	// so the roles' topic checks pass (on a data directory from before a
	// config was declared too).
	// A broker restored from its data directory can drop the first
	// connections while it loads, so the setting is retried for a while.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		_, err := EnsureTopics(ctx, Cluster{Brokers: []string{b.addr}}, -1)
		if err == nil {
			break
		}
		select {
		case <-ctx.Done():
			c.Close()
			return nil, fmt.Errorf("broker on %s: %w", addr, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
	if log != nil {
		log.Info("broker listening", "addr", b.addr, "data_dir", dataDir, "topics", len(Topics()), "partitions", Partitions)
	}
	return b, nil
}

// Addr is the address clients bootstrap from.
func (b *Broker) Addr() string { return b.addr }

// Connections is how many client connections the broker has accepted.
func (b *Broker) Connections() int64 { return b.accepts.Load() }

// countingListener counts the connections it accepts.
type countingListener struct {
	net.Listener
	n *atomic.Int64
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

// Close stops the broker and flushes its data directory.
func (b *Broker) Close() { b.cluster.Close() }

// brokerLog hands the broker's own messages to the process's logger: its
// warnings and errors as such, its chatter (session state saves, group
// changes) at debug level, seen only with --log-level debug.
type brokerLog struct{ log *slog.Logger }

func (b brokerLog) Logf(level kfake.LogLevel, format string, args ...any) {
	lvl := slog.LevelDebug
	switch level {
	case kfake.LogLevelError:
		lvl = slog.LevelError
	case kfake.LogLevelWarn:
		lvl = slog.LevelWarn
	}
	if ctx := context.Background(); b.log.Enabled(ctx, lvl) {
		b.log.Log(ctx, lvl, fmt.Sprintf(format, args...))
	}
}
