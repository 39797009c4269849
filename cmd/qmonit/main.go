// Command qmonit is low-latency monitoring of PanDA queues: it polls PanDA
// for job counts, enriches them with CRIC metadata, stores and serves them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/qmonit/qmonit/internal/app"
	"github.com/qmonit/qmonit/internal/config"
)

const usage = `qmonit: low-latency monitoring of PanDA queues

Usage:
  qmonit serve [--config F] [--listen ADDR]
  qmonit demo [--listen ADDR] [--data-dir DIR] [--days N]
  qmonit collect --once [--config F] [--at RFC3339] [--output json|lp]
  qmonit sim [--listen 127.0.0.1:PORT] [--seed N] [--queues N]
  qmonit sim --incidents --from RFC3339 --to RFC3339 [--seed N] [--queues N]
  qmonit backtest --from RFC3339 --to RFC3339 [--config F] [--output json|text]
  qmonit check-config [--config F]
  qmonit version

Without --config, qmonit runs on the defaults plus QMONIT_* environment
variables (QMONIT_ + the key path upper-cased, joined by _).

backtest replays the history stored under data_dir (qmonit must not be
running) through the detector and prints the incidents that open between
--from and --to: json is a list like sim --incidents prints (start, end,
kind, queues, evidence), with the counts per day and per cloud on stderr;
text is a table followed by the counts.
`

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// errUsage marks command-line mistakes (exit status 2).
var errUsage = errors.New("usage")

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch args[0] {
	case "serve":
		err = runServe(ctx, args[1:], stderr)
	case "demo":
		err = runDemo(ctx, args[1:], stdout, stderr)
	case "collect":
		err = runCollect(ctx, args[1:], stdout, stderr)
	case "sim":
		err = runSim(ctx, args[1:], stdout, stderr)
	case "backtest":
		err = runBacktest(ctx, args[1:], stdout, stderr)
	case "check-config":
		err = runCheckConfig(args[1:], stdout, stderr)
	case "version", "--version":
		fmt.Fprintf(stdout, "qmonit %s\n", app.Version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		err = fmt.Errorf("%w: unknown command %q", errUsage, args[0])
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage) || errors.Is(err, flag.ErrHelp):
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, "qmonit: %v\n\n%s", err, usage)
		}
		return 2
	default:
		fmt.Fprintf(stderr, "qmonit: %s\n", oneLine(err.Error()))
		return 1
	}
}

// oneLine joins a multi-line error (errors.Join) with "; ".
func oneLine(s string) string { return strings.ReplaceAll(strings.TrimSpace(s), "\n", "; ") }

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %s", errUsage, err.Error())
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	return nil
}

