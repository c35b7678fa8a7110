package stream

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/segmentio/kafka-go"
)

// TopicError says why a topic is not as TopicSpecs declares it.
type TopicError struct {
	Topic      string
	Partitions int // 0 when the topic does not exist
	Want       int
	// Config names a topic config whose live value (Have) is not the
	// spec's (WantValue); "" when the partition count is what differs.
	Config, Have, WantValue string
}

func (e *TopicError) Error() string {
	if e.Partitions == 0 {
		return fmt.Sprintf("topic %q does not exist (run `tickerlake topics`)", e.Topic)
	}
	if e.Config != "" {
		return fmt.Sprintf("topic %q has %s=%s, want %s (run `tickerlake topics`, or set it on the KafkaTopic)",
			e.Topic, e.Config, e.Have, e.WantValue)
	}
	return fmt.Sprintf("topic %q has %d partitions, want %d: records keyed by symbol would not keep their order; "+
		"recreate the topic with %d partitions", e.Topic, e.Partitions, e.Want, e.Want)
}

// Missing reports whether the topic does not exist, which `tickerlake topics`
// can repair, as opposed to existing with the wrong partition count, which
// it must not touch.
func (e *TopicError) Missing() bool { return e.Partitions == 0 }

// Repairable reports whether `tickerlake topics` can make the topic as
// declared: it is missing, or a config differs (which it sets in place).
func (e *TopicError) Repairable() bool { return e.Missing() || e.Config != "" }

// TopicState is one topic as EnsureTopics left it.
type TopicState struct {
	TopicSpec
	Created bool
	// Reconfigured says EnsureTopics set configs of the spec that differed
	// on the live topic (one from before the config was declared).
	Reconfigured bool
}

// partitionCounts reads every topic's partition count from the first broker
// that answers. It asks over a connection of its own: kafka-go's shared
// transport answers metadata requests from a cache, which would call a
// stopped cluster reachable.
func partitionCounts(ctx context.Context, k Cluster) (map[string]int, error) {
	if len(k.Brokers) == 0 {
		return nil, errors.New("no kafka brokers configured")
	}
	var errs []error
	for _, b := range k.Brokers {
		counts, err := partitionCountsFrom(ctx, k, b)
		if err == nil {
			return counts, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("metadata from brokers %v: %w", k.Brokers, errors.Join(errs...))
}

func partitionCountsFrom(ctx context.Context, k Cluster, broker string) (map[string]int, error) {
	conn, err := k.dial(ctx, broker)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(10 * time.Second)
	}
	if err := conn.SetDeadline(deadline); err != nil {
		return nil, err
	}
	// All topics: naming them would ask some clusters to auto-create them.
	parts, err := conn.ReadPartitions()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", broker, k.explain(err))
	}
	counts := map[string]int{}
	for _, p := range parts {
		counts[p.Topic]++
	}
	return counts, nil
}

// Ping asks the brokers for cluster metadata.
func Ping(ctx context.Context, k Cluster) error {
	_, err := partitionCounts(ctx, k)
	return err
}

// CheckTopics checks that every topic of specs exists with its partition
// count and configs; the error is a *TopicError naming one that does not.
func CheckTopics(ctx context.Context, k Cluster, specs []TopicSpec) error {
	counts, err := partitionCounts(ctx, k)
	if err != nil {
		return err
	}
	if err := checkCounts(counts, specs); err != nil {
		return err
	}
	diffs, err := configDiffs(ctx, k, specs)
	if err != nil {
		return err
	}
	if len(diffs) > 0 {
		d := diffs[0]
		return &TopicError{Topic: d.spec.Name, Partitions: counts[d.spec.Name], Want: d.spec.Partitions,
			Config: d.name, Have: d.have, WantValue: d.spec.Config[d.name]}
	}
	return nil
}

// configDiff is one config of an existing topic that differs from its spec.
type configDiff struct {
	spec       TopicSpec
	name, have string
}

