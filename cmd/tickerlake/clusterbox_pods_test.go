package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// This file is the cluster-in-a-box's kubelet: it turns the rendered pod
// templates into local processes of the tickerlake binary, with the
// environment Kubernetes would give them (ConfigMaps, Secrets, the downward
// API, $(VAR) expansion) and the cluster's Service names mapped to loopback.

// boxCluster holds what the rendered overlay defines that pods read.
type boxCluster struct {
	bin        string
	root       string
	configMaps map[string]map[string]string
	secrets    map[string]map[string]string
	// services maps "name:port" (any of the Service's DNS forms) to the
	// loopback address standing in for it.
	services map[string]string
	// envHook, when set, adjusts a pod's environment after the Service
	// addresses are mapped.
	envHook func(env map[string]string)
}

// addService maps a Service (and its namespaced DNS names) on port to addr.
func (c *boxCluster) addService(name, namespace string, port int32, addr string) {
	for _, host := range []string{name, name + "." + namespace, name + "." + namespace + ".svc", name + "." + namespace + ".svc.cluster.local"} {
		c.services[host+":"+strconv.Itoa(int(port))] = addr
	}
}

// serviceRef matches host:port in an environment value or argument.
var serviceRef = regexp.MustCompile(`[A-Za-z0-9][A-Za-z0-9.-]*:[0-9]+`)

// resolve rewrites every Service address in v to its loopback stand-in.
func (c *boxCluster) resolve(v string) string {
	return serviceRef.ReplaceAllStringFunc(v, func(m string) string {
		if a, ok := c.services[m]; ok {
			return a
		}
		return m
	})
}

// podEnv is the environment of container ct in pod podName, as the kubelet
// builds it: envFrom first, then env in order, with $(VAR) expanded.
func (c *boxCluster) podEnv(t *testing.T, podName, namespace string, ct corev1.Container) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, from := range ct.EnvFrom {
		var src map[string]string
		var ok bool
		switch {
		case from.ConfigMapRef != nil:
			src, ok = c.configMaps[from.ConfigMapRef.Name]
		case from.SecretRef != nil:
			src, ok = c.secrets[from.SecretRef.Name]
		}
		if !ok {
			t.Fatalf("pod %s: envFrom names an object the overlay does not render: %+v", podName, from)
		}
		for k, v := range src {
			env[from.Prefix+k] = v
		}
	}
	for _, e := range ct.Env {
		v := e.Value
		if e.ValueFrom != nil {
			v = c.valueFrom(t, podName, namespace, e)
		} else {
			v = expandVars(v, env)
		}
		env[e.Name] = v
	}
	return env
}

func (c *boxCluster) valueFrom(t *testing.T, podName, namespace string, e corev1.EnvVar) string {
	t.Helper()
	from := e.ValueFrom
	lookup := func(objs map[string]map[string]string, kind, name, key string, optional *bool) string {
		v, ok := objs[name][key]
		if !ok && (optional == nil || !*optional) {
			t.Fatalf("pod %s: env %s: %s %s has no key %q", podName, e.Name, kind, name, key)
		}
		return v
	}
	switch {
	case from.SecretKeyRef != nil:
		r := from.SecretKeyRef
		return lookup(c.secrets, "Secret", r.Name, r.Key, r.Optional)
	case from.ConfigMapKeyRef != nil:
		r := from.ConfigMapKeyRef
		return lookup(c.configMaps, "ConfigMap", r.Name, r.Key, r.Optional)
	case from.FieldRef != nil:
		switch from.FieldRef.FieldPath {
		case "metadata.name":
			return podName
		case "metadata.namespace":
			return namespace
		case "status.podIP", "status.hostIP":
			return "127.0.0.1"
		}
	case from.ResourceFieldRef != nil:
		return "0"
	}
	t.Fatalf("pod %s: env %s: unsupported valueFrom %+v", podName, e.Name, from)
	return ""
}

