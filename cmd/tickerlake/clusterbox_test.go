package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alecthomas/kong"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/jackc/pgx/v5"
	"github.com/robfig/cron/v3"
	"github.com/segmentio/kafka-go"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/tickerlake/tickerlake/ingest"
	"github.com/tickerlake/tickerlake/k8s"
	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/laketest"
	"github.com/tickerlake/tickerlake/lake/tables"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/sink"
	"github.com/tickerlake/tickerlake/sink/sinktest"
)

// TestClusterInABox replays the rendered local overlay as local processes:
// every tickerlake Deployment and StatefulSet runs its replicas with the
// command, arguments and environment the manifests give them, against real
// servers standing in for the overlay's infrastructure (a Kafka-protocol
// broker for Strimzi, versitygw for the S3 store, PostgreSQL, InfluxDB),
// whose Service names map to loopback. It runs the topics Job and each
// CronJob once in calendar order, kills a replica of every role mid-stream,
// cuts the broker and S3 off for 10 s each, and reconciles the lake, the
// warehouse and the API; then it restarts the api replicas one by one under
// 16 clients.
func TestClusterInABox(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole overlay as processes; skipped with -short")
	}
	pgDSN, influxURL := os.Getenv("TICKERLAKE_TEST_PG_DSN"), os.Getenv("TICKERLAKE_TEST_INFLUX_URL")
	pushURL := os.Getenv("TICKERLAKE_TEST_PUSHGATEWAY_URL")
	if pgDSN == "" || influxURL == "" || pushURL == "" {
		needServer(t, "PostgreSQL, InfluxDB and a Pushgateway (TICKERLAKE_TEST_PG_DSN, TICKERLAKE_TEST_INFLUX_URL, TICKERLAKE_TEST_PUSHGATEWAY_URL)")
	}
	start := time.Now()
	b := newBox(t, "../../k8s/overlays/local")

	// Infrastructure: each infra Service gets its stand-in.
	kafkaProxy := startBoxKafka(t)
	b.addService(k8s.StrimziCluster+"-kafka-bootstrap", b.ns, 9092, kafkaProxy.Addr())
	s3env := b.podEnv(t, "s3-0", b.ns, b.workload(t, "s3").Containers[0])
	s3Proxy := startBoxS3(t, b.root, s3env["ROOT_ACCESS_KEY_ID"], s3env["ROOT_SECRET_ACCESS_KEY"], b.configMaps["tickerlake"]["AWS_REGION"])
	b.addService("s3", b.ns, b.servicePort(t, "s3"), s3Proxy.Addr())
	pgAddr, pgDB := scratchPostgres(t, pgDSN)
	b.addService("postgres", b.ns, b.servicePort(t, "postgres"), pgAddr)
	b.databases["tickerlake"] = pgDB
	influxDB := strings.TrimSuffix(sinktest.InfluxDB(t, influxURL), "/autogen")
	iu, _ := url.Parse(influxURL)
	b.addService("influxdb", b.ns, b.servicePort(t, "influxdb"), iu.Host)
	b.influxDBs["tickerlake"] = influxDB
	pu, _ := url.Parse(pushURL)
	b.addService("pushgateway", b.ns, b.servicePort(t, "pushgateway"), pu.Host)
	clearPushed(t, pushURL)
	b.checkStandIns(t)

	// The bucket Job's work, then the topics Job.
	lakeURL := b.configMaps["tickerlake"]["TICKERLAKE_LAKE"]
	bucket, _, err := lake.ParseS3URL(lakeURL)
	if err != nil {
		t.Fatal(err)
	}
	createBucket(t, "http://"+s3Proxy.Addr(), bucket, s3env["ROOT_ACCESS_KEY_ID"], s3env["ROOT_SECRET_ACCESS_KEY"])
	out := b.runJob(t, "topics", b.jobs["topics"].Spec.Template.Spec)
	t.Logf("topics Job: %s", strings.TrimSpace(out))
	checkTopics(t, kafkaProxy.Addr(), b.kafkaTopics)

	// The roles, every replica, ready.
	for _, name := range b.roleNames {
		for i := 0; i < b.replicas[name]; i++ {
			b.startReplica(t, name)
		}
	}
	b.waitAllReady(t, 90*time.Second)
	t.Logf("%d role processes ready %.1fs after the start", b.podCount(), time.Since(start).Seconds())

	// The CronJobs once each, in the order they fire from a session on.
	tasks := b.runCronJobs(t, "compact", "export")
	src := b.collectorSource(t)
	want := expectedKeys(t, src, tasks)
	for ds, keys := range want {
		t.Logf("the CronJobs' tasks emit %d %s keys", len(keys), ds)
	}
	store := b.openLake(t)

	// Mid-stream: once the writers have committed something and while the
	// rest flows, one replica of every role is killed and restarted.
	b.waitFor(t, "a first commit", 120*time.Second, func(ctx context.Context) (bool, error) {
		_, files, ok, err := tables.NewReader(store).Visible(ctx, "daily_bars", "")
		return ok && len(files) > 0, err
	})
	for _, name := range b.roleNames {
		p := b.pods[name][0]
		p.stopping = true
		p.kill()
		t.Logf("SIGKILL %s", p.name)
		b.replace(t, name, p)
	}
	// The broker unreachable for 10 s: roles that need it turn not ready.
	kafkaProxy.cut()
	b.expectNotReady(t, "kafka down", 10*time.Second, "collector", "processor", "writer")
	kafkaProxy.restore(t)
	b.waitAllReady(t, 90*time.Second)
	// S3 unreachable for 10 s: the lake's readers and writers turn not ready.
	s3Proxy.cut()
	b.expectNotReady(t, "s3 down", 10*time.Second, "writer", "api")
	s3Proxy.restore(t)
	b.waitAllReady(t, 90*time.Second)

	// Everything emitted lands: in the lake, each key stored; duplicates
	// that crashes replayed are counted, then the next compaction removes
	// them and every key is stored exactly once.
	b.waitFor(t, "every emitted key in the lake", 5*time.Minute, func(ctx context.Context) (bool, error) {
		return storedCover(t, store, want), nil
	})
	t.Logf("every emitted key stored %.1fs after the start", time.Since(start).Seconds())
	b.drainDeadLetters(t, kafkaProxy.Addr(), store, want)
	for _, ds := range market.Datasets() {
		copies, extra := storedCopies(t, store, ds), 0
		for _, n := range copies {
			extra += n - 1
		}
		t.Logf("%s before compaction: %d keys, %d copies beyond one (replays after the kills)", ds.Name, len(copies), extra)
	}
	// The next night's compaction, without waiting the hour it leaves new
	// files to settle.
	b.runJobOnce(t, "compact", "--settle", "0s")
	if ok, _ := pushedRuns(t, pushURL); ok["compaction"] < 1 {
		t.Errorf("the compact CronJob pushed no successful compaction to the Pushgateway: %v", ok)
	}
	stored := storedKeys(t, store, want, nil)
	for ds, keys := range want {
		sameKeys(t, ds, "stored", stored[ds], keys)
	}
	lakeCounts := map[string]int{}
	for _, ds := range market.Datasets() {
		lakeCounts[ds.Name] = len(storedCopies(t, store, ds))
	}
	t.Logf("lake after compaction: %v", lakeCounts)

	// The writers and the compactor kept one Iceberg catalog, the overlay's
	// PostgreSQL: each table, read with iceberg-go, holds each key the lake
	// stores once.
	cat, err := tables.Open(context.Background(), b.pods["writer"][0].env["TICKERLAKE_CATALOG"], store, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := cat.Close(); err != nil {
			t.Error(err)
		}
	}()
	for _, ds := range market.Datasets() {
		keys, rows := laketest.TableKeys(t, cat, ds), 0
		for _, k := range keys {
			rows += k.N()
		}
		if len(keys) != lakeCounts[ds.Name] || rows != len(keys) {
			t.Errorf("iceberg %s: %d rows, %d keys; the lake stores %d keys once each", ds.Name, rows, len(keys), lakeCounts[ds.Name])
		}
	}

	// The warehouse and the API agree with the lake.
	b.waitFor(t, "the warehouse to match the lake", 3*time.Minute, func(ctx context.Context) (bool, error) {
		got := warehouseCounts(ctx, t, b.sqlDSN(t))
		ok := got[sink.StockData.Name] == lakeCounts[market.DailyBars.Name] &&
			got[sink.StockData15Min.Name] == lakeCounts[market.IntradayBars.Name] &&
			got[sink.CallOptions.Name]+got[sink.PutOptions.Name] == lakeCounts[market.OptionQuotes.Name]
		if !ok {
			return false, fmt.Errorf("warehouse %v, lake %v", got, lakeCounts)
		}
		t.Logf("warehouse: %v", got)
		return true, nil
	})
	lb := b.serviceLB(t, "api")
	b.waitFor(t, "the API to count what the lake stores", 2*time.Minute, func(ctx context.Context) (bool, error) {
		got, err := apiCounts(ctx, lb)
		if err != nil {
			return false, err
		}
		for ds, n := range lakeCounts {
			if got[ds] != n {
				return false, fmt.Errorf("api %v, lake %v", got, lakeCounts)
			}
		}
		t.Logf("api: %v", got)
		return true, nil
	})

	// A rolling restart of the api under 16 clients fails no request.
	b.rollingRestartUnderLoad(t, "api", lb, 16)
	t.Logf("cluster in a box done in %.1fs; the kubelet restarted %d pods that exited", time.Since(start).Seconds(), b.restarts)
}

