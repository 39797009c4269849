package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/qmonit/qmonit/internal/sim"
)

// SimOptions configures `qmonit sim`.
type SimOptions struct {
	Listen string
	Seed   int64
	Queues int
	Stdout io.Writer
	Logger *slog.Logger
	// Ready, when set, receives the base URL once the server listens.
	Ready func(baseURL string)
}

// Sim serves the simulated grid until ctx is done. On start it prints one
// QMONIT_SOURCES_...=URL line per source to o.Stdout, so its output can be
// sourced by a shell or kept as an env file.
func Sim(ctx context.Context, o SimOptions) error {
	host, _, err := net.SplitHostPort(o.Listen)
	if err != nil {
		return fmt.Errorf("--listen %q: %w", o.Listen, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		o.Logger.Warn("the simulator listens on a non-loopback address", "listen", o.Listen)
	}
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return fmt.Errorf("listen %q: %w", o.Listen, err)
	}
	g := sim.New(sim.Options{Seed: o.Seed, Queues: o.Queues})
	base := "http://" + ln.Addr().String()
	for _, line := range g.Env(base) {
		if _, err := fmt.Fprintln(o.Stdout, line); err != nil {
			_ = ln.Close()
			return fmt.Errorf("write env: %w", err)
		}
	}
	srv := &http.Server{Handler: g.Handler(), ReadHeaderTimeout: 10 * time.Second}
	o.Logger.Info("simulated grid listening", "url", base, "queues", len(g.QueueNames()), "seed", o.Seed)
	if o.Ready != nil {
		o.Ready(base)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve simulator: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shut down simulator: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve simulator: %w", err)
	}
	return nil
}

// SimIncidents prints the simulator's scripted incidents between from and to
// as a JSON list.
func SimIncidents(w io.Writer, seed int64, queues int, from, to time.Time) error {
	g := sim.New(sim.Options{Seed: seed, Queues: queues})
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(g.Incidents(from, to)); err != nil {
		return fmt.Errorf("write incidents: %w", err)
	}
	return nil
}