func loadConfig(path string) (*config.Config, error) {
	cfg, err := config.Load(path, os.LookupEnv)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return cfg, nil
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

func runCollect(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("collect", stderr)
	once := fs.Bool("once", false, "run one cycle and exit (required)")
	cfgPath := fs.String("config", "", "configuration file (YAML)")
	at := fs.String("at", "", "cycle time, RFC 3339 (default now)")
	output := fs.String("output", "json", "output format: json or lp (InfluxDB line protocol)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if !*once {
		return fmt.Errorf("%w: collect needs --once (the daemon is `qmonit serve`)", errUsage)
	}
	var atTime time.Time
	if *at != "" {
		var err error
		if atTime, err = time.Parse(time.RFC3339, *at); err != nil {
			return fmt.Errorf("%w: --at: %w", errUsage, err)
		}
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	logger := newLogger(stderr, cfg.LogLevel)
	for _, name := range config.UnknownEnv(os.Environ()) {
		logger.Warn("unknown QMONIT_ environment variable ignored", "name", name)
	}
	return app.Collect(ctx, app.CollectOptions{Config: cfg, At: atTime, Output: *output, Stdout: stdout, Logger: logger})
}

func runSim(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("sim", stderr)
	listen := fs.String("listen", "127.0.0.1:8765", "address to serve the simulated grid on (loopback)")
	seed := fs.Int64("seed", 1, "seed of the synthetic grid")
	queues := fs.Int("queues", 1000, "number of PanDA queues")
	incidents := fs.Bool("incidents", false, "print the scripted incidents between --from and --to as JSON, and exit")
	from := fs.String("from", "", "with --incidents: start, RFC 3339")
	to := fs.String("to", "", "with --incidents: end, RFC 3339")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *queues < 1 || *queues > 100000 {
		return fmt.Errorf("%w: --queues must be 1..100000", errUsage)
	}
	if *incidents {
		f, errF := time.Parse(time.RFC3339, *from)
		t, errT := time.Parse(time.RFC3339, *to)
		if errF != nil || errT != nil || !t.After(f) {
			return fmt.Errorf("%w: --incidents needs --from and --to in RFC 3339, from before to", errUsage)
		}
		return app.SimIncidents(stdout, *seed, *queues, f, t)
	}
	return app.Sim(ctx, app.SimOptions{Listen: *listen, Seed: *seed, Queues: *queues, Stdout: stdout, Logger: newLogger(stderr, "info")})
}

func runBacktest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("backtest", stderr)
	from := fs.String("from", "", "start of the range, RFC 3339 (required)")
	to := fs.String("to", "", "end of the range, RFC 3339 (required)")
	cfgPath := fs.String("config", "", "configuration file (YAML); its data_dir holds the store")
	output := fs.String("output", "json", "output format: json or text")
	if err := parse(fs, args); err != nil {
		return err
	}
	f, err := time.Parse(time.RFC3339, *from)
	if err != nil {
		return fmt.Errorf("%w: --from: want RFC 3339 (e.g. 2026-11-10T00:00:00Z), got %q", errUsage, *from)
	}
	t, err := time.Parse(time.RFC3339, *to)
	if err != nil {
		return fmt.Errorf("%w: --to: want RFC 3339 (e.g. 2026-11-11T00:00:00Z), got %q", errUsage, *to)
	}
	if !t.After(f) || t.Sub(f) > app.MaxBacktestRange {
		return fmt.Errorf("%w: --to %s: want after --from %s, at most %d days later", errUsage, *to, *from,
			app.MaxBacktestRange/(24*time.Hour))
	}
	if *output != "json" && *output != "text" {
		return fmt.Errorf("%w: --output %q: want json or text", errUsage, *output)
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	logger := newLogger(stderr, cfg.LogLevel)
	return app.Backtest(ctx, app.BacktestOptions{Config: cfg, From: f, To: t, Output: *output,
		Stdout: stdout, Stderr: stderr, Logger: logger})
}

func runCheckConfig(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("check-config", stderr)
	cfgPath := fs.String("config", "", "configuration file (YAML)")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	out, err := cfg.Redacted()
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if _, err := stdout.Write(out); err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	for _, name := range config.UnknownEnv(os.Environ()) {
		fmt.Fprintf(stderr, "warning: unknown environment variable %s ignored\n", name)
	}
	return nil
}

// defaultMemoryLimit is the daemon's steady-state soft memory limit unless
// GOMEMLIMIT is set: the live heap at the default grid is ~400 MB, and the
// limit keeps resident memory under 1 GiB.
const defaultMemoryLimit = 900 << 20

// memoryLimit is the steady-state soft memory limit: none when GOMEMLIMIT
// is set (the runtime honours it), else defaultMemoryLimit.
func memoryLimit() int64 {
	if os.Getenv("GOMEMLIMIT") != "" {
		return 0
	}
	return defaultMemoryLimit
}

func runServe(ctx context.Context, args []string, stderr io.Writer) error {
	fs := newFlags("serve", stderr)
	cfgPath := fs.String("config", "", "configuration file (YAML)")
	listen := fs.String("listen", "", "HTTP listen address (overrides listen / QMONIT_LISTEN)")
	if err := parse(fs, args); err != nil {
		return err
	}
	load := func() (*config.Config, error) {
		cfg, err := loadConfig(*cfgPath)
		if err == nil && *listen != "" {
			cfg.Listen = *listen
		}
		return cfg, err
	}
	cfg, err := load()
	if err != nil {
		return err
	}
	logger := newLogger(stderr, cfg.LogLevel)
	for _, name := range config.UnknownEnv(os.Environ()) {
		logger.Warn("unknown QMONIT_ environment variable ignored", "name", name)
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	reload := make(chan struct{}, 1)
	go func() {
		for range hup {
			select {
			case reload <- struct{}{}:
			default:
			}
		}
	}()
	return app.Serve(ctx, app.ServeOptions{Config: cfg, Logger: logger, Reload: reload, LoadConfig: load, MemoryLimit: memoryLimit()})
}

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", stderr)
	listen := fs.String("listen", "127.0.0.1:8080", "HTTP listen address")
	dataDir := fs.String("data-dir", "", "data directory (default: a temporary one, removed at exit)")
	days := fs.Int("days", 7, "days of simulated history to backfill")
	queues := fs.Int("queues", 1000, "number of simulated PanDA queues")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *days < 0 || *days > 60 {
		return fmt.Errorf("%w: --days must be 0..60", errUsage)
	}
	logger := newLogger(stderr, "info")
	return app.Demo(ctx, app.DemoOptions{
		Listen: *listen, DataDir: *dataDir, Days: *days, Queues: *queues, Seed: 1, Stderr: stderr, Logger: logger,
		MemoryLimit: memoryLimit(),
		Ready:       func(url string) { fmt.Fprintf(stdout, "qmonit demo is ready: %s\n", url) },
	})
}