// box is the rendered overlay and the processes running it.
type box struct {
	*boxCluster
	ns          string
	workloads   map[string]corev1.PodTemplateSpec
	grace       map[string]time.Duration
	replicas    map[string]int
	statefulSet map[string]bool
	roleNames   []string // tickerlake Deployments and StatefulSets
	infraNames  []string
	jobs        map[string]batchv1.Job
	cronJobs    []batchv1.CronJob
	svcs        map[string]corev1.Service
	kafkaTopics map[string]int
	pods        map[string][]*boxPod
	started     map[string]int
	databases   map[string]string // PostgreSQL database -> the stand-in's scratch database
	influxDBs   map[string]string // InfluxDB database -> the stand-in's scratch database
	lbs         map[string]*lbServer
	restarts    int // pods the kubelet restarted after they exited
}

func newBox(t *testing.T, dir string) *box {
	t.Helper()
	objs, err := k8s.Render(dir)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	b := &box{
		boxCluster: &boxCluster{bin: buildBinary(t), root: root, configMaps: map[string]map[string]string{},
			secrets: map[string]map[string]string{}, services: map[string]string{}},
		workloads: map[string]corev1.PodTemplateSpec{}, grace: map[string]time.Duration{}, replicas: map[string]int{},
		statefulSet: map[string]bool{}, jobs: map[string]batchv1.Job{}, svcs: map[string]corev1.Service{},
		kafkaTopics: map[string]int{}, pods: map[string][]*boxPod{}, started: map[string]int{},
		databases: map[string]string{}, influxDBs: map[string]string{}, lbs: map[string]*lbServer{},
	}
	b.envHook = b.localEnv
	for _, o := range objs {
		if o.Namespace != "" {
			b.ns = o.Namespace
		}
		var tpl corev1.PodTemplateSpec
		var replicas *int32
		switch o.Kind {
		case "ConfigMap":
			var cm corev1.ConfigMap
			decode(t, o, &cm)
			b.configMaps[cm.Name] = cm.Data
			continue
		case "Secret":
			var s corev1.Secret
			decode(t, o, &s)
			b.secrets[s.Name] = secretData(s)
			continue
		case "Service":
			var s corev1.Service
			decode(t, o, &s)
			b.svcs[s.Name] = s
			continue
		case "Job":
			var j batchv1.Job
			decode(t, o, &j)
			b.jobs[j.Name] = j
			continue
		case "CronJob":
			var cj batchv1.CronJob
			decode(t, o, &cj)
			b.cronJobs = append(b.cronJobs, cj)
			continue
		case "KafkaTopic":
			var kt struct {
				Spec struct {
					TopicName  string `json:"topicName"`
					Partitions int    `json:"partitions"`
				} `json:"spec"`
			}
			if err := json.Unmarshal(o.JSON, &kt); err != nil {
				t.Fatal(err)
			}
			b.kafkaTopics[kt.Spec.TopicName] = kt.Spec.Partitions
			continue
		case "Deployment":
			var d appsv1.Deployment
			decode(t, o, &d)
			tpl, replicas = d.Spec.Template, d.Spec.Replicas
		case "StatefulSet":
			var s appsv1.StatefulSet
			decode(t, o, &s)
			tpl, replicas = s.Spec.Template, s.Spec.Replicas
			b.statefulSet[o.Name] = true
		default:
			continue
		}
		b.workloads[o.Name] = tpl
		b.replicas[o.Name] = 1
		if replicas != nil {
			b.replicas[o.Name] = int(*replicas)
		}
		b.grace[o.Name] = 30 * time.Second
		if g := tpl.Spec.TerminationGracePeriodSeconds; g != nil {
			b.grace[o.Name] = time.Duration(*g) * time.Second
		}
		if isTickerlake(tpl.Spec) {
			b.roleNames = append(b.roleNames, o.Name)
		} else {
			b.infraNames = append(b.infraNames, o.Name)
		}
	}
	sort.Strings(b.roleNames)
	return b
}

