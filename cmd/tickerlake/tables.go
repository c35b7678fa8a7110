package main

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"

	"github.com/tickerlake/tickerlake/lake"
	"github.com/tickerlake/tickerlake/lake/tables"
)

// TableFlags choose the Iceberg catalog of the lake's tables, which the
// writer, the compactor and migrate commit through.
type TableFlags struct {
	Catalog string `name:"catalog" env:"TICKERLAKE_CATALOG" help:"Iceberg SQL catalog of the lake's tables, whose snapshots decide what the lake holds: a SQLite file (default <data-dir>/catalog.db) or postgres://user:pass@host/db (what replicas sharing a lake need)."`
}

// errNoCatalog refuses --catalog none: a lake without tables would be
// written to no protocol readers follow.
var errNoCatalog = errors.New("--catalog none: a lake needs a catalog: name a SQLite file or postgres://user:pass@host/db")

// open opens the catalog's tables and what closes them.
func (t TableFlags) open(ctx context.Context, g *Globals, store lake.Store, log *slog.Logger) (*tables.Catalog, func(), error) {
	uri := t.Catalog
	switch uri {
	case "none":
		return nil, nil, errNoCatalog
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
