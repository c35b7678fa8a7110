// Command gen writes the dashboards' JSON and the PrometheusRule that
// package monitoring defines into k8s/monitoring (go generate runs it there).
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/tickerlake/tickerlake/k8s/monitoring"
)

func main() {
	files, err := monitoring.Files()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for name, b := range files {
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if err := os.WriteFile(name, b, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}
