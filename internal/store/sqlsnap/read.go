package sqlsnap

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"
)

// Rows reads the whole table, sorted by (panda_queue, prod_source,
// resource) in byte order, whatever the engine's collation. Jobs holds
// every state of States (0 for NULL); Avg holds only the non-NULL averages
// and is nil when there are none. The caller owns the result.
func (d *DB) Rows(ctx context.Context) ([]Row, error) {
	// A prepared statement makes MySQL answer in its binary protocol, which
	// carries doubles exactly; the text protocol may round them.
	stmt, err := d.db.PrepareContext(ctx, d.dialect.selectAll())
	if err != nil {
		return nil, fmt.Errorf("read snapshot: prepare: %w", err)
	}
	defer stmt.Close()
	rows, err := stmt.QueryContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("read snapshot: %w", err)
	}
	defer rows.Close()
	var out []Row
	sc := newScanner(d.dialect.name)
	for rows.Next() {
		if err := rows.Scan(sc.dest...); err != nil {
			return nil, fmt.Errorf("read snapshot: row %d: %w", len(out), err)
		}
		out = append(out, sc.row())
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read snapshot: %w", err)
	}
	slices.SortFunc(out, func(a, b Row) int {
		return cmp.Or(cmp.Compare(a.Queue, b.Queue), cmp.Compare(a.ProdSource, b.ProdSource),
			cmp.Compare(a.Resource, b.Resource))
	})
	return out, nil
}

// scanner holds one row's scan destinations, in column order. Every column
// is scanned as nullable: a migrated table may hold NULL anywhere.
type scanner struct {
	text      [colNumeric]sql.NullString // keys, then attributes
	numeric   [3]sql.NullFloat64
	jobs      [len(states)]sql.NullInt64
	avg       [colCov - colAvg]sql.NullFloat64
	cov       sql.NullFloat64
	diskName  sql.NullString
	diskGB    sql.NullFloat64
	diskFiles sql.NullInt64
	times     [2]timeValue
	dest      []any
}

func newScanner(dialect string) *scanner {
	s := &scanner{}
	s.dest = make([]any, 0, numColumns)
	for i := range s.text {
		s.dest = append(s.dest, &s.text[i])
	}
	for i := range s.numeric {
		s.dest = append(s.dest, &s.numeric[i])
	}
	for i := range s.jobs {
		s.dest = append(s.dest, &s.jobs[i])
	}
	for i := range s.avg {
		s.dest = append(s.dest, &s.avg[i])
	}
	s.dest = append(s.dest, &s.cov, &s.diskName, &s.diskGB, &s.diskFiles)
	for i := range s.times {
		s.times[i].wallClock = dialect == DialectMySQL
		s.dest = append(s.dest, &s.times[i])
	}
	return s
}

// row builds a Row from the values last scanned.
func (s *scanner) row() Row {
	r := Row{
		Queue:          s.text[0].String,
		ProdSource:     s.text[1].String,
		Resource:       s.text[2].String,
		ResourceFactor: s.numeric[0].Float64,
		Corepower:      s.numeric[1].Float64,
		Pledge:         s.numeric[2].Float64,
		Jobs:           make(map[string]int64, len(states)),
		Coverage24h:    floatPtr(s.cov),
		DatadiskGB:     floatPtr(s.diskGB),
		UpdatedAt:      s.times[0].t,
		LastSeenAt:     s.times[1].t,
	}
	for i := range r.Attrs {
		r.Attrs[i] = s.text[colAttrs+i].String
	}
	for i, st := range states {
		r.Jobs[st] = s.jobs[i].Int64
	}
	for i, k := range avgKeys {
		if v := floatPtr(s.avg[i]); v != nil {
			if r.Avg == nil {
				r.Avg = map[string]*float64{}
			}
			r.Avg[k] = v
		}
	}
	if s.diskName.Valid {
		name := s.diskName.String // copy: the scanner is reused
		r.DatadiskName = &name
	}
	if s.diskFiles.Valid {
		files := s.diskFiles.Int64
		r.DatadiskFiles = &files
	}
	return r
}

func floatPtr(v sql.NullFloat64) *float64 {
	if !v.Valid {
		return nil
	}
	return &v.Float64
}

// timeValue scans a timestamp column of any engine into UTC. MySQL DATETIME
// holds UTC wall-clock time and the driver may attach its own location, so
// with wallClock the fields are read as UTC; SQLite's text may arrive as a
// string or, parsed by the driver, as a time.
type timeValue struct {
	t         time.Time
	wallClock bool
}

// timeLayouts parse timestamps that arrive as text.
var timeLayouts = []string{
	"2006-01-02 15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00",
	time.RFC3339Nano, "2006-01-02T15:04:05.999999999",
}

// Scan implements sql.Scanner.
func (v *timeValue) Scan(src any) error {
	v.t = time.Time{}
	var s string
	switch x := src.(type) {
	case nil:
		return nil
	case time.Time:
		if v.wallClock {
			x = time.Date(x.Year(), x.Month(), x.Day(), x.Hour(), x.Minute(), x.Second(), x.Nanosecond(), time.UTC)
		}
		v.t = x.UTC()
		return nil
	case string:
		s = x
	case []byte:
		s = string(x)
	default:
		return fmt.Errorf("timestamp: unsupported type %T", src)
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			v.t = t.UTC()
			return nil
		}
	}
	return fmt.Errorf("timestamp: cannot parse %q", s)
}
