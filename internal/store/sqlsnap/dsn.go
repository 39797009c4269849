package sqlsnap

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/go-sql-driver/mysql"
)

// Dialect names returned by DB.Dialect.
const (
	DialectSQLite   = "sqlite"
	DialectMySQL    = "mysql"
	DialectPostgres = "postgres"
)

// acceptedDSNs is named in the error for an unknown scheme.
const acceptedDSNs = `"" (SQLite file <data dir>/snapshot.db), "sqlite://<path>", "file:<path>", ` +
	`"mysql://user:pass@tcp(host:port)/db", "mysql://user:pass@host:port/db", ` +
	`"postgres://...", "postgresql://..."`

// sqlitePragmas are added to every SQLite DSN unless it sets them itself:
// WAL so readers never block the writer, a busy timeout so a second process
// waits instead of failing, and IMMEDIATE transactions so a writer takes the
// write lock up front instead of failing to upgrade a read lock.
var sqlitePragmas = []struct{ key, name, value string }{
	{"_pragma", "busy_timeout", "busy_timeout(10000)"},
	{"_pragma", "journal_mode", "journal_mode(WAL)"},
	{"_pragma", "synchronous", "synchronous(NORMAL)"},
	{"_txlock", "", "immediate"},
}

// target is a parsed DSN: which driver to use, what to hand it, and a
// password-free form for logs and errors.
type target struct {
	dialect  string
	driver   string
	dsn      string
	redacted string
	secret   string // the password, removed from every error text
}

// parseDSN maps the user's DSN to a driver and a driver DSN.
func parseDSN(dsn, dataDir string) (target, error) {
	switch {
	case dsn == "":
		if dataDir == "" {
			return target{}, errors.New("no DSN and no data directory for the default SQLite file")
		}
		return sqliteTarget(fileURI(filepath.Join(dataDir, "snapshot.db"))), nil
	case strings.HasPrefix(dsn, "sqlite://"):
		path, query, _ := strings.Cut(strings.TrimPrefix(dsn, "sqlite://"), "?")
		if path == "" {
			return target{}, errors.New(`empty path in "sqlite://" DSN`)
		}
		u := fileURI(path)
		if query != "" {
			u += "?" + query
		}
		return sqliteTarget(u), nil
	case strings.HasPrefix(dsn, "file:"):
		return sqliteTarget(dsn), nil
	case strings.HasPrefix(dsn, "mysql://"):
		return mysqlTarget(strings.TrimPrefix(dsn, "mysql://"))
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return postgresTarget(dsn)
	}
	scheme, _, ok := strings.Cut(dsn, "://")
	if !ok || strings.ContainsAny(scheme, "@/:()") {
		return target{}, fmt.Errorf("DSN has no scheme (a go-sql-driver DSN needs the %q prefix); accepted: %s",
			"mysql://", acceptedDSNs)
	}
	return target{}, fmt.Errorf("unknown DSN scheme %q; accepted: %s", scheme, acceptedDSNs)
}

// fileURI turns a file path into a SQLite URI, escaping '?', '#' and '%'.
func fileURI(path string) string {
	return "file:" + (&url.URL{Path: path}).EscapedPath()
}

func sqliteTarget(uri string) target {
	base, query, _ := strings.Cut(uri, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		q = url.Values{}
	}
	var add []string
	for _, p := range sqlitePragmas {
		if !hasParam(q, p.key, p.name) {
			add = append(add, p.key+"="+url.QueryEscape(p.value))
		}
	}
	if query != "" {
		add = append([]string{query}, add...)
	}
	full := base
	if len(add) > 0 {
		full += "?" + strings.Join(add, "&")
	}
	return target{dialect: DialectSQLite, driver: "sqlite", dsn: full, redacted: uri}
}

// hasParam reports whether q sets key (for _pragma: the named pragma).
func hasParam(q url.Values, key, name string) bool {
	if name == "" {
		return q.Has(key)
	}
	for _, v := range q[key] {
		if strings.HasPrefix(strings.ToLower(strings.TrimSpace(v)), name) {
			return true
		}
	}
	return false
}

// mysqlTarget accepts the go-sql-driver form (user:pass@tcp(host:port)/db?...)
// and the URL form (user:pass@host:port/db?...).
func mysqlTarget(rest string) (target, error) {
	cfg, err := parseMySQL(rest)
	if err != nil {
		return target{}, err
	}
	secret := cfg.Passwd
	out := target{dialect: DialectMySQL, driver: "mysql", dsn: cfg.FormatDSN(), secret: secret}
	shown := cfg.Clone()
	if shown.Passwd != "" {
		shown.Passwd = "xxxxx"
	}
	out.redacted = "mysql://" + shown.FormatDSN()
	return out, nil
}

func parseMySQL(rest string) (*mysql.Config, error) {
	at := strings.LastIndex(rest, "@")
	hostPart := rest[at+1:]
	if slash := strings.Index(hostPart, "/"); slash >= 0 {
		hostPart = hostPart[:slash]
	}
	if hostPart == "" || strings.Contains(hostPart, "(") {
		cfg, err := mysql.ParseDSN(rest)
		if err != nil {
			return nil, fmt.Errorf("parse mysql DSN: %w", err)
		}
		return cfg, nil
	}
	u, err := url.Parse("mysql://" + rest)
	if err != nil {
		return nil, errors.New("parse mysql DSN: not a go-sql-driver DSN nor a URL")
	}
	cfg := mysql.NewConfig()
	cfg.User = u.User.Username()
	cfg.Passwd, _ = u.User.Password()
	cfg.Net = "tcp"
	cfg.Addr = u.Host
	cfg.DBName = strings.TrimPrefix(u.Path, "/")
	if u.RawQuery != "" {
		// Let the driver interpret the options exactly as in its own form.
		withOpts, err := mysql.ParseDSN("/?" + u.RawQuery)
		if err != nil {
			return nil, fmt.Errorf("parse mysql DSN options: %w", err)
		}
		withOpts.User, withOpts.Passwd = cfg.User, cfg.Passwd
		withOpts.Net, withOpts.Addr, withOpts.DBName = cfg.Net, cfg.Addr, cfg.DBName
		cfg = withOpts
	}
	return cfg, nil
}

func postgresTarget(dsn string) (target, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		// url.Error quotes the input; do not let the password through.
		return target{}, errors.New("parse postgres DSN: not a valid URL")
	}
	out := target{dialect: DialectPostgres, driver: "pgx", dsn: dsn}
	if pw, ok := u.User.Password(); ok {
		out.secret = pw
	}
	q := u.Query()
	if pw := q.Get("password"); pw != "" {
		out.secret = pw
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	out.redacted = u.Redacted()
	return out, nil
}

// redactedError hides the DSN password in an error's text while keeping the
// chain for errors.Is and errors.As.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redact removes t's password from err's text.
func (t target) redact(err error) error {
	if err == nil || t.secret == "" {
		return err
	}
	msg := err.Error()
	clean := strings.ReplaceAll(msg, t.secret, "xxxxx")
	if esc := url.QueryEscape(t.secret); esc != t.secret {
		clean = strings.ReplaceAll(clean, esc, "xxxxx")
	}
	if clean == msg {
		return err
	}
	return &redactedError{msg: clean, err: err}
}
