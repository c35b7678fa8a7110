package k8s_test

import (
	"bytes"
	"fmt"
	"maps"
	"net"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/tickerlake/tickerlake/k8s"
	"github.com/tickerlake/tickerlake/k8s/monitoring"
	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/stream"
)

var overlays = []string{"overlays/local", "overlays/production"}

// A custom resource the overlays use, with the fields they set in its spec:
// a field not declared here fails the strict decode, as a typo would.
type custom[S any] struct {
	metav1.TypeMeta `json:",inline"`
	ObjectMeta      metav1.ObjectMeta `json:"metadata"`
	Spec            S                 `json:"spec"`
}

type (
	strimziKafka = custom[struct {
		Kafka struct {
			Listeners []struct {
				Name string `json:"name"`
				Port int    `json:"port"`
				Type string `json:"type"`
				TLS  bool   `json:"tls"`
			} `json:"listeners"`
			Config map[string]any `json:"config"`
		} `json:"kafka"`
		EntityOperator struct {
			TopicOperator *struct{} `json:"topicOperator"`
		} `json:"entityOperator"`
	}]
	strimziNodePool = custom[struct {
		Replicas int      `json:"replicas"`
		Roles    []string `json:"roles"`
		Storage  struct {
			Type    string `json:"type"`
			Volumes []struct {
				ID            int    `json:"id"`
				Type          string `json:"type"`
				Size          string `json:"size"`
				DeleteClaim   bool   `json:"deleteClaim"`
				KraftMetadata string `json:"kraftMetadata"`
			} `json:"volumes"`
		} `json:"storage"`
		Resources corev1.ResourceRequirements `json:"resources"`
	}]
	strimziTopic = custom[struct {
		TopicName  string            `json:"topicName"`
		Partitions int               `json:"partitions"`
		Replicas   int               `json:"replicas"`
		Config     map[string]string `json:"config"`
	}]
	scrapeEndpoint struct {
		Port        string `json:"port"`
		Path        string `json:"path"`
		Interval    string `json:"interval"`
		HonorLabels bool   `json:"honorLabels"`
	}
	podMonitor = custom[struct {
		Selector            metav1.LabelSelector `json:"selector"`
		PodMetricsEndpoints []scrapeEndpoint     `json:"podMetricsEndpoints"`
	}]
	prometheusRule = custom[monitoring.RuleGroups]
	serviceMonitor = custom[struct {
		Selector  metav1.LabelSelector `json:"selector"`
		Endpoints []scrapeEndpoint     `json:"endpoints"`
	}]
)

// newObject is the type each apiVersion and kind decodes into.
var newObject = map[string]func() any{
	"v1/Namespace":                            func() any { return new(corev1.Namespace) },
	"v1/ConfigMap":                            func() any { return new(corev1.ConfigMap) },
	"v1/Secret":                               func() any { return new(corev1.Secret) },
	"v1/Service":                              func() any { return new(corev1.Service) },
	"v1/PersistentVolumeClaim":                func() any { return new(corev1.PersistentVolumeClaim) },
	"apps/v1/Deployment":                      func() any { return new(appsv1.Deployment) },
	"apps/v1/StatefulSet":                     func() any { return new(appsv1.StatefulSet) },
	"batch/v1/Job":                            func() any { return new(batchv1.Job) },
	"batch/v1/CronJob":                        func() any { return new(batchv1.CronJob) },
	"policy/v1/PodDisruptionBudget":           func() any { return new(policyv1.PodDisruptionBudget) },
	"autoscaling/v2/HorizontalPodAutoscaler":  func() any { return new(autoscalingv2.HorizontalPodAutoscaler) },
	"networking.k8s.io/v1/Ingress":            func() any { return new(networkingv1.Ingress) },
	"networking.k8s.io/v1/NetworkPolicy":      func() any { return new(networkingv1.NetworkPolicy) },
	"kafka.strimzi.io/v1beta2/Kafka":          func() any { return new(strimziKafka) },
	"kafka.strimzi.io/v1beta2/KafkaNodePool":  func() any { return new(strimziNodePool) },
	"kafka.strimzi.io/v1beta2/KafkaTopic":     func() any { return new(strimziTopic) },
	"monitoring.coreos.com/v1/PodMonitor":     func() any { return new(podMonitor) },
	"monitoring.coreos.com/v1/ServiceMonitor": func() any { return new(serviceMonitor) },
	"monitoring.coreos.com/v1/PrometheusRule": func() any { return new(prometheusRule) },
}

// cluster is one rendered overlay, every object decoded strictly.
type cluster struct {
	name       string
	objs       []any
	byKindName map[string]any
}

