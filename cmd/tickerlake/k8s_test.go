package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/alecthomas/kong"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/tickerlake/tickerlake/k8s"
)

// TestKubernetesManifestsMatchTheCLI renders both overlays and checks that
// every tickerlake container's arguments parse as a tickerlake command line.
func TestKubernetesManifestsMatchTheCLI(t *testing.T) {
	for _, dir := range []string{"../../k8s/overlays/local", "../../k8s/overlays/production"} {
		objs, err := k8s.Render(dir)
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]int{}
		for _, o := range objs {
			var pod struct {
				Spec struct {
					Template    corev1.PodTemplateSpec  `json:"template"`
					JobTemplate batchv1.JobTemplateSpec `json:"jobTemplate"`
				} `json:"spec"`
			}
			switch o.Kind {
			case "Deployment", "StatefulSet", "Job", "CronJob":
			default:
				continue
			}
			// Only the fields read here: the strict decode is k8s's own test.
			if err := json.Unmarshal(o.JSON, &pod); err != nil {
				t.Fatalf("%s: %s: %v", dir, o, err)
			}
			tpl := pod.Spec.Template
			if o.Kind == "CronJob" {
				tpl = pod.Spec.JobTemplate.Spec.Template
			}
			for _, c := range tpl.Spec.Containers {
				if !strings.HasPrefix(c.Image, "tickerlake/tickerlake:") {
					continue
				}
				kinds[o.Kind]++
				var cli CLI
				parser, err := kong.New(&cli, kong.Name("tickerlake"), kong.Exit(func(int) {}))
				if err != nil {
					t.Fatal(err)
				}
				kctx, err := parser.Parse(c.Args)
				if err != nil {
					t.Errorf("%s: %s: args %q do not parse: %v", dir, o, c.Args, err)
					continue
				}
				// The Kafka settings a manifest gives a container are ones
				// its command reads: a misspelt or unread one would leave
				// the role speaking plaintext to a SASL broker.
				read := map[string]bool{}
				for _, f := range kctx.Flags() {
					for _, e := range f.Envs {
						read[e] = true
					}
				}
				for _, e := range c.Env {
					if strings.HasPrefix(e.Name, "TICKERLAKE_KAFKA_") && !read[e.Name] {
						t.Errorf("%s: %s: %s is set but %q reads no such setting", dir, o, e.Name, c.Args[0])
					}
				}
			}
		}
		if kinds["Deployment"]+kinds["StatefulSet"] < 4 || kinds["CronJob"] < 4 || kinds["Job"] < 1 {
			t.Errorf("%s runs tickerlake in %v, want the four roles, the topics Job and the collection CronJobs", dir, kinds)
		}
	}
}
