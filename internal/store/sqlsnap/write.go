package sqlsnap

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"
	"unicode/utf8"
)

// batchRows is the number of rows per multi-row INSERT: 200 × 69 parameters
// stays below SQLite's 32,766 and the 65,535 of MySQL and PostgreSQL.
const batchRows = 200

// Value limits every engine can hold: VARCHAR(255) keys (in characters) and
// MySQL TEXT (in bytes).
const (
	maxKeyRunes   = 255
	maxTextBytes  = 65535
	maxRowErrors  = 10  // invalid rows named in one error
	maxWarnedKeys = 100 // unknown keys remembered, so a flood cannot grow memory
)

// Write stores one cycle in one transaction: it upserts every row with
// updated_at and last_seen_at set to now (UTC, truncated to microseconds),
// then deletes the rows whose last_seen_at is older than now-staleAfter
// (staleAfter <= 0 deletes nothing). Either all of it is stored or none.
//
// Rows are checked first: keys longer than 255 characters, text that is not
// UTF-8 or holds NUL, NaN or infinite numbers, and duplicate keys fail the
// whole write, naming the rows. Unknown keys in Jobs and Avg are ignored and
// logged once. Concurrent calls run one after the other; rows is only read.
func (d *DB) Write(ctx context.Context, rows []Row, now time.Time, staleAfter time.Duration) error {
	if err := validate(rows); err != nil {
		return fmt.Errorf("write snapshot: %w", err)
	}
	if err := d.lock(ctx); err != nil {
		return fmt.Errorf("write snapshot: %w", err)
	}
	defer d.unlock()
	d.warnUnknown(rows)
	start := time.Now()
	now = now.UTC().Truncate(time.Microsecond)
	deleted, err := d.writeTx(ctx, rows, now, staleAfter)
	if err != nil {
		return fmt.Errorf("write snapshot (%d rows, %s): %w", len(rows), d.dialect.name, err)
	}
	d.logger.Debug("snapshot written", "rows", len(rows), "deleted_rows", deleted,
		"duration_seconds", time.Since(start).Seconds())
	return nil
}

func (d *DB) writeTx(ctx context.Context, rows []Row, now time.Time, staleAfter time.Duration) (deleted int64, err error) {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err == nil {
			return
		}
		if rbErr := tx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) {
			err = errors.Join(err, fmt.Errorf("rollback: %w", rbErr))
		}
	}()
	if err = d.upsertAll(ctx, tx, rows, now); err != nil {
		return 0, err
	}
	if staleAfter > 0 {
		res, err := tx.ExecContext(ctx, d.dialect.deleteStale(), d.dialect.timeArg(now.Add(-staleAfter)))
		if err != nil {
			return 0, fmt.Errorf("delete stale rows: %w", err)
		}
		deleted, _ = res.RowsAffected()
	}
	if err = tx.Commit(); err != nil {
		return 0, fmt.Errorf("commit: %w", err)
	}
	return deleted, nil
}

// upsertAll runs the multi-row upserts: one statement prepared for full
// batches, reused, and one for the remainder.
func (d *DB) upsertAll(ctx context.Context, tx *sql.Tx, rows []Row, now time.Time) error {
	ts := d.dialect.timeArg(now)
	args := make([]any, 0, min(len(rows), batchRows)*numColumns)
	var full *sql.Stmt
	defer func() {
		if full != nil {
			_ = full.Close() // closed with the transaction anyway
		}
	}()
	for batch, first := 0, 0; first < len(rows); batch, first = batch+1, first+batchRows {
		if d.beforeBatch != nil {
			if err := d.beforeBatch(ctx, batch); err != nil {
				return fmt.Errorf("batch %d: %w", batch, err)
			}
		}
		last := min(first+batchRows, len(rows))
		args = args[:0]
		for i := first; i < last; i++ {
			args = appendArgs(args, &rows[i], ts)
		}
		var err error
		if last-first < batchRows {
			_, err = tx.ExecContext(ctx, d.dialect.upsert(last-first), args...)
		} else {
			if full == nil {
				if full, err = tx.PrepareContext(ctx, d.dialect.upsert(batchRows)); err != nil {
					return fmt.Errorf("prepare upsert: %w", err)
				}
			}
			_, err = full.ExecContext(ctx, args...)
		}
		if err != nil {
			return fmt.Errorf("upsert rows %d-%d: %w", first, last-1, err)
		}
	}
	return nil
}