func render(t *testing.T, dir string) *cluster {
	t.Helper()
	objs, err := k8s.Render(dir)
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{name: dir, byKindName: map[string]any{}}
	for _, o := range objs {
		mk, ok := newObject[o.APIVersion+"/"+o.Kind]
		if !ok {
			t.Errorf("%s: %s %s: no type to decode %s into", dir, o.APIVersion, o, o.Kind)
			continue
		}
		v := mk()
		if err := o.Decode(v); err != nil {
			t.Errorf("%s: %v", dir, err)
			continue
		}
		if o.Namespace != "tickerlake" && o.Kind != "Namespace" {
			t.Errorf("%s: %s is in namespace %q, want tickerlake", dir, o, o.Namespace)
		}
		c.objs = append(c.objs, v)
		c.byKindName[o.Kind+"/"+o.Name] = v
	}
	return c
}

func all[T any](c *cluster) []*T {
	var out []*T
	for _, o := range c.objs {
		if v, ok := o.(*T); ok {
			out = append(out, v)
		}
	}
	return out
}

func get[T any](c *cluster, kind, name string) *T {
	v, _ := c.byKindName[kind+"/"+name].(*T)
	return v
}

// workload is a pod template of the render and what runs it.
type workload struct {
	kind, name string
	meta       metav1.ObjectMeta
	replicas   int32
	pod        corev1.PodTemplateSpec
}

func (w workload) String() string { return w.kind + "/" + w.name }

// role is true for tickerlake's own workloads (not the infrastructure).
func (w workload) role() bool { return w.meta.Labels["app.kubernetes.io/part-of"] == "tickerlake" }

func workloads(c *cluster) []workload {
	var ws []workload
	for _, d := range all[appsv1.Deployment](c) {
		ws = append(ws, workload{"Deployment", d.Name, d.ObjectMeta, ptrOr(d.Spec.Replicas, 1), d.Spec.Template})
	}
	for _, s := range all[appsv1.StatefulSet](c) {
		ws = append(ws, workload{"StatefulSet", s.Name, s.ObjectMeta, ptrOr(s.Spec.Replicas, 1), s.Spec.Template})
	}
	for _, j := range all[batchv1.Job](c) {
		ws = append(ws, workload{"Job", j.Name, j.ObjectMeta, 1, j.Spec.Template})
	}
	for _, j := range all[batchv1.CronJob](c) {
		ws = append(ws, workload{"CronJob", j.Name, j.ObjectMeta, 1, j.Spec.JobTemplate.Spec.Template})
	}
	return ws
}

