package main

import (
	"context"
	"log/slog"
	"path/filepath"

	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/tables"
)

// TableFlags choose the Iceberg catalog that the writer and the compactor
// keep in step with the lake.
type TableFlags struct {
	Catalog string `name:"catalog" env:"TICKERLAKE_CATALOG" help:"Iceberg SQL catalog of the lake's tables: a SQLite file (default <data-dir>/catalog.db), postgres://user:pass@host/db (what replicas sharing a lake need), or none."`
}

// open opens the catalog's tables, nil for none, and what closes them.
func (t TableFlags) open(ctx context.Context, g *Globals, store lake.Store, log *slog.Logger) (lake.Tables, func(), error) {
	uri := t.Catalog
	switch uri {
	case "none":
		return nil, func() {}, nil
	case "":
		uri = filepath.Join(g.DataDir, "catalog.db")
	}
	c, err := tables.Open(ctx, uri, store, log.With("catalog", tables.Redact(uri)))
	if err != nil {
		return nil, nil, err
	}
	log.Info("iceberg tables", "catalog", tables.Redact(uri), "namespace", tables.Namespace)
	return c, func() {
		if err := c.Close(); err != nil {
			log.Warn("close catalog", "err", err)
		}
	}, nil
}