// appendArgs appends r's values in column order; ts is the timestamp
// argument for updated_at and last_seen_at.
func appendArgs(args []any, r *Row, ts any) []any {
	args = append(args, r.Queue, r.ProdSource, r.Resource)
	for _, a := range r.Attrs {
		args = append(args, a)
	}
	args = append(args, r.ResourceFactor, r.Corepower, r.Pledge)
	for _, s := range states {
		args = append(args, r.Jobs[s])
	}
	for _, k := range avgKeys {
		args = append(args, nullable(r.Avg[k]))
	}
	return append(args, nullable(r.Coverage24h), nullable(r.DatadiskName), nullable(r.DatadiskGB),
		nullable(r.DatadiskFiles), ts, ts)
}

// nullable turns a nil pointer into a NULL argument and dereferences others.
func nullable[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// validate checks every row against what all three engines can store and
// rejects duplicate keys (PostgreSQL refuses them in one statement).
func validate(rows []Row) error {
	seen := make(map[[3]string]int, len(rows))
	var errs []error
	for i := range rows {
		r := &rows[i]
		err := validateRow(r)
		if j, dup := seen[[3]string{r.Queue, r.ProdSource, r.Resource}]; dup && err == nil {
			err = fmt.Errorf("duplicate key, first in row %d", j)
		}
		seen[[3]string{r.Queue, r.ProdSource, r.Resource}] = i
		if err != nil {
			errs = append(errs, fmt.Errorf("row %d %q: %w", i, keyString(r), err))
			if len(errs) == maxRowErrors {
				errs = append(errs, errors.New("more invalid rows not shown"))
				break
			}
		}
	}
	return errors.Join(errs...)
}

func validateRow(r *Row) error {
	var errs []error
	for _, k := range [...]struct{ name, v string }{
		{"panda_queue", r.Queue}, {"prod_source", r.ProdSource}, {"resource", r.Resource},
	} {
		errs = append(errs, checkText(k.name, k.v))
		if utf8.RuneCountInString(k.v) > maxKeyRunes {
			errs = append(errs, fmt.Errorf("%s: longer than %d characters", k.name, maxKeyRunes))
		}
	}
	for i, a := range r.Attrs {
		errs = append(errs, checkText(columns[colAttrs+i].name, a))
	}
	if r.DatadiskName != nil {
		errs = append(errs, checkText("datadisk_name", *r.DatadiskName))
	}
	for _, f := range [...]struct {
		name string
		v    *float64
	}{
		{"resource_factor", &r.ResourceFactor}, {"corepower", &r.Corepower},
		{"federation_hs06_pledge", &r.Pledge}, {"avg_coverage_24h", r.Coverage24h},
		{"datadisk_occupied_gb", r.DatadiskGB},
	} {
		errs = append(errs, checkFloat(f.name, f.v))
	}
	for _, k := range avgKeys {
		errs = append(errs, checkFloat("avg"+k+"_jobs", r.Avg[k]))
	}
	return errors.Join(errs...)
}

func checkText(name, v string) error {
	switch {
	case !utf8.ValidString(v):
		return fmt.Errorf("%s: not valid UTF-8", name)
	case len(v) > maxTextBytes:
		return fmt.Errorf("%s: longer than %d bytes", name, maxTextBytes)
	}
	for i := 0; i < len(v); i++ {
		if v[i] == 0 {
			return fmt.Errorf("%s: contains a NUL byte", name)
		}
	}
	return nil
}

func checkFloat(name string, v *float64) error {
	if v != nil && (math.IsNaN(*v) || math.IsInf(*v, 0)) {
		return fmt.Errorf("%s: %v is not a finite number", name, *v)
	}
	return nil
}

// warnUnknown logs, once per name for the life of d, Jobs and Avg keys that
// have no column. Called with the write slot held.
func (d *DB) warnUnknown(rows []Row) {
	for i := range rows {
		for s := range rows[i].Jobs {
			if _, ok := stateIndex[s]; !ok {
				d.warnOnce("state:"+s, "job state has no column, ignored", "state", s)
			}
		}
		for k := range rows[i].Avg {
			if _, ok := avgIndex[k]; !ok {
				d.warnOnce("avg:"+k, "average has no column, ignored", "avg_key", k)
			}
		}
	}
}

func (d *DB) warnOnce(id, msg, key, value string) {
	if d.warned[id] || len(d.warned) >= maxWarnedKeys {
		return
	}
	d.warned[id] = true
	d.logger.Warn(msg, key, value)
}