func ptrOr[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// TestKafkaTopicsAreGenerated fails when the KafkaTopic file is stale: run
// go generate ./k8s. Its topics are stream's, with stream's partitions.
func TestKafkaTopicsAreGenerated(t *testing.T) {
	got, err := os.ReadFile("overlays/local/kafka-topics.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, k8s.StrimziTopics(k8s.StrimziCluster, 1)) {
		t.Error("overlays/local/kafka-topics.yaml is stale: run go generate ./k8s")
	}
	c := render(t, "overlays/local")
	want := map[string]int{}
	wantConfig := map[string]map[string]string{}
	for _, ts := range stream.TopicSpecs() {
		want[ts.Name] = ts.Partitions
		wantConfig[ts.Name] = ts.Config
	}
	declared := map[string]int{}
	for _, kt := range all[strimziTopic](c) {
		declared[kt.Spec.TopicName] = kt.Spec.Partitions
		if !maps.Equal(kt.Spec.Config, wantConfig[kt.Spec.TopicName]) {
			t.Errorf("KafkaTopic %s: config %v, want stream's %v", kt.ObjectMeta.Name, kt.Spec.Config, wantConfig[kt.Spec.TopicName])
		}
		if kt.Spec.Replicas != 1 || kt.ObjectMeta.Labels["strimzi.io/cluster"] != k8s.StrimziCluster {
			t.Errorf("KafkaTopic %s: %d replicas in cluster %q, want 1 in %s", kt.ObjectMeta.Name, kt.Spec.Replicas, kt.ObjectMeta.Labels["strimzi.io/cluster"], k8s.StrimziCluster)
		}
	}
	if !maps.Equal(declared, want) || len(want) != len(stream.Topics()) {
		t.Errorf("KafkaTopics (topic: partitions) %v, want stream's %v", declared, want)
	}
	if get[strimziKafka](c, "Kafka", k8s.StrimziCluster) == nil {
		t.Errorf("no Kafka %s for the topics", k8s.StrimziCluster)
	}
}

// TestCollectCronJobsAreGenerated fails when the collection CronJob file is
// stale: run go generate ./k8s. Each feed the registry gives a schedule has
// its collect-TASK CronJob in both overlays, with that schedule, and no
// other collect-* CronJob exists.
func TestCollectCronJobsAreGenerated(t *testing.T) {
	got, err := os.ReadFile("base/collect-cronjobs.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, k8s.CollectCronJobs()) {
		t.Error("base/collect-cronjobs.yaml is stale: run go generate ./k8s")
	}
	want := map[string]string{}
	for _, f := range market.Feeds() {
		if f.Task != "" && f.Cron != "" {
			want["collect-"+f.Task] = f.Cron
		}
	}
	if len(want) == 0 {
		t.Fatal("the registry schedules no collection")
	}
	for _, dir := range overlays {
		c := render(t, dir)
		declared := map[string]string{}
		for _, j := range all[batchv1.CronJob](c) {
			if !strings.HasPrefix(j.Name, "collect-") {
				continue
			}
			declared[j.Name] = j.Spec.Schedule
			args := j.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Args
			if tz := ptrOr(j.Spec.TimeZone, ""); len(args) != 2 || args[0] != "run" || args[1] != j.Name || tz != "America/New_York" {
				t.Errorf("%s: CronJob %s runs %v in %q, want [run %s] in America/New_York", dir, j.Name, args, tz, j.Name)
			}
		}
		if !maps.Equal(declared, want) {
			t.Errorf("%s: collection CronJobs (name: schedule) %v, want the registry's %v", dir, declared, want)
		}
	}
}

// TestRolesAreHardened checks every tickerlake workload in both overlays:
// replicas, probes on the ops port, security context, resources, a
// writable /tmp and a PodDisruptionBudget.
func TestRolesAreHardened(t *testing.T) {
	for _, dir := range overlays {
		t.Run(dir, func(t *testing.T) {
			c := render(t, dir)
			hpaMin := map[string]int32{}
			for _, h := range all[autoscalingv2.HorizontalPodAutoscaler](c) {
				hpaMin[h.Spec.ScaleTargetRef.Name] = ptrOr(h.Spec.MinReplicas, 1)
				if h.Spec.MaxReplicas > stream.Partitions && h.Spec.ScaleTargetRef.Name == "processor" {
					t.Errorf("HPA %s scales to %d, past the %d partitions", h.Name, h.Spec.MaxReplicas, stream.Partitions)
				}
			}
			long := 0
			for _, w := range workloads(c) {
				if !w.role() {
					continue
				}
				checkPod(t, w)
				if w.kind != "Deployment" && w.kind != "StatefulSet" {
					continue
				}
				long++
				n := w.replicas
				if m, ok := hpaMin[w.name]; ok {
					n = m
				}
				if n < 2 {
					t.Errorf("%s: %d replicas, want at least 2", w, n)
				}
				if (w.name == "processor" || w.name == "writer") && w.replicas > stream.Partitions {
					t.Errorf("%s: %d replicas, more than the %d partitions", w, w.replicas, stream.Partitions)
				}
				checkProbes(t, w)
				if pdbFor(c, w) == nil {
					t.Errorf("%s: no PodDisruptionBudget selects its pods", w)
				}
			}
			if long < 5 {
				t.Errorf("%d long-running roles, want collector, processor, writer, api and predictor", long)
			}
			col := get[appsv1.StatefulSet](c, "StatefulSet", "collector")
			if col == nil {
				t.Fatal("the collector is not a StatefulSet")
			}
			env := envOf(c, col.Spec.Template.Spec.Containers[0])
			if env["TWELVEDATA_KEY_SHARE"].value != "ordinal" || env["TWELVEDATA_KEY_SHARES"].value != fmt.Sprint(*col.Spec.Replicas) {
				t.Errorf("collector: %d replicas with key shares %q picked by %q, want one share per replica picked by ordinal",
					*col.Spec.Replicas, env["TWELVEDATA_KEY_SHARES"].value, env["TWELVEDATA_KEY_SHARE"].value)
			}
			api := get[appsv1.Deployment](c, "Deployment", "api")
			if api == nil || !slices.ContainsFunc(api.Spec.Template.Spec.Containers[0].Ports, func(p corev1.ContainerPort) bool {
				return p.Name == "http" && p.ContainerPort == 8006
			}) {
				t.Error("the api does not expose its http port 8006")
			}
		})
	}
}

func checkPod(t *testing.T, w workload) {
	t.Helper()
	ps := w.pod.Spec
	if sc := ps.SecurityContext; sc == nil || !ptrOr(sc.RunAsNonRoot, false) || sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: pod security context %+v, want runAsNonRoot and seccomp RuntimeDefault", w, sc)
	}
	if ptrOr(ps.AutomountServiceAccountToken, true) {
		t.Errorf("%s: mounts a service account token it does not use", w)
	}
	tmp := map[string]bool{}
	for _, v := range ps.Volumes {
		if v.EmptyDir != nil {
			if v.EmptyDir.SizeLimit == nil || v.EmptyDir.SizeLimit.IsZero() {
				t.Errorf("%s: emptyDir %s has no sizeLimit", w, v.Name)
			}
			tmp[v.Name] = true
		}
	}
	for _, ct := range ps.Containers {
		sc := ct.SecurityContext
		if sc == nil || !ptrOr(sc.RunAsNonRoot, false) || !ptrOr(sc.ReadOnlyRootFilesystem, false) || ptrOr(sc.AllowPrivilegeEscalation, true) ||
			sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) ||
			sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
			t.Errorf("%s: container %s security context %+v, want non-root, read-only root, no escalation, ALL dropped, seccomp RuntimeDefault", w, ct.Name, sc)
		}
		for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			if _, ok := ct.Resources.Requests[r]; !ok {
				t.Errorf("%s: container %s requests no %s", w, ct.Name, r)
			}
			if _, ok := ct.Resources.Limits[r]; !ok {
				t.Errorf("%s: container %s has no %s limit", w, ct.Name, r)
			}
		}
		if !slices.ContainsFunc(ct.VolumeMounts, func(m corev1.VolumeMount) bool { return m.MountPath == "/tmp" && tmp[m.Name] }) {
			t.Errorf("%s: container %s has no emptyDir on /tmp for its data dir", w, ct.Name)
		}
	}
}