// configDiffs reads the configs specs declare from the cluster and returns
// those whose live value differs, in spec and name order. Every spec's topic
// must exist.
func configDiffs(ctx context.Context, k Cluster, specs []TopicSpec) ([]configDiff, error) {
	var req kafka.DescribeConfigsRequest
	for _, s := range specs {
		if len(s.Config) > 0 {
			req.Resources = append(req.Resources, kafka.DescribeConfigRequestResource{
				ResourceType: kafka.ResourceTypeTopic, ResourceName: s.Name, ConfigNames: s.ConfigNames()})
		}
	}
	if len(req.Resources) == 0 {
		return nil, nil
	}
	cl, err := k.Client(0)
	if err != nil {
		return nil, err
	}
	res, err := cl.DescribeConfigs(ctx, &req)
	if err != nil {
		return nil, fmt.Errorf("describe topic configs: %w", k.explain(err))
	}
	live := map[string]map[string]string{}
	for _, r := range res.Resources {
		if r.Error != nil {
			return nil, fmt.Errorf("describe configs of topic %q: %w", r.ResourceName, r.Error)
		}
		m := map[string]string{}
		for _, e := range r.ConfigEntries {
			m[e.ConfigName] = e.ConfigValue
		}
		live[r.ResourceName] = m
	}
	var diffs []configDiff
	for _, s := range specs {
		for _, name := range s.ConfigNames() {
			have, ok := live[s.Name][name]
			if !ok {
				have = "(not reported)"
			}
			if have != s.Config[name] {
				diffs = append(diffs, configDiff{spec: s, name: name, have: have})
			}
		}
	}
	return diffs, nil
}

// setConfigs sets each differing config on its topic, in one request.
func setConfigs(ctx context.Context, k Cluster, diffs []configDiff) error {
	var req kafka.IncrementalAlterConfigsRequest
	idx := map[string]int{}
	for _, d := range diffs {
		i, ok := idx[d.spec.Name]
		if !ok {
			i = len(req.Resources)
			idx[d.spec.Name] = i
			req.Resources = append(req.Resources, kafka.IncrementalAlterConfigsRequestResource{
				ResourceType: kafka.ResourceTypeTopic, ResourceName: d.spec.Name})
		}
		req.Resources[i].Configs = append(req.Resources[i].Configs, kafka.IncrementalAlterConfigsRequestConfig{
			Name: d.name, Value: d.spec.Config[d.name], ConfigOperation: kafka.ConfigOperationSet})
	}
	cl, err := k.Client(0)
	if err != nil {
		return err
	}
	res, err := cl.IncrementalAlterConfigs(ctx, &req)
	if err != nil {
		return fmt.Errorf("set topic configs: %w", k.explain(err))
	}
	for _, r := range res.Resources {
		if r.Error != nil {
			return fmt.Errorf("set configs of topic %q: %w", r.ResourceName, r.Error)
		}
	}
	return nil
}

// checkCounts names a topic with the wrong partition count before a missing
// one: the first needs an operator, the second only the topics Job.
func checkCounts(counts map[string]int, specs []TopicSpec) error {
	var missing error
	for _, s := range specs {
		n, ok := counts[s.Name]
		if !ok && missing == nil {
			missing = &TopicError{Topic: s.Name, Want: s.Partitions}
		} else if ok && n != s.Partitions {
			return &TopicError{Topic: s.Name, Partitions: n, Want: s.Partitions}
		}
	}
	return missing
}

