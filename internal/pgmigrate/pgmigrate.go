// Package pgmigrate applies a store's embedded SQL migrations with goose,
// under a PostgreSQL session lock, so that servers starting together
// migrate once. Each store keeps its own version table, so several share
// one database.
package pgmigrate

import (
	"context"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// Up applies the migrations in dir of files that the database has not
// seen, recording them in versionTable ("" for goose's default). what
// names the schema in errors.
func Up(ctx context.Context, pool *pgxpool.Pool, files fs.FS, dir, versionTable, what string) error {
	db := stdlib.OpenDBFromPool(pool)
	defer func() { _ = db.Close() }()
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	sub, err := fs.Sub(files, dir)
	if err != nil {
		return fmt.Errorf("read migrations: %w", err)
	}
	opts := []goose.ProviderOption{goose.WithSessionLocker(locker)}
	if versionTable != "" {
		opts = append(opts, goose.WithTableName(versionTable))
	}
	provider, err := goose.NewProvider(goose.DialectPostgres, db, sub, opts...)
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	if _, err := provider.Up(ctx); err != nil {
		return fmt.Errorf("migrate the %s schema: %w", what, err)
	}
	return nil
}