func decode(t *testing.T, o k8s.Object, v any) {
	t.Helper()
	if err := o.Decode(v); err != nil {
		t.Fatal(err)
	}
}

func isTickerlake(spec corev1.PodSpec) bool {
	return len(spec.Containers) == 1 && strings.HasPrefix(spec.Containers[0].Image, "tickerlake/tickerlake:")
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// buildBinary builds the tickerlake binary once per test process.
func buildBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "tickerlake-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "tickerlake")
		if out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput(); err != nil {
			binErr = fmt.Errorf("build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// workload is a Deployment's or StatefulSet's pod spec.
func (b *box) workload(t *testing.T, name string) corev1.PodSpec {
	t.Helper()
	tpl, ok := b.workloads[name]
	if !ok {
		t.Fatalf("the overlay has no workload %s", name)
	}
	return tpl.Spec
}

// servicePort is the first port of a rendered Service.
func (b *box) servicePort(t *testing.T, name string) int32 {
	t.Helper()
	s, ok := b.svcs[name]
	if !ok || len(s.Spec.Ports) == 0 {
		t.Fatalf("the overlay has no Service %s with a port", name)
	}
	return s.Spec.Ports[0].Port
}

// checkStandIns fails when an infrastructure workload of the overlay has no
// stand-in in the box: the box would then not replay the overlay.
func (b *box) checkStandIns(t *testing.T) {
	t.Helper()
	for _, name := range b.infraNames {
		if _, ok := b.svcs[name]; !ok {
			t.Errorf("infra workload %s has no Service of its name", name)
			continue
		}
		if _, ok := b.services[fmt.Sprintf("%s:%d", name, b.servicePort(t, name))]; !ok {
			t.Errorf("infra workload %s has no stand-in", name)
		}
	}
}

// localEnv applies the stand-ins' database names to a pod's environment: the
// PostgreSQL and InfluxDB stand-ins are scratch databases on shared servers.
func (b *box) localEnv(env map[string]string) {
	for _, name := range []string{"TICKERLAKE_SQL_DSN", "TICKERLAKE_CATALOG"} {
		if dsn, ok := env[name]; ok {
			if u, err := url.Parse(dsn); err == nil {
				if db, ok := b.databases[strings.TrimPrefix(u.Path, "/")]; ok {
					u.Path = "/" + db
					env[name] = u.String()
				}
			}
		}
	}
	if bucket, ok := env["TICKERLAKE_INFLUX_BUCKET"]; ok {
		db, rp, _ := strings.Cut(bucket, "/")
		if s, ok := b.influxDBs[db]; ok {
			env["TICKERLAKE_INFLUX_BUCKET"] = s + "/" + rp
		}
	}
}

// startReplica starts one more pod of a workload.
func (b *box) startReplica(t *testing.T, name string) *boxPod {
	t.Helper()
	n := b.started[name]
	b.started[name]++
	podName := fmt.Sprintf("%s-box%d", name, n)
	if b.statefulSet[name] {
		podName = fmt.Sprintf("%s-%d", name, len(b.pods[name]))
	}
	p := b.startPodWith(t, name, podName, b.workload(t, name))
	b.pods[name] = append(b.pods[name], p)
	return p
}

// replace restarts a pod that died, as the kubelet restarts its container:
// same pod name, fresh process.
func (b *box) replace(t *testing.T, name string, old *boxPod) *boxPod {
	t.Helper()
	p := b.startPodWith(t, name, old.name, b.workload(t, name))
	for i, q := range b.pods[name] {
		if q == old {
			b.pods[name][i] = p
		}
	}
	return p
}

func (b *box) startPodWith(t *testing.T, workload, podName string, spec corev1.PodSpec) *boxPod {
	t.Helper()
	return b.startPod(t, workload, podName, b.ns, spec)
}

func (b *box) podCount() int {
	n := 0
	for _, ps := range b.pods {
		n += len(ps)
	}
	return n
}

// waitAllReady waits until every pod's readiness probe answers 200,
// restarting pods that exit meanwhile as the kubelet does.
func (b *box) waitAllReady(t *testing.T, within time.Duration) {
	t.Helper()
	b.waitFor(t, "every pod ready", within, func(ctx context.Context) (bool, error) {
		for _, name := range b.roleNames {
			for _, p := range b.pods[name] {
				if code := probe(ctx, p.probeURL(t, p.spec.ReadinessProbe)); code != http.StatusOK {
					return false, fmt.Errorf("%s /readyz answered %d; log %s:\n%s", p.name, code, p.log, tail(p.log, 5))
				}
			}
		}
		return true, nil
	})
}

// kubelet restarts every role pod whose process has exited, as a
// Deployment's pods restart under restartPolicy Always, and logs why.
func (b *box) kubelet(t *testing.T) {
	t.Helper()
	for _, name := range b.roleNames {
		for _, p := range b.pods[name] {
			if p.exited() && !p.stopping {
				b.restarts++
				t.Logf("%s exited (%v); restarting it. Its last lines:\n%s", p.name, p.err, tail(p.log, 3))
				b.replace(t, name, p)
			}
		}
	}
}

// waitFor polls cond, with the kubelet's restarts in between, until it
// holds or within passes.
func (b *box) waitFor(t *testing.T, what string, within time.Duration, cond func(context.Context) (bool, error)) {
	t.Helper()
	waitFor(t, what, within, func(ctx context.Context) (bool, error) {
		b.kubelet(t)
		return cond(ctx)
	})
}

// expectNotReady checks that, while a dependency is down, a pod of each
// named role reports not ready (503) within the outage, and logs what its
// /readyz said.
func (b *box) expectNotReady(t *testing.T, what string, outage time.Duration, roles ...string) {
	t.Helper()
	end := time.Now().Add(outage)
	seen := map[string]bool{}
	for time.Now().Before(end) {
		b.kubelet(t)
		for _, name := range roles {
			p := b.pods[name][len(b.pods[name])-1]
			if code := probe(context.Background(), p.probeURL(t, p.spec.ReadinessProbe)); !seen[name] && code != http.StatusOK {
				seen[name] = true
				t.Logf("%s: %s /readyz answered %d after %.1fs", what, p.name, code, outage.Seconds()-time.Until(end).Seconds())
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, name := range roles {
		if !seen[name] {
			t.Errorf("%s: no %s replica reported not ready within %s", what, name, outage)
		}
	}
}

// runJob runs a Job's pod to completion and returns its standard output;
// it fails unless the pod exits 0.
func (b *box) runJob(t *testing.T, name string, spec corev1.PodSpec, extra ...string) string {
	t.Helper()
	spec = *spec.DeepCopy()
	spec.Containers[0].Args = append(spec.Containers[0].Args, extra...)
	n := b.started[name]
	b.started[name]++
	p := b.startPodWith(t, name, fmt.Sprintf("%s-run%d", name, n), spec)
	select {
	case <-p.done:
	case <-time.After(5 * time.Minute):
		t.Fatalf("job %s did not finish within 5 minutes; log:\n%s", name, tail(p.log, 30))
	}
	if p.err != nil {
		t.Fatalf("job %s: %v; log:\n%s", name, p.err, tail(p.log, 30))
	}
	out, err := os.ReadFile(p.log)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// runJobOnce runs the named CronJob's pod once, with extra arguments.
func (b *box) runJobOnce(t *testing.T, name string, extra ...string) string {
	t.Helper()
	for _, cj := range b.cronJobs {
		if cj.Name == name {
			return b.runJob(t, name, cj.Spec.JobTemplate.Spec.Template.Spec, extra...)
		}
	}
	t.Fatalf("the overlay has no CronJob %s", name)
	return ""
}

// runCronJobs runs every CronJob once, ordered by when each first fires
// from the start of the latest full session, each as of that time. The
// tasks the collection jobs published are returned. Jobs named in skip run
// later in the test, or are the lake's housekeeping, which runs at the end.
func (b *box) runCronJobs(t *testing.T, skip ...string) []ingest.Task {
	t.Helper()
	cal := market.NYSE()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	day := time.Now().In(ny)
	for {
		day = day.AddDate(0, 0, -1)
		if open, closeT, ok := cal.Session(time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)); ok && closeT.Sub(open) > 6*time.Hour {
			break
		}
	}
	from := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, ny)
	type firing struct {
		at time.Time
		cj batchv1.CronJob
	}
	var order []firing
	for _, cj := range b.cronJobs {
		if slices.Contains(skip, cj.Name) {
			continue
		}
		sched, err := cron.ParseStandard(cj.Spec.Schedule)
		if err != nil {
			t.Fatalf("CronJob %s: schedule %q: %v", cj.Name, cj.Spec.Schedule, err)
		}
		loc := ny
		if tz := cj.Spec.TimeZone; tz != nil {
			if loc, err = time.LoadLocation(*tz); err != nil {
				t.Fatal(err)
			}
		}
		order = append(order, firing{at: sched.Next(from.In(loc).Add(-time.Second)), cj: cj})
	}
	sort.Slice(order, func(i, j int) bool { return order[i].at.Before(order[j].at) })
	var tasks []ingest.Task
	for _, f := range order {
		out := b.runJob(t, f.cj.Name, f.cj.Spec.JobTemplate.Spec.Template.Spec, "--at", f.at.Format(time.RFC3339))
		var published []string
		for _, line := range strings.Split(out, "\n") {
			var task ingest.Task
			if !strings.HasPrefix(line, "{\"id\"") && !strings.HasPrefix(line, "{\"ID\"") {
				continue
			}
			if err := json.Unmarshal([]byte(line), &task); err != nil || task.ID == "" {
				continue
			}
			tasks = append(tasks, task)
			n := len(task.Symbols)
			if n == 0 {
				n = len(market.Universe())
			}
			published = append(published, fmt.Sprintf("%s %s..%s, %d symbols", task.Kind, task.From.Format(time.DateOnly), task.To.Format(time.DateOnly), n))
		}
		t.Logf("CronJob %s as of %s: %v", f.cj.Name, f.at.Format(time.RFC3339), published)
	}
	if len(tasks) == 0 {
		t.Fatal("the CronJobs published no task")
	}
	return tasks
}

// collectorSource is the market source the collector pods run, from their
// own arguments and environment.
func (b *box) collectorSource(t *testing.T) ingest.Source {
	t.Helper()
	p := b.pods["collector"][0]
	for k, v := range p.env {
		if strings.HasPrefix(k, "TICKERLAKE_") || strings.HasPrefix(k, "TWELVEDATA_") || strings.HasPrefix(k, "YAHOO_") {
			t.Setenv(k, v)
		}
	}
	var cli CLI
	parser, err := kong.New(&cli, kong.Name("tickerlake"), kong.Exit(func(int) {}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parser.Parse(p.spec.Args); err != nil {
		t.Fatal(err)
	}
	return cli.Collector.source()
}

// openLake opens the overlay's lake through the S3 stand-in, as the writer
// pods see it.
func (b *box) openLake(t *testing.T) lake.Store {
	t.Helper()
	env := b.pods["writer"][0].env
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_ENDPOINT_URL"} {
		t.Setenv(k, env[k])
	}
	bucket, prefix, err := lake.ParseS3URL(env["TICKERLAKE_LAKE"])
	if err != nil {
		t.Fatal(err)
	}
	st, err := lake.NewS3(context.Background(), lake.S3Config{Bucket: bucket, Prefix: prefix, PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// sqlDSN is the warehouse DSN the writer pods use.
func (b *box) sqlDSN(t *testing.T) string {
	t.Helper()
	return b.pods["writer"][0].env["TICKERLAKE_SQL_DSN"]
}

// scratchPostgres makes a scratch database on the test's PostgreSQL server
// to stand in for the overlay's: its address and database name.
func scratchPostgres(t *testing.T, dsn string) (addr, db string) {
	t.Helper()
	scratch := sinktest.PostgresDB(t, dsn)
	u, err := url.Parse(scratch)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host, strings.TrimPrefix(u.Path, "/")
}

// createBucket does the bucket Job's work.
func createBucket(t *testing.T, endpoint, bucket, access, secret string) {
	t.Helper()
	cl := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(access, secret, "")})
	if _, err := cl.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("create bucket %s: %v", bucket, err)
	}
}

// checkTopics compares the broker's topics with the overlay's KafkaTopics.
func checkTopics(t *testing.T, broker string, want map[string]int) {
	t.Helper()
	md, err := (&kafka.Client{Addr: kafka.TCP(broker), Timeout: 10 * time.Second}).Metadata(context.Background(), &kafka.MetadataRequest{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, tp := range md.Topics {
		got[tp.Name] = len(tp.Partitions)
	}
	for name, n := range want {
		if got[name] != n {
			t.Errorf("topic %s: %d partitions after the topics Job, KafkaTopic says %d", name, got[name], n)
		}
	}
	if len(want) == 0 {
		t.Fatal("the overlay has no KafkaTopic")
	}
	t.Logf("the topics Job made the %d topics the KafkaTopics list", len(want))
}

// storedCover reports whether the committed objects hold every emitted key
// that was not dead-lettered.
func storedCover(t *testing.T, store lake.Store, want map[string]map[string]bool) bool {
	t.Helper()
	for _, ds := range market.Datasets() {
		keys := want[ds.Name]
		if keys == nil {
			continue
		}
		stored := storedCopies(t, store, ds)
		n := 0
		for k := range keys {
			if stored[k] > 0 {
				n++
			}
		}
		// The few keys the processor rejects are reconciled with the dead
		// letters afterwards; this waits for the bulk.
		if n < len(keys)*99/100 {
			return false
		}
	}
	return true
}

// warehouseCounts counts the rows of each warehouse table.
func warehouseCounts(ctx context.Context, t *testing.T, dsn string) map[string]int {
	t.Helper()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil
	}
	defer conn.Close(ctx)
	out := map[string]int{}
	for _, tb := range sink.Tables() {
		var n int
		if err := conn.QueryRow(ctx, fmt.Sprintf(`SELECT count(*) FROM %q`, tb.Name)).Scan(&n); err == nil {
			out[tb.Name] = n
		}
	}
	return out
}

// apiCounts asks the API's SQL endpoint for each dataset's row count.
func apiCounts(ctx context.Context, lb *lbServer) (map[string]int, error) {
	out := map[string]int{}
	for _, ds := range market.Datasets() {
		body, _ := json.Marshal(map[string]any{"sql": "SELECT count(*) AS n FROM " + ds.Name})
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, lb.url+"/api/v1/sql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		var res struct {
			Rows [][]any `json:"rows"`
		}
		err = json.NewDecoder(resp.Body).Decode(&res)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || len(res.Rows) != 1 {
			return nil, fmt.Errorf("count %s: %s %v", ds.Name, resp.Status, err)
		}
		n, _ := res.Rows[0][0].(float64)
		out[ds.Name] = int(n)
	}
	return out, nil
}

// lbServer serves a Service's port on loopback through a serviceLB.
type lbServer struct {
	lb  *serviceLB
	url string
	srv *http.Server
}

// serviceLB starts the stand-in for a role's Service over its ready pods.
func (b *box) serviceLB(t *testing.T, name string) *lbServer {
	t.Helper()
	if s, ok := b.lbs[name]; ok {
		return s
	}
	svc, ok := b.svcs[name]
	if !ok {
		t.Fatalf("the overlay has no Service %s", name)
	}
	target := svc.Spec.Ports[0].TargetPort.String()
	s := &lbServer{lb: &serviceLB{}}
	for _, p := range b.pods[name] {
		s.lb.add(p.ports[target])
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 32}
	s.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ep, ok := s.lb.pick()
		if !ok {
			http.Error(w, "no endpoints", http.StatusServiceUnavailable)
			return
		}
		req := r.Clone(r.Context())
		req.URL.Scheme, req.URL.Host, req.RequestURI = "http", ep, ""
		resp, err := tr.RoundTrip(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	})}
	addr := freeAddr(t)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.srv.Serve(ln) }()
	t.Cleanup(func() { _ = s.srv.Close() })
	s.url = "http://" + addr
	b.lbs[name] = s
	return s
}

// rollingRestartUnderLoad replaces each replica of a role in turn, as a
// Deployment's rolling update does (surge one, wait ready, take the old one
// out of the endpoints, then stop it), while clients call through the
// Service; no request may fail.
func (b *box) rollingRestartUnderLoad(t *testing.T, name string, s *lbServer, clients int) {
	t.Helper()
	var ok, failed atomic.Int64
	var firstErr atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	syms := market.Universe()
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			// Each client calls about three times a second, so the 16 stay
			// under one address's rate limit.
			tick := time.NewTicker(330 * time.Millisecond)
			defer tick.Stop()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				u := fmt.Sprintf("%s/api/stock-data/?symbol=%s", s.url, url.QueryEscape(syms[(i*7+n)%len(syms)].Symbol))
				resp, err := http.Get(u)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("%s: %s", u, resp.Status)
					}
				}
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				ok.Add(1)
			}
		}(i)
	}
	target := b.svcs[name].Spec.Ports[0].TargetPort.String()
	old := append([]*boxPod(nil), b.pods[name]...)
	begin := time.Now()
	for _, p := range old {
		np := b.startReplica(t, name)
		np.waitProbe(t, np.probeURL(t, np.spec.ReadinessProbe), http.StatusOK, 2*time.Minute)
		s.lb.add(np.ports[target])
		s.lb.remove(p.ports[target])
		p.stopping = true
		if l := p.spec.Lifecycle; l != nil && l.PreStop != nil && l.PreStop.Sleep != nil {
			time.Sleep(time.Duration(l.PreStop.Sleep.Seconds) * time.Second)
		}
		if err := p.terminate(b.grace[name]); err != nil {
			t.Errorf("%s: %v", p.name, err)
		}
		b.pods[name] = b.pods[name][1:]
	}
	time.Sleep(2 * time.Second) // a last round of calls on the new replicas only
	close(stop)
	wg.Wait()
	t.Logf("rolling restart of %d %s replicas in %.1fs under %d clients: %d requests answered, %d failed",
		len(old), name, time.Since(begin).Seconds(), clients, ok.Load(), failed.Load())
	if failed.Load() > 0 {
		t.Errorf("%d requests failed during the rolling restart, first: %v", failed.Load(), firstErr.Load())
	}
	if ok.Load() == 0 {
		t.Error("no request was answered during the rolling restart")
	}
}