func checkProbes(t *testing.T, w workload) {
	t.Helper()
	for _, ct := range w.pod.Spec.Containers {
		if !slices.ContainsFunc(ct.Ports, func(p corev1.ContainerPort) bool { return p.Name == "ops" && p.ContainerPort == 9100 }) {
			t.Errorf("%s: container %s has no port ops 9100", w, ct.Name)
		}
		for _, p := range []struct {
			name  string
			probe *corev1.Probe
			path  string
		}{{"startup", ct.StartupProbe, "/healthz"}, {"liveness", ct.LivenessProbe, "/healthz"}, {"readiness", ct.ReadinessProbe, "/readyz"}} {
			if p.probe == nil || p.probe.HTTPGet == nil || p.probe.HTTPGet.Path != p.path || p.probe.HTTPGet.Port.String() != "ops" {
				t.Errorf("%s: container %s %s probe %+v, want GET %s on port ops", w, ct.Name, p.name, p.probe, p.path)
			}
		}
	}
}

func hasKey(s *corev1.Secret, key string) bool {
	if s == nil {
		return false
	}
	_, inData := s.Data[key]
	_, inString := s.StringData[key]
	return inData || inString
}

func pdbFor(c *cluster, w workload) *policyv1.PodDisruptionBudget {
	for _, p := range all[policyv1.PodDisruptionBudget](c) {
		sel, err := metav1.LabelSelectorAsSelector(p.Spec.Selector)
		if err == nil && !sel.Empty() && sel.Matches(labels.Set(w.pod.Labels)) {
			return p
		}
	}
	return nil
}

// envVar is one resolved variable of a container.
type envVar struct {
	value  string
	secret *corev1.SecretKeySelector
}

// envOf resolves a container's environment: its ConfigMaps, then its own
// entries, which win.
func envOf(c *cluster, ct corev1.Container) map[string]envVar {
	env := map[string]envVar{}
	for _, from := range ct.EnvFrom {
		if from.ConfigMapRef != nil {
			if cm := get[corev1.ConfigMap](c, "ConfigMap", from.ConfigMapRef.Name); cm != nil {
				for k, v := range cm.Data {
					env[from.Prefix+k] = envVar{value: v}
				}
			}
		}
	}
	for _, e := range ct.Env {
		v := envVar{value: e.Value}
		if e.ValueFrom != nil {
			v.secret = e.ValueFrom.SecretKeyRef
		}
		env[e.Name] = v
	}
	return env
}

// lakeRole says whether a container reads or writes the lake.
func lakeRole(args []string) bool {
	return len(args) > 0 && (slices.Contains([]string{"writer", "api", "export", "compact", "predictor", "fine-tune"}, args[0]) ||
		slices.Equal(args, []string{"run", "compact"}))
}

// TestOneLake checks every role that reads or writes the lake points at the
// same s3:// lake with the standard AWS settings, credentials from a Secret.
func TestOneLake(t *testing.T) {
	for _, dir := range overlays {
		t.Run(dir, func(t *testing.T) {
			c := render(t, dir)
			lakes := map[string][]string{}
			for _, w := range workloads(c) {
				for _, ct := range w.pod.Spec.Containers {
					if !w.role() || !lakeRole(ct.Args) {
						continue
					}
					env := envOf(c, ct)
					lakes[env["TICKERLAKE_LAKE"].value] = append(lakes[env["TICKERLAKE_LAKE"].value], w.String())
					for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
						if env[k].secret == nil {
							t.Errorf("%s: %s does not come from a Secret", w, k)
						}
					}
					if env["AWS_REGION"].value == "" {
						t.Errorf("%s: no AWS_REGION", w)
					}
					if dir == "overlays/local" {
						if env["TICKERLAKE_S3_PATH_STYLE"].value != "true" {
							t.Errorf("%s: TICKERLAKE_S3_PATH_STYLE %q, want true for versitygw", w, env["TICKERLAKE_S3_PATH_STYLE"].value)
						}
						checkServiceURL(t, c, w.String(), env["AWS_ENDPOINT_URL"].value)
					}
				}
			}
			if len(lakes) != 1 {
				t.Fatalf("roles disagree on the lake: %v", lakes)
			}
			for loc, ws := range lakes {
				if !strings.HasPrefix(loc, "s3://") || len(ws) < 4 {
					t.Errorf("lake %q shared by %v, want an s3:// lake shared by writer, api, export and compact", loc, ws)
				}
				t.Logf("%s: %s shared by %v", dir, loc, ws)
				if dir == "overlays/local" {
					bucket := strings.SplitN(strings.TrimPrefix(loc, "s3://"), "/", 2)[0]
					job := get[batchv1.Job](c, "Job", "s3-bucket")
					if job == nil || !strings.Contains(strings.Join(job.Spec.Template.Spec.Containers[0].Command, " "), "--bucket "+bucket) {
						t.Errorf("no Job creates the lake's bucket %q", bucket)
					}
				}
			}
		})
	}
}

