package sqlsnap

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// schemaVersion is the version of the jobs table this code writes. Bump it
// when columns are added; migrate adds every missing column whatever the
// stored version, so a bump needs no migration code of its own.
const schemaVersion = 1

// schemaComponent is this table's row in qmonit_schema, which other qmonit
// tables may share.
const schemaComponent = "sqlsnap.jobs"

// ensureSchema creates the tables, adds missing columns to an older jobs
// table and records the schema version. It is idempotent.
func (d *DB) ensureSchema(ctx context.Context) error {
	stored, err := d.schemaVersion(ctx)
	if err != nil {
		return err
	}
	if stored > schemaVersion {
		return fmt.Errorf("table %q has schema version %d, newer than this qmonit's %d", "jobs", stored, schemaVersion)
	}
	collation := ""
	if d.dialect.name == DialectMySQL {
		if collation, err = d.mysqlCollation(ctx); err != nil {
			return err
		}
	}
	if _, err := d.db.ExecContext(ctx, d.dialect.createTable(collation)); err != nil {
		return fmt.Errorf("create table %q: %w", "jobs", err)
	}
	if err := d.addMissingColumns(ctx); err != nil {
		return err
	}
	if err := d.widenIntegers(ctx); err != nil {
		return err
	}
	if collation != "" {
		if err := d.mysqlConvert(ctx, collation); err != nil {
			return err
		}
	}
	return d.setSchemaVersion(ctx, stored)
}

func (d *DB) schemaVersion(ctx context.Context) (int, error) {
	create := "CREATE TABLE IF NOT EXISTS qmonit_schema (component VARCHAR(64) NOT NULL PRIMARY KEY, version INTEGER NOT NULL)"
	if _, err := d.db.ExecContext(ctx, create); err != nil {
		return 0, fmt.Errorf("create table %q: %w", "qmonit_schema", err)
	}
	var v int
	err := d.db.QueryRowContext(ctx,
		"SELECT version FROM qmonit_schema WHERE component = "+d.dialect.ph(1), schemaComponent).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

func (d *DB) setSchemaVersion(ctx context.Context, stored int) error {
	if stored == schemaVersion {
		return nil
	}
	query := "UPDATE qmonit_schema SET version = " + d.dialect.ph(1) + " WHERE component = " + d.dialect.ph(2)
	args := []any{schemaVersion, schemaComponent}
	if stored == 0 {
		query = "INSERT INTO qmonit_schema (component, version) VALUES (" + d.dialect.ph(1) + ", " + d.dialect.ph(2) + ")"
		args = []any{schemaComponent, schemaVersion}
	}
	if _, err := d.db.ExecContext(ctx, query, args...); err != nil {
		return fmt.Errorf("write schema version: %w", err)
	}
	return nil
}

// existingColumns lists the jobs table's columns, lower-cased, through the
// result-set metadata of an empty SELECT, which every engine supports.
func (d *DB) existingColumns(ctx context.Context) (map[string]bool, error) {
	rows, err := d.db.QueryContext(ctx, "SELECT * FROM jobs WHERE 1 = 0")
	if err != nil {
		return nil, fmt.Errorf("list columns of %q: %w", "jobs", err)
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return nil, fmt.Errorf("list columns of %q: %w", "jobs", err)
	}
	have := make(map[string]bool, len(names))
	for _, n := range names {
		have[strings.ToLower(n)] = true
	}
	return have, rows.Err()
}

// addMissingColumns adds, with ALTER TABLE, every column the table lacks.
// Existing columns keep their type; extra columns are left alone. Rows that
// predate last_seen_at get the migration time, so they live one full stale
// period instead of never expiring.
func (d *DB) addMissingColumns(ctx context.Context) error {
	have, err := d.existingColumns(ctx)
	if err != nil {
		return err
	}
	var added []string
	for _, c := range columns {
		if have[c.name] {
			continue
		}
		if c.kind == kindKey {
			return fmt.Errorf("table %q lacks key column %q; it cannot be migrated, rename or drop it", "jobs", c.name)
		}
		stmt := "ALTER TABLE jobs ADD COLUMN " + d.dialect.q(c.name) + " " + d.dialect.types[c.kind]
		if _, err := d.db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("migrate table %q: add column %q: %w", "jobs", c.name, err)
		}
		added = append(added, c.name)
	}
	if len(added) == 0 {
		return nil
	}
	if !have["last_seen_at"] {
		now := d.dialect.timeArg(time.Now().UTC().Truncate(time.Microsecond))
		stmt := "UPDATE jobs SET " + d.dialect.q("last_seen_at") + " = " + d.dialect.ph(1) +
			" WHERE " + d.dialect.q("last_seen_at") + " IS NULL"
		if _, err := d.db.ExecContext(ctx, stmt, now); err != nil {
			return fmt.Errorf("migrate table %q: fill %q: %w", "jobs", "last_seen_at", err)
		}
	}
	d.logger.Info("snapshot table migrated", "table", "jobs", "added_columns", len(added),
		"columns", strings.Join(added, ","))
	return nil
}