// drainDeadLetters waits until every emitted key is stored or dead-lettered,
// and checks no key is both.
func (b *box) drainDeadLetters(t *testing.T, broker string, store lake.Store, want map[string]map[string]bool) {
	t.Helper()
	var dead map[string]map[string]int
	b.waitFor(t, "every emitted key stored or dead-lettered", 2*time.Minute, func(ctx context.Context) (bool, error) {
		dead, _ = deadLetterKeys(t, []string{broker})
		for _, ds := range market.Datasets() {
			keys := want[ds.Name]
			stored := storedCopies(t, store, ds)
			for k := range keys {
				if stored[k] == 0 && dead[ds.Name][k] == 0 {
					return false, fmt.Errorf("%s: %s neither stored nor dead-lettered", ds.Name, k)
				}
			}
		}
		return true, nil
	})
	for ds, keys := range dead {
		for k := range keys {
			if !want[ds][k] {
				continue
			}
			delete(want[ds], k) // rejected: the lake must not hold it
		}
		t.Logf("%s: %d keys dead-lettered", ds, len(keys))
	}
}

// storedCopies counts the copies of each key the committed objects of ds hold.
func storedCopies(t *testing.T, store lake.Store, ds *market.Dataset) map[string]int {
	t.Helper()
	out := map[string]int{}
	for k, s := range laketest.StoredKeys(t, store, ds) {
		out[k] = s.N()
	}
	return out
}