// checkServiceURL fails unless raw names a Service of the render and one of
// its ports.
func checkServiceURL(t *testing.T, c *cluster, who, raw string) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		u = &url.URL{Host: raw}
	}
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil {
		t.Errorf("%s: %q has no host:port", who, raw)
		return
	}
	svc := get[corev1.Service](c, "Service", host)
	if svc == nil {
		t.Errorf("%s: %q names no Service of the overlay", who, raw)
		return
	}
	if !slices.ContainsFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return fmt.Sprint(p.Port) == port }) {
		t.Errorf("%s: %q: Service %s has no port %s", who, raw, host, port)
	}
}

// TestSecretKeysExist checks every secretKeyRef: in the local overlay the
// Secret and key are rendered; in production, where the operator creates
// the Secrets, k8s/README.md lists each one.
func TestSecretKeysExist(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range overlays {
		t.Run(dir, func(t *testing.T) {
			c := render(t, dir)
			for _, w := range workloads(c) {
				for _, ct := range append(w.pod.Spec.InitContainers, w.pod.Spec.Containers...) {
					for _, e := range ct.Env {
						if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
							continue
						}
						ref := e.ValueFrom.SecretKeyRef
						if ptrOr(ref.Optional, false) {
							t.Errorf("%s: %s is optional; a missing key must stop the pod", w, e.Name)
						}
						if dir == "overlays/production" {
							row := fmt.Sprintf("| `%s` | `%s` |", ref.Name, ref.Key)
							if !bytes.Contains(readme, []byte(row)) {
								t.Errorf("%s: %s reads Secret %s key %s, which k8s/README.md does not list (%q)", w, e.Name, ref.Name, ref.Key, row)
							}
							continue
						}
						if !hasKey(get[corev1.Secret](c, "Secret", ref.Name), ref.Key) {
							t.Errorf("%s: %s reads Secret %s key %s, which the overlay does not hold", w, e.Name, ref.Name, ref.Key)
						}
					}
					for _, from := range ct.EnvFrom {
						if from.SecretRef != nil {
							t.Errorf("%s: takes all of Secret %s as environment; name the keys", w, from.SecretRef.Name)
						}
						if from.ConfigMapRef != nil && get[corev1.ConfigMap](c, "ConfigMap", from.ConfigMapRef.Name) == nil {
							t.Errorf("%s: ConfigMap %s is not in the overlay", w, from.ConfigMapRef.Name)
						}
					}
				}
			}
			if dir == "overlays/production" {
				for _, s := range all[corev1.Secret](c) {
					t.Errorf("production renders Secret %s: its Secrets are the operator's", s.Name)
				}
			}
		})
	}
}

// TestLocalInfrastructure checks the local overlay's Services are where the
// roles' settings say: Kafka's bootstrap, S3, PostgreSQL and InfluxDB.
func TestLocalInfrastructure(t *testing.T) {
	c := render(t, "overlays/local")
	secret := func(name, key string) string {
		s := get[corev1.Secret](c, "Secret", name)
		if s == nil {
			t.Fatalf("no Secret %s", name)
		}
		return string(s.Data[key])
	}
	kafka := get[strimziKafka](c, "Kafka", k8s.StrimziCluster)
	if kafka == nil || len(kafka.Spec.Kafka.Listeners) == 0 {
		t.Fatal("no Kafka with a listener")
	}
	// Strimzi names the bootstrap Service <cluster>-kafka-bootstrap.
	if want := fmt.Sprintf("%s-kafka-bootstrap:%d", k8s.StrimziCluster, kafka.Spec.Kafka.Listeners[0].Port); secret("tickerlake-kafka", "brokers") != want {
		t.Errorf("brokers %q, want %q", secret("tickerlake-kafka", "brokers"), want)
	}
	pools := all[strimziNodePool](c)
	if len(pools) != 1 || !slices.Equal(pools[0].Spec.Roles, []string{"controller", "broker"}) {
		t.Errorf("want one KRaft node pool that is controller and broker, have %d", len(pools))
	}
	checkServiceURL(t, c, "sql dsn", secret("tickerlake-sql", "dsn"))
	checkServiceURL(t, c, "influx url", secret("tickerlake-influx", "url"))
	for _, kind := range []string{"PodMonitor", "ServiceMonitor"} {
		found := false
		for k := range c.byKindName {
			found = found || strings.HasPrefix(k, kind+"/")
		}
		if !found {
			t.Errorf("no %s", kind)
		}
	}
}

