package sqlsnap

import (
	"strconv"
	"strings"
	"time"
)

// dialect holds what differs between the engines: SQL types, identifier
// quoting, placeholders and the upsert clause. Every SQL string is built
// from these and from the fixed column list, never from values.
type dialect struct {
	name  string
	quote byte
	types map[kind]string
}

var dialects = map[string]*dialect{
	DialectSQLite: {name: DialectSQLite, quote: '"', types: map[kind]string{
		kindKey: "TEXT NOT NULL", kindText: "TEXT", kindFloat: "REAL",
		kindCount: "INTEGER NOT NULL DEFAULT 0", kindInt: "INTEGER", kindTime: "DATETIME",
	}},
	DialectMySQL: {name: DialectMySQL, quote: '`', types: map[kind]string{
		kindKey: "VARCHAR(255) NOT NULL", kindText: "TEXT", kindFloat: "DOUBLE",
		kindCount: "BIGINT NOT NULL DEFAULT 0", kindInt: "BIGINT", kindTime: "DATETIME(6)",
	}},
	DialectPostgres: {name: DialectPostgres, quote: '"', types: map[kind]string{
		kindKey: "VARCHAR(255) NOT NULL", kindText: "TEXT", kindFloat: "DOUBLE PRECISION",
		kindCount: "BIGINT NOT NULL DEFAULT 0", kindInt: "BIGINT", kindTime: "TIMESTAMPTZ",
	}},
}

// mysqlCollations are tried in order for the MySQL table: binary, so keys
// compare byte for byte as in SQLite and PostgreSQL, and NO PAD, so "a" and
// "a " are different queues. utf8mb4_bin (PAD SPACE) is the last resort.
var mysqlCollations = []string{"utf8mb4_0900_bin", "utf8mb4_nopad_bin", "utf8mb4_bin"}

// timeFormat is how SQLite and MySQL receive timestamps: UTC, fixed width,
// so SQLite's text comparison is chronological and MySQL's DATETIME does no
// time-zone conversion.
const timeFormat = "2006-01-02 15:04:05.000000"

func (d *dialect) q(name string) string {
	return string(d.quote) + name + string(d.quote)
}

// ph returns the placeholder for the n-th (1-based) parameter.
func (d *dialect) ph(n int) string {
	if d.name == DialectPostgres {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}

// timeArg converts t (already UTC, microseconds) to a driver argument.
func (d *dialect) timeArg(t time.Time) any {
	if d.name == DialectPostgres {
		return t
	}
	return t.Format(timeFormat)
}

// createTable is the CREATE TABLE statement for the jobs table.
func (d *dialect) createTable(collation string) string {
	var b strings.Builder
	b.WriteString("CREATE TABLE IF NOT EXISTS jobs (")
	for _, c := range columns {
		b.WriteString(d.q(c.name) + " " + d.types[c.kind] + ", ")
	}
	b.WriteString("PRIMARY KEY (" + d.keyList() + "))")
	if d.name == DialectMySQL {
		b.WriteString(" ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=" + collation)
	}
	return b.String()
}

func (d *dialect) keyList() string {
	return d.list(columns[:colAttrs])
}

func (d *dialect) list(cols []column) string {
	names := columnNames(cols)
	for i, n := range names {
		names[i] = d.q(n)
	}
	return strings.Join(names, ", ")
}

// upsert is a multi-row INSERT of n rows that updates every non-key column
// of an existing row.
func (d *dialect) upsert(n int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO jobs (" + d.list(columns) + ") VALUES ")
	p := 1
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for j := range columns {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(d.ph(p))
			p++
		}
		b.WriteByte(')')
	}
	if d.name == DialectMySQL {
		// VALUES(col) is deprecated in MySQL 8.0.20 but is the only form
		// MariaDB accepts; both run it.
		b.WriteString(" ON DUPLICATE KEY UPDATE ")
		for i, c := range columns[colAttrs:] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(d.q(c.name) + " = VALUES(" + d.q(c.name) + ")")
		}
		return b.String()
	}
	b.WriteString(" ON CONFLICT (" + d.keyList() + ") DO UPDATE SET ")
	for i, c := range columns[colAttrs:] {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(d.q(c.name) + " = excluded." + d.q(c.name))
	}
	return b.String()
}

func (d *dialect) deleteStale() string {
	return "DELETE FROM jobs WHERE " + d.q("last_seen_at") + " < " + d.ph(1)
}

func (d *dialect) selectAll() string {
	return "SELECT " + d.list(columns) + " FROM jobs"
}
