// Package serve is the api role: the REST/OpenAPI service the web app and
// scripts use, answered by DuckDB over the lake, with /metrics and health.
package serve