// expandVars expands $(NAME) from env, as Kubernetes does in env values,
// command and args; an unknown reference is left as written.
func expandVars(s string, env map[string]string) string {
	return regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`).ReplaceAllStringFunc(s, func(m string) string {
		if v, ok := env[m[2:len(m)-1]]; ok {
			return v
		}
		return m
	})
}

// secretData merges a rendered Secret's data and stringData.
func secretData(s corev1.Secret) map[string]string {
	out := map[string]string{}
	for k, v := range s.Data {
		out[k] = string(v)
	}
	for k, v := range s.StringData {
		out[k] = v
	}
	return out
}

// boxPod is one running replica: a tickerlake process.
type boxPod struct {
	name    string
	role    string // the workload's name
	spec    corev1.Container
	env     map[string]string
	ports   map[string]string // container port name (and number) -> loopback address
	dataDir string
	// stopping marks a pod the test stops on purpose: the kubelet does
	// not restart it.
	stopping bool
	cmd      *exec.Cmd
	done     chan struct{}
	err      error
	log      string
}

// startPod starts container ct of a pod template as a local process. Each
// container port gets a loopback port of its own (the pod's IP), every
// emptyDir and the data dir a folder of its own.
func (c *boxCluster) startPod(t *testing.T, workload, podName, namespace string, spec corev1.PodSpec) *boxPod {
	t.Helper()
	if len(spec.Containers) != 1 {
		t.Fatalf("%s: want one container, have %d", podName, len(spec.Containers))
	}
	ct := spec.Containers[0]
	p := &boxPod{name: podName, role: workload, spec: ct, ports: map[string]string{}, done: make(chan struct{})}
	p.dataDir = filepath.Join(c.root, "pods", podName)
	if err := os.MkdirAll(p.dataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	env := c.podEnv(t, podName, namespace, ct)
	for _, cp := range ct.Ports {
		addr := freeAddr(t)
		p.ports[cp.Name] = addr
		p.ports[strconv.Itoa(int(cp.ContainerPort))] = addr
	}
	// Listen addresses name the container's ports; locally each pod has
	// its own loopback ports instead.
	for k, v := range env {
		if _, port, err := net.SplitHostPort(v); err == nil && strings.HasSuffix(k, "_ADDR") {
			if a, ok := p.ports[port]; ok {
				env[k] = a
				continue
			}
		}
		env[k] = c.resolve(v)
	}
	// Mounted volumes become folders under the pod's own directory.
	for _, m := range ct.VolumeMounts {
		dir := filepath.Join(p.dataDir, "volumes", m.Name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for k, v := range env {
			if v == m.MountPath || strings.HasPrefix(v, m.MountPath+"/") {
				env[k] = dir + strings.TrimPrefix(v, m.MountPath)
			}
		}
	}
	env["HOSTNAME"] = podName
	if c.envHook != nil {
		c.envHook(env)
	}
	p.env = env
	args := make([]string, 0, len(ct.Command)+len(ct.Args))
	for _, a := range append(append([]string{}, ct.Command...), ct.Args...) {
		args = append(args, c.resolve(expandVars(a, env)))
	}
	if len(args) > 0 && (args[0] == "tickerlake" || args[0] == "/usr/local/bin/tickerlake") {
		args = args[1:]
	}
	p.log = filepath.Join(c.root, "logs", podName+".log")
	if err := os.MkdirAll(filepath.Dir(p.log), 0o755); err != nil {
		t.Fatal(err)
	}
	logf, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(c.bin, args...)
	p.cmd.Dir = p.dataDir
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	p.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "TMPDIR=" + p.dataDir}
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p.cmd.Env = append(p.cmd.Env, k+"="+env[k])
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", podName, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	t.Cleanup(func() { p.kill() })
	return p
}

// exited reports whether the process has ended.
func (p *boxPod) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// kill sends SIGKILL and waits for the process to end.
func (p *boxPod) kill() {
	if p.cmd.Process != nil && !p.exited() {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
	}
	<-p.done
}

// terminate sends SIGTERM and waits at most grace for a clean exit, as the
// kubelet does before its SIGKILL.
func (p *boxPod) terminate(grace time.Duration) error {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case <-p.done:
		return p.err
	case <-time.After(grace):
		p.kill()
		return fmt.Errorf("%s did not exit within %s of SIGTERM", p.name, grace)
	}
}

// probeURL is where an HTTP probe of the pod's container reaches it.
func (p *boxPod) probeURL(t *testing.T, pr *corev1.Probe) string {
	t.Helper()
	if pr == nil || pr.HTTPGet == nil {
		t.Fatalf("%s: no HTTP probe", p.name)
	}
	addr, ok := p.ports[pr.HTTPGet.Port.String()]
	if !ok {
		t.Fatalf("%s: probe port %s is not a container port", p.name, pr.HTTPGet.Port.String())
	}
	return "http://" + addr + pr.HTTPGet.Path
}

// probe runs an HTTP probe once: the status code, or 0 when nothing answered.
func probe(ctx context.Context, url string) int {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// waitProbe polls url until it answers want, the pod exits, or within passes.
func (p *boxPod) waitProbe(t *testing.T, url string, want int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	last := 0
	for time.Now().Before(deadline) {
		if p.exited() {
			t.Fatalf("%s exited (%v) while waiting for %s to answer %d; log %s:\n%s", p.name, p.err, url, want, p.log, tail(p.log, 30))
		}
		if last = probe(context.Background(), url); last == want {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: %s answered %d, not %d, within %s; log %s:\n%s", p.name, url, last, want, within, p.log, tail(p.log, 30))
}

// tail is the last n lines of a file, for failure messages.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// serviceLB stands in for a Service and kube-proxy: it spreads requests over
// the endpoints that are ready, and a rolling restart takes an endpoint out
// before its pod is stopped.
type serviceLB struct {
	mu        sync.Mutex
	endpoints []string
	next      int
}

func (lb *serviceLB) set(endpoints ...string) {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	lb.endpoints = append([]string(nil), endpoints...)
}

func (lb *serviceLB) add(ep string) {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	lb.endpoints = append(lb.endpoints, ep)
}

func (lb *serviceLB) remove(ep string) {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	for i, e := range lb.endpoints {
		if e == ep {
			lb.endpoints = append(lb.endpoints[:i], lb.endpoints[i+1:]...)
			return
		}
	}
}

func (lb *serviceLB) pick() (string, bool) {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	if len(lb.endpoints) == 0 {
		return "", false
	}
	lb.next++
	return lb.endpoints[lb.next%len(lb.endpoints)], true
}