// TestProductionAvailability checks what production adds: HPAs for the api
// and processor, an Ingress with TLS, default-deny NetworkPolicies with a
// policy for each role, and zone spread.
func TestProductionAvailability(t *testing.T) {
	c := render(t, "overlays/production")
	scaled := map[string]bool{}
	for _, h := range all[autoscalingv2.HorizontalPodAutoscaler](c) {
		if get[appsv1.Deployment](c, "Deployment", h.Spec.ScaleTargetRef.Name) == nil {
			t.Errorf("HPA %s scales %s, which is not a Deployment here", h.Name, h.Spec.ScaleTargetRef.Name)
		}
		scaled[h.Spec.ScaleTargetRef.Name] = true
	}
	if !scaled["api"] || !scaled["processor"] {
		t.Errorf("HPAs scale %v, want api and processor", scaled)
	}
	ings := all[networkingv1.Ingress](c)
	if len(ings) == 0 || len(ings[0].Spec.TLS) == 0 || ings[0].Spec.TLS[0].SecretName == "" {
		t.Error("no Ingress with TLS")
	}
	pols := all[networkingv1.NetworkPolicy](c)
	denyAll := slices.ContainsFunc(pols, func(p *networkingv1.NetworkPolicy) bool {
		return len(p.Spec.PodSelector.MatchLabels) == 0 && len(p.Spec.PodSelector.MatchExpressions) == 0 &&
			len(p.Spec.Ingress) == 0 && len(p.Spec.Egress) == 0 && len(p.Spec.PolicyTypes) == 2
	})
	if !denyAll {
		t.Error("no default-deny NetworkPolicy (every pod, ingress and egress, no rule)")
	}
	for _, w := range workloads(c) {
		if !w.role() {
			continue
		}
		allowed := slices.ContainsFunc(pols, func(p *networkingv1.NetworkPolicy) bool {
			sel, err := metav1.LabelSelectorAsSelector(&p.Spec.PodSelector)
			return err == nil && !sel.Empty() && sel.Matches(labels.Set(w.pod.Labels)) && len(p.Spec.Egress) > 0
		})
		if !allowed {
			t.Errorf("%s: no NetworkPolicy lets it reach anything", w)
		}
		if w.kind == "Deployment" || w.kind == "StatefulSet" {
			zone := slices.ContainsFunc(w.pod.Spec.TopologySpreadConstraints, func(s corev1.TopologySpreadConstraint) bool {
				return s.TopologyKey == "topology.kubernetes.io/zone"
			})
			if !zone {
				t.Errorf("%s: not spread across zones", w)
			}
		}
	}
}

// TestKubectlRendersTheSame renders each overlay with kubectl, when it is
// installed, and compares the objects with the Go render.
func TestKubectlRendersTheSame(t *testing.T) {
	if _, err := exec.LookPath("kubectl"); err != nil {
		t.Skip("kubectl is not installed")
	}
	for _, dir := range overlays {
		out, err := exec.Command("kubectl", "kustomize", dir).Output()
		if err != nil {
			t.Fatalf("kubectl kustomize %s: %v", dir, err)
		}
		var fromKubectl []string
		for _, doc := range strings.Split(string(out), "\n---\n") {
			var o struct {
				Kind     string `json:"kind"`
				Metadata struct {
					Name string `json:"name"`
				} `json:"metadata"`
			}
			if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
				t.Fatalf("kubectl kustomize %s: %v", dir, err)
			}
			fromKubectl = append(fromKubectl, o.Kind+"/"+o.Metadata.Name)
		}
		objs, err := k8s.Render(dir)
		if err != nil {
			t.Fatal(err)
		}
		var fromGo []string
		for _, o := range objs {
			fromGo = append(fromGo, o.String())
		}
		sort.Strings(fromKubectl)
		sort.Strings(fromGo)
		if !slices.Equal(fromKubectl, fromGo) {
			t.Errorf("%s: kubectl renders %v\nGo renders %v", dir, fromKubectl, fromGo)
		}
		t.Logf("%s: %d objects", dir, len(fromGo))
	}
}

