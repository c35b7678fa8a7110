package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/alecthomas/kong"
	"go.yaml.in/yaml/v3"
)

type k8sObject struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec struct {
		Replicas    int    `yaml:"replicas"`
		Template    podTpl `yaml:"template"`
		JobTemplate struct {
			Spec struct {
				Template podTpl `yaml:"template"`
			} `yaml:"spec"`
		} `yaml:"jobTemplate"`
	} `yaml:"spec"`
}

type podTpl struct {
	Spec struct {
		Containers []struct {
			Args []string `yaml:"args"`
		} `yaml:"containers"`
	} `yaml:"spec"`
}

// TestKubernetesManifestsMatchTheCLI parses every manifest and checks that
// each Deployment has at least two replicas and that every container's
// arguments parse as a tickerlake command line.
func TestKubernetesManifestsMatchTheCLI(t *testing.T) {
	files, err := filepath.Glob("../../k8s/base/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	kinds := map[string]int{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		for {
			var o k8sObject
			if err := dec.Decode(&o); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			kinds[o.Kind]++
			tpl := o.Spec.Template
			switch o.Kind {
			case "Deployment":
				if o.Spec.Replicas < 2 {
					t.Errorf("%s: deployment %s has %d replicas, want at least 2", f, o.Metadata.Name, o.Spec.Replicas)
				}
			case "CronJob":
				tpl = o.Spec.JobTemplate.Spec.Template
			default:
				continue
			}
			for _, c := range tpl.Spec.Containers {
				var cli CLI
				parser, err := kong.New(&cli, kong.Name("tickerlake"), kong.Exit(func(int) {}))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := parser.Parse(c.Args); err != nil {
					t.Errorf("%s: %s %s: args %q do not parse: %v", f, o.Kind, o.Metadata.Name, c.Args, err)
				}
			}
		}
	}
	if kinds["Deployment"] < 4 || kinds["CronJob"] < 4 {
		t.Errorf("manifests hold %v, want the four role deployments and the collection cron jobs", kinds)
	}
}
