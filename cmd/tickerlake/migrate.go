package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/tickerlake/tickerlake/lake/tables"
	"github.com/tickerlake/tickerlake/market"
)

// MigrateCmd registers an existing lake in its Iceberg tables, in place.
type MigrateCmd struct {
	LakeFlags
	TableFlags
}

// Run implements the command.
func (c *MigrateCmd) Run(g *Globals, ctx context.Context, log *slog.Logger) error {
	store, err := openLake(ctx, g, c.LakeFlags)
	if err != nil {
		return err
	}
	cat, closeTables, err := c.TableFlags.open(ctx, g, store, log)
	if err != nil {
		return err
	}
	defer closeTables()
	for _, ds := range market.Datasets() {
		rep, err := cat.Migrate(ctx, ds.Name)
		if err != nil {
			return fmt.Errorf("migrate %s: %w", ds.Name, err)
		}
		fmt.Printf("%s.%s: %d visible objects; %d data files added, %d removed\n", tables.Namespace, ds.Name, rep.Visible, rep.Added, rep.Removed)
		if rep.Unpartitioned != "" {
			fmt.Printf("%s.%s: created unpartitioned: %s holds rows of two UTC days\n", tables.Namespace, ds.Name, rep.Unpartitioned)
		}
	}
	return nil
}