// TestMonitoringIsApplied checks that both overlays carry every generated
// dashboard in the ConfigMap Grafana's sidecar loads, the data sources in
// theirs, and the rules file unchanged in the PrometheusRule.
func TestMonitoringIsApplied(t *testing.T) {
	files, err := monitoring.Files()
	if err != nil {
		t.Fatal(err)
	}
	rules, err := monitoring.Rules()
	if err != nil {
		t.Fatal(err)
	}
	datasources, err := os.ReadFile("monitoring/grafana/datasources.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range overlays {
		c := render(t, dir)
		dash := get[corev1.ConfigMap](c, "ConfigMap", "tickerlake-dashboards")
		if dash == nil || dash.Labels["grafana_dashboard"] != "1" {
			t.Fatalf("%s: no ConfigMap tickerlake-dashboards labelled grafana_dashboard: \"1\"", dir)
		}
		want := 0
		for name, b := range files {
			base, ok := strings.CutPrefix(name, "dashboards/")
			if !ok {
				continue
			}
			want++
			if dash.Data[base] != string(b) {
				t.Errorf("%s: tickerlake-dashboards[%s] differs from %s", dir, base, name)
			}
		}
		if len(dash.Data) != want {
			t.Errorf("%s: tickerlake-dashboards holds %d dashboards, the code defines %d", dir, len(dash.Data), want)
		}
		ds := get[corev1.ConfigMap](c, "ConfigMap", "tickerlake-datasources")
		if ds == nil || ds.Labels["grafana_datasource"] != "1" || ds.Data["datasources.yaml"] != string(datasources) {
			t.Errorf("%s: ConfigMap tickerlake-datasources missing, unlabelled or stale", dir)
		}
		pr := get[prometheusRule](c, "PrometheusRule", "tickerlake")
		if pr == nil {
			t.Fatalf("%s: no PrometheusRule tickerlake", dir)
		}
		got, _ := yaml.Marshal(pr.Spec)
		wantRules, _ := yaml.Marshal(rules)
		if !bytes.Equal(got, wantRules) {
			t.Errorf("%s: PrometheusRule tickerlake differs from %s:\n%s", dir, monitoring.RulesFile, got)
		}
	}
}

// TestKafkaAuth checks every container that reaches the brokers: in
// production it speaks TLS and takes its SASL mechanism and credentials
// from Secret tickerlake-kafka, key by key; locally it speaks to Strimzi's
// plain listener with neither.
func TestKafkaAuth(t *testing.T) {
	sasl := map[string]string{
		"TICKERLAKE_KAFKA_SASL_MECHANISM": "sasl-mechanism",
		"TICKERLAKE_KAFKA_SASL_USERNAME":  "sasl-username",
		"TICKERLAKE_KAFKA_SASL_PASSWORD":  "sasl-password",
	}
	for _, dir := range overlays {
		t.Run(dir, func(t *testing.T) {
			c := render(t, dir)
			clients := 0
			for _, w := range workloads(c) {
				for _, ct := range append(w.pod.Spec.InitContainers, w.pod.Spec.Containers...) {
					env := envOf(c, ct)
					if _, ok := env["TICKERLAKE_KAFKA_BROKERS"]; !ok {
						continue
					}
					clients++
					for name, key := range sasl {
						v, ok := env[name]
						if dir == "overlays/local" {
							if ok {
								t.Errorf("%s: %s set against the plain listener", w, name)
							}
							continue
						}
						if v.secret == nil || v.secret.Name != "tickerlake-kafka" || v.secret.Key != key {
							t.Errorf("%s: %s = %+v, want Secret tickerlake-kafka key %s", w, name, v, key)
						}
					}
					if tls, want := env["TICKERLAKE_KAFKA_TLS"].value, map[bool]string{true: "", false: "true"}[dir == "overlays/local"]; tls != want {
						t.Errorf("%s: TICKERLAKE_KAFKA_TLS %q, want %q", w, tls, want)
					}
				}
			}
			// api, collector, processor, writer, topics and four collection CronJobs.
			if clients < 9 {
				t.Errorf("%d containers reach Kafka, want at least 9", clients)
			}
		})
	}
}

// TestPredictor checks the prediction service's workloads: a predictor
// Deployment serving http on 8007 in both overlays, the nightly fine-tune
// CronJob on the New York calendar that skips holidays, and in production
// the Ingress sending the prediction routes to the predictor and the rest
// to the api.
func TestPredictor(t *testing.T) {
	for _, dir := range overlays {
		t.Run(dir, func(t *testing.T) {
			c := render(t, dir)
			p := get[appsv1.Deployment](c, "Deployment", "predictor")
			if p == nil {
				t.Fatal("no predictor Deployment")
			}
			ct := p.Spec.Template.Spec.Containers[0]
			if !slices.Equal(ct.Args, []string{"predictor"}) || !slices.ContainsFunc(ct.Ports, func(p corev1.ContainerPort) bool {
				return p.Name == "http" && p.ContainerPort == 8007
			}) || envOf(c, ct)["TICKERLAKE_HTTP_ADDR"].value != ":8007" {
				t.Errorf("predictor: args %v ports %v, want predictor serving http on :8007", ct.Args, ct.Ports)
			}
			if envOf(c, ct)["TICKERLAKE_ADMIN_API_KEYS"].secret == nil {
				t.Error("predictor: admin keys do not come from a Secret")
			}
			ft := get[batchv1.CronJob](c, "CronJob", "fine-tune")
			if ft == nil {
				t.Fatal("no fine-tune CronJob")
			}
			if ft.Spec.TimeZone == nil || *ft.Spec.TimeZone != "America/New_York" || !strings.HasSuffix(ft.Spec.Schedule, "* * 1-5") ||
				ft.Spec.ConcurrencyPolicy != batchv1.ForbidConcurrent ||
				!slices.Equal(ft.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Args, []string{"fine-tune", "--session-days-only"}) {
				t.Errorf("fine-tune CronJob %q in %v, args %v: want weekdays in New York, no overlap, holidays skipped",
					ft.Spec.Schedule, ft.Spec.TimeZone, ft.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Args)
			}
			if dir != "overlays/production" {
				return
			}
			backend := map[string]string{}
			for _, ing := range all[networkingv1.Ingress](c) {
				for _, r := range ing.Spec.Rules {
					for _, p := range r.HTTP.Paths {
						backend[p.Path] = p.Backend.Service.Name
					}
				}
			}
			for _, path := range []string{"/predict", "/fine_tune", "/api/v1/predict", "/api/v1/models"} {
				if backend[path] != "predictor" {
					t.Errorf("Ingress sends %s to %q, want predictor", path, backend[path])
				}
			}
			if backend["/"] != "api" {
				t.Errorf("Ingress sends / to %q, want api", backend["/"])
			}
		})
	}
}