// widenIntegers turns integer columns of an older table narrower than 64
// bits into BIGINT, which is lossless: counts and file numbers are written as
// int64. SQLite's INTEGER is always 64-bit.
func (d *DB) widenIntegers(ctx context.Context) error {
	if d.dialect.name == DialectSQLite {
		return nil
	}
	narrow, err := d.narrowIntegers(ctx)
	if err != nil {
		return err
	}
	for _, c := range columns {
		if !narrow[c.name] || (c.kind != kindCount && c.kind != kindInt) {
			continue
		}
		stmt := "ALTER TABLE jobs ALTER COLUMN " + d.dialect.q(c.name) + " TYPE BIGINT"
		if d.dialect.name == DialectMySQL {
			// MODIFY restates the whole column; keep it nullable so rows
			// holding NULL survive.
			def := "NULL"
			if c.kind == kindCount {
				def = "0"
			}
			stmt = "ALTER TABLE jobs MODIFY COLUMN " + d.dialect.q(c.name) + " BIGINT NULL DEFAULT " + def
		}
		if _, err := d.db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("migrate table %q: widen column %q: %w", "jobs", c.name, err)
		}
		d.logger.Info("snapshot column widened", "table", "jobs", "column", c.name, "type", "BIGINT")
	}
	return nil
}

// narrowIntegers lists, from information_schema, the jobs columns of an
// integer type narrower than BIGINT (MySQL and PostgreSQL only).
func (d *DB) narrowIntegers(ctx context.Context) (map[string]bool, error) {
	schema := "DATABASE()"
	if d.dialect.name == DialectPostgres {
		schema = "current_schema()"
	}
	rows, err := d.db.QueryContext(ctx, "SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = "+
		schema+" AND TABLE_NAME = "+d.dialect.ph(1), "jobs")
	if err != nil {
		return nil, fmt.Errorf("read column types of %q: %w", "jobs", err)
	}
	defer rows.Close()
	narrow := map[string]bool{}
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return nil, fmt.Errorf("read column types of %q: %w", "jobs", err)
		}
		switch strings.ToLower(typ) {
		case "tinyint", "smallint", "mediumint", "int", "integer":
			narrow[strings.ToLower(name)] = true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read column types of %q: %w", "jobs", err)
	}
	return narrow, nil
}

// mysqlCollation picks the first collation of mysqlCollations the server has.
func (d *DB) mysqlCollation(ctx context.Context) (string, error) {
	for _, c := range mysqlCollations {
		var n int
		err := d.db.QueryRowContext(ctx,
			"SELECT COUNT(*) FROM information_schema.COLLATIONS WHERE COLLATION_NAME = ?", c).Scan(&n)
		if err != nil {
			return "", fmt.Errorf("list collations: %w", err)
		}
		if n > 0 {
			if c == "utf8mb4_bin" {
				d.logger.Warn("no binary NO PAD collation: keys differing only in trailing spaces collide",
					"collation", c)
			}
			return c, nil
		}
	}
	return "", errors.New("server has no utf8mb4 binary collation")
}

// mysqlConvert converts a table created elsewhere (latin1, utf8mb3, a
// case-insensitive collation) to utf8mb4 with the chosen binary collation,
// so any UTF-8 value fits and distinct keys stay distinct.
func (d *DB) mysqlConvert(ctx context.Context, collation string) error {
	rows, err := d.db.QueryContext(ctx, `SELECT COLUMN_NAME, COALESCE(COLLATION_NAME, '')
		FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?
		AND DATA_TYPE IN ('varchar', 'text', 'char', 'mediumtext', 'longtext', 'tinytext')`, "jobs")
	if err != nil {
		return fmt.Errorf("read collations of %q: %w", "jobs", err)
	}
	defer rows.Close()
	var wrong []string
	for rows.Next() {
		var name, coll string
		if err := rows.Scan(&name, &coll); err != nil {
			return fmt.Errorf("read collations of %q: %w", "jobs", err)
		}
		if coll != collation {
			wrong = append(wrong, name+"="+coll)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read collations of %q: %w", "jobs", err)
	}
	if len(wrong) == 0 {
		return nil
	}
	stmt := "ALTER TABLE jobs CONVERT TO CHARACTER SET utf8mb4 COLLATE " + collation
	if _, err := d.db.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("convert table %q to %s: %w", "jobs", collation, err)
	}
	d.logger.Info("snapshot table converted", "table", "jobs", "collation", collation,
		"columns", strings.Join(wrong, ","))
	return nil
}
