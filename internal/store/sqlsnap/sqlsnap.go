// Package sqlsnap owns the SQL snapshot table: the seed's MySQL "jobs" table,
// one row per (panda_queue, prod_source, resource) holding the queue's
// attributes, the current count of every job state, moving averages, the
// datadisk columns and when the row was last written.
//
// Each cycle is written in one transaction: every row is upserted, then rows
// of queues not reported for longer than the stale time are deleted; a
// failure leaves the table as the previous cycle left it. SQLite
// (modernc.org/sqlite, no cgo) is the default; MySQL/MariaDB and PostgreSQL
// are chosen by DSN. All values travel as query parameters; identifiers come
// only from the fixed column list of this package.
//
// The table is created when missing and migrated by adding missing columns
// when it exists with fewer; its version is kept in the qmonit_schema table.
package sqlsnap

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/go-sql-driver/mysql" // registers "mysql"
	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "modernc.org/sqlite"             // registers "sqlite"

	"github.com/qmonit/qmonit/internal/point"
)

// Row is one row of the jobs table.
type Row struct {
	Queue, ProdSource, Resource string

	// Attrs are the attribute columns, in the order of point.AttrNames.
	Attrs point.Attrs

	ResourceFactor, Corepower, Pledge float64

	// Jobs maps a job state (see States) to its count. A state missing
	// from the map is stored as 0: PanDA omits states with no jobs.
	Jobs map[string]int64

	// Avg maps a key of AvgKeys ("1h_running") to a moving average,
	// stored in column avg<key>_jobs; nil or missing is NULL. Rows
	// returns only the non-NULL keys.
	Avg map[string]*float64

	// Coverage24h is the fraction of the last 24 h covered by samples
	// (column avg_coverage_24h); nil is NULL.
	Coverage24h *float64

	// Datadisk columns; nil is NULL (unknown).
	DatadiskName  *string
	DatadiskGB    *float64
	DatadiskFiles *int64

	// UpdatedAt and LastSeenAt are set by Write to its now (UTC,
	// microseconds) and filled by Rows; Write ignores the values given.
	UpdatedAt, LastSeenAt time.Time
}

// DB is the snapshot table in one database. Its methods are safe for
// concurrent use; Write calls are serialised.
type DB struct {
	db      *sql.DB
	dialect *dialect
	logger  *slog.Logger

	// writing is a one-slot semaphore serialising Write; unlike a mutex a
	// waiter gives up when its context ends.
	writing chan struct{}

	// warned holds the unknown Jobs and Avg keys already logged, guarded
	// by writing.
	warned map[string]bool

	// beforeBatch, when set by tests, runs inside the transaction before
	// each batch; an error aborts the write like a database error.
	beforeBatch func(ctx context.Context, batch int) error
}

// Open connects to the database named by dsn, creates or migrates the jobs
// table and returns the DB. An empty dsn opens the SQLite file
// dataDir/snapshot.db (creating dataDir). Accepted DSNs: "sqlite://<path>",
// "file:<path>[?params]", "mysql://" followed by a go-sql-driver DSN
// (user:pass@tcp(host:port)/db?...) or by user:pass@host:port/db,
// "postgres://..." and "postgresql://..." (pgx). Errors never contain the
// password. A nil logger discards.
func Open(ctx context.Context, dsn, dataDir string, logger *slog.Logger) (*DB, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	t, err := parseDSN(dsn, dataDir)
	if err != nil {
		return nil, fmt.Errorf("open snapshot table: %w", t.redact(err))
	}
	if dsn == "" {
		if err := os.MkdirAll(filepath.Clean(dataDir), 0o750); err != nil {
			return nil, fmt.Errorf("open snapshot table: create data directory: %w", err)
		}
	}
	d, err := open(ctx, t, logger)
	if err != nil {
		return nil, fmt.Errorf("open snapshot table %q: %w", t.redacted, t.redact(err))
	}
	logger.Info("snapshot table ready", "dialect", t.dialect, "dsn", t.redacted)
	return d, nil
}

func open(ctx context.Context, t target, logger *slog.Logger) (*DB, error) {
	db, err := sql.Open(t.driver, t.dsn)
	if err != nil {
		return nil, err
	}
	if t.dialect == DialectSQLite {
		// Writes are serialised anyway; a few connections let readers run
		// beside the writer in WAL mode.
		db.SetMaxOpenConns(4)
	}
	db.SetConnMaxIdleTime(5 * time.Minute)
	d := &DB{
		db:      db,
		dialect: dialects[t.dialect],
		logger:  logger,
		writing: make(chan struct{}, 1),
		warned:  map[string]bool{},
	}
	if err := db.PingContext(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("connect: %w", err), db.Close())
	}
	if err := d.ensureSchema(ctx); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	return d, nil
}

// Dialect returns "sqlite", "mysql" or "postgres".
func (d *DB) Dialect() string { return d.dialect.name }

// Close closes the database. It waits for nothing: callers stop writing
// first.
func (d *DB) Close() error {
	if err := d.db.Close(); err != nil {
		return fmt.Errorf("close snapshot table: %w", err)
	}
	return nil
}

// lock takes the write slot or gives up when ctx ends.
func (d *DB) lock(ctx context.Context) error {
	select {
	case d.writing <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (d *DB) unlock() { <-d.writing }

// keyString names a row in errors and logs.
func keyString(r *Row) string {
	return strings.Join([]string{r.Queue, r.ProdSource, r.Resource}, "/")
}
