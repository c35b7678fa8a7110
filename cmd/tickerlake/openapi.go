package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"

	"github.com/tickerlake/tickerlake/metrics"
	"github.com/tickerlake/tickerlake/predict"
	"github.com/tickerlake/tickerlake/serve"
)

// OpenAPICmd prints the API's OpenAPI document: the source of web/'s typed
// client (web/openapi.json, then `npm run api` in web/).
type OpenAPICmd struct{}

// Run implements the command.
func (c *OpenAPICmd) Run() error {
	doc, err := openAPIDocument()
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(doc)
	return err
}

// openAPIDocument builds the api role's routes, the predictor's mounted
// as in up, without a lake behind them, and renders the document they
// describe, as /openapi.json serves it.
func openAPIDocument() ([]byte, error) {
	m := metrics.New()
	srv := serve.New(nil, nil, serve.Config{}, slog.New(slog.DiscardHandler), m)
	if err := mountPredictor(srv, &predict.Service{}, m); err != nil {
		return nil, err
	}
	_, api := srv.Handler()
	doc, err := json.MarshalIndent(api.OpenAPI(), "", "  ")
	if err != nil {
		return nil, fmt.Errorf("render openapi document: %w", err)
	}
	return append(doc, '\n'), nil
}