// EnsureTopics creates every topic of TopicSpecs the cluster lacks, with its
// partition count, configs and replication replicas (-1: the brokers'
// default.replication.factor), and sets the spec's configs on an existing
// topic where they differ (a cluster from before a config was declared);
// other configs and existing topics are left alone. It fails, naming
// the topic, when an existing topic has the wrong partition count: adding
// partitions would move symbols between partitions, and removing them is
// impossible, so that is for an operator to decide. ctx bounds the whole
// exchange, unreachable brokers included.
func EnsureTopics(ctx context.Context, k Cluster, replication int) ([]TopicState, error) {
	specs := TopicSpecs()
	counts, err := partitionCounts(ctx, k)
	if err != nil {
		return nil, err
	}
	var missing []kafka.TopicConfig
	for _, s := range specs {
		if n, ok := counts[s.Name]; ok && n != s.Partitions {
			return nil, &TopicError{Topic: s.Name, Partitions: n, Want: s.Partitions}
		} else if !ok {
			tc := kafka.TopicConfig{Topic: s.Name, NumPartitions: s.Partitions, ReplicationFactor: replication}
			for _, name := range s.ConfigNames() {
				tc.ConfigEntries = append(tc.ConfigEntries, kafka.ConfigEntry{ConfigName: name, ConfigValue: s.Config[name]})
			}
			missing = append(missing, tc)
		}
	}
	created := map[string]bool{}
	if len(missing) > 0 {
		cl, _ := k.Client(0)
		res, err := cl.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: missing})
		if err != nil {
			return nil, fmt.Errorf("create %d topics: %w", len(missing), err)
		}
		names := make([]string, 0, len(res.Errors))
		for n := range res.Errors {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			// Another replica of this Job may have won the race.
			if err := res.Errors[n]; err != nil && !errors.Is(err, kafka.TopicAlreadyExists) {
				return nil, fmt.Errorf("create topic %q: %w", n, err)
			}
		}
		for _, m := range missing {
			created[m.Topic] = true
		}
		// A new topic's metadata can trail its creation on a real cluster.
		for {
			if counts, err = partitionCounts(ctx, k); err != nil {
				return nil, err
			}
			var te *TopicError
			err = checkCounts(counts, specs)
			if err == nil || !errors.As(err, &te) || !te.Missing() {
				break
			}
			select {
			case <-ctx.Done():
				return nil, fmt.Errorf("created topics not yet visible: %w", err)
			case <-time.After(100 * time.Millisecond):
			}
		}
		if err != nil {
			return nil, err
		}
	}
	// A topic this run created carries its configs already (unless another
	// replica of the Job created it first without them): check them all.
	diffs, err := configDiffs(ctx, k, specs)
	if err != nil {
		return nil, err
	}
	reconfigured := map[string]bool{}
	if len(diffs) > 0 {
		if err := setConfigs(ctx, k, diffs); err != nil {
			return nil, err
		}
		for _, d := range diffs {
			reconfigured[d.spec.Name] = true
		}
	}
	out := make([]TopicState, len(specs))
	for i, s := range specs {
		out[i] = TopicState{TopicSpec: s, Created: created[s.Name], Reconfigured: reconfigured[s.Name]}
	}
	return out, nil
}

// AwaitTopics waits until CheckTopics passes, as a role does before it
// starts. A topic with the wrong partition count fails at once; unreachable
// brokers, missing topics and differing configs (the topics Job may not have
// run yet) are retried every poll until within has passed, and then the
// last reason is the error.
func AwaitTopics(ctx context.Context, k Cluster, specs []TopicSpec, within, poll time.Duration) error {
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for {
		cctx, cancel := context.WithTimeout(ctx, poll+2*time.Second)
		err := CheckTopics(cctx, k, specs)
		cancel()
		var te *TopicError
		if err == nil || (errors.As(err, &te) && !te.Repairable()) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for kafka: %w", err)
		case <-deadline.C:
			return fmt.Errorf("kafka not ready after %s: %w", within, err)
		case <-time.After(poll):
		}
	}
}

// GroupMember checks that a reader whose ClientID is clientID is a member of
// group, and returns how many partitions the group assigned it.
func GroupMember(ctx context.Context, k Cluster, group, clientID string) (int, error) {
	cl, err := k.Client(0)
	if err != nil {
		return 0, err
	}
	res, err := cl.DescribeGroups(ctx, &kafka.DescribeGroupsRequest{GroupIDs: []string{group}})
	if err != nil {
		return 0, fmt.Errorf("describe group %q: %w", group, err)
	}
	for _, g := range res.Groups {
		if g.Error != nil {
			return 0, fmt.Errorf("describe group %q: %w", group, g.Error)
		}
		for _, m := range g.Members {
			if m.ClientID != clientID {
				continue
			}
			n := 0
			for _, t := range m.MemberAssignments.Topics {
				n += len(t.Partitions)
			}
			return n, nil
		}
		return 0, fmt.Errorf("not a member of consumer group %q yet (group %s, %d members)", group, g.GroupState, len(g.Members))
	}
	return 0, fmt.Errorf("consumer group %q not found", group)
}

// ClientID is the client id this process's readers give the brokers: the
// process id and host name, unique among replicas whether they run as pods
// (one host name each) or as processes on one machine.
func ClientID() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("tickerlake-%d@%s", os.Getpid(), host)
}