// TestPushgateway checks that the compact CronJob pushes its metrics to the
// Pushgateway Service of k8s/monitoring, by the Service's name and port, and
// that a ServiceMonitor scrapes it keeping the pushed job label; in
// production the NetworkPolicies let the jobs reach it.
func TestPushgateway(t *testing.T) {
	for _, dir := range overlays {
		t.Run(dir, func(t *testing.T) {
			c := render(t, dir)
			svc := get[corev1.Service](c, "Service", "pushgateway")
			dep := get[appsv1.Deployment](c, "Deployment", "pushgateway")
			if svc == nil || dep == nil || len(svc.Spec.Ports) != 1 {
				t.Fatalf("no pushgateway Deployment and Service with one port")
			}
			if !labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(dep.Spec.Template.Labels)) {
				t.Errorf("Service pushgateway selects %v, not the Deployment's pods %v", svc.Spec.Selector, dep.Spec.Template.Labels)
			}
			cj := get[batchv1.CronJob](c, "CronJob", "compact")
			if cj == nil {
				t.Fatal("no compact CronJob")
			}
			args := cj.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Args
			want := fmt.Sprintf("http://%s:%d", svc.Name, svc.Spec.Ports[0].Port)
			if i := slices.Index(args, "--pushgateway"); i < 0 || i+1 >= len(args) || args[i+1] != want {
				t.Errorf("compact CronJob args %v, want --pushgateway %s", args, want)
			}
			sm := get[serviceMonitor](c, "ServiceMonitor", "pushgateway")
			if sm == nil || len(sm.Spec.Endpoints) != 1 || !sm.Spec.Endpoints[0].HonorLabels || sm.Spec.Endpoints[0].Port != svc.Spec.Ports[0].Name {
				t.Fatalf("ServiceMonitor pushgateway %+v: want one endpoint on port %q with honorLabels", sm, svc.Spec.Ports[0].Name)
			}
			sel, err := metav1.LabelSelectorAsSelector(&sm.Spec.Selector)
			if err != nil || !sel.Matches(labels.Set(svc.Labels)) {
				t.Errorf("ServiceMonitor pushgateway does not select the Service (labels %v)", svc.Labels)
			}
			if dir != "overlays/production" {
				return
			}
			job := labels.Set(cj.Spec.JobTemplate.Spec.Template.Labels)
			pod := labels.Set(dep.Spec.Template.Labels)
			var out, in bool
			for _, p := range all[networkingv1.NetworkPolicy](c) {
				from, _ := metav1.LabelSelectorAsSelector(&p.Spec.PodSelector)
				for _, e := range p.Spec.Egress {
					for _, peer := range e.To {
						to, _ := metav1.LabelSelectorAsSelector(peer.PodSelector)
						out = out || (from.Matches(job) && peer.PodSelector != nil && to.Matches(pod) && allowsPort(e.Ports, 9091))
					}
				}
				for _, i := range p.Spec.Ingress {
					for _, peer := range i.From {
						src, _ := metav1.LabelSelectorAsSelector(peer.PodSelector)
						in = in || (from.Matches(pod) && peer.PodSelector != nil && src.Matches(job) && allowsPort(i.Ports, 9091))
					}
				}
			}
			if !out || !in {
				t.Errorf("NetworkPolicies: compact to pushgateway:9091 egress %v, ingress %v; want both allowed", out, in)
			}
		})
	}
}

func allowsPort(ports []networkingv1.NetworkPolicyPort, port int) bool {
	return slices.ContainsFunc(ports, func(p networkingv1.NetworkPolicyPort) bool { return p.Port != nil && p.Port.IntValue() == port })
}
