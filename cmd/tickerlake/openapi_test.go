package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// The web app's typed client is generated from web/openapi.json; when the
// API changes, that copy (and the client) must be regenerated with it.
func TestWebClientMatchesOpenAPIDocument(t *testing.T) {
	doc, err := openAPIDocument()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "..", "web", "openapi.json")
	committed, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(doc, committed) {
		t.Fatalf("%s is stale: the API changed. Regenerate the document and the web client:\n"+
			"  go run ./cmd/tickerlake openapi > web/openapi.json && (cd web && npm run api)", path)
	}
}
