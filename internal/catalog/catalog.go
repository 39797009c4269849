// Package catalog owns the queue metadata joined from CRIC, WLCG CRIC and
// MONIT: it refreshes each dump on its own cadence, keeps the last good copy
// of each in memory and on disk (written atomically), falls back to that copy
// with a warning naming its age when a refresh fails (also after a restart),
// and serves an enrich.Index built from what it holds.
package catalog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/qmonit/qmonit/internal/enrich"
	"github.com/qmonit/qmonit/internal/source/datadisk"
)

// Dump names. They are also the source names in metrics and the cache file
// names.
const (
	PandaQueue  = "cric_pandaqueue"
	Site        = "cric_site"
	DDMEndpoint = "cric_ddmendpoint"
	Federation  = "wlcg_federation"
	Datadisk    = "datadisk"
)

// ErrNoQueues means there is no pandaqueue metadata at all, neither fresh
// nor cached: enrichment cannot run.
var ErrNoQueues = errors.New("no pandaqueue metadata, fresh or cached")

// FetchFunc fetches one dump's raw answer. now is the cycle time (the
// datadisk query depends on it).
type FetchFunc func(ctx context.Context, now time.Time) ([]byte, error)

// RunFunc runs one fetch under the source health wrapper (source.Tracker.Run).
type RunFunc func(ctx context.Context, name string, fn func(context.Context) error) error

// Spec says where a dump comes from and how often it is refreshed. A nil
// Fetch disables the dump.
type Spec struct {
	Fetch FetchFunc
	Every time.Duration
}

// Options configures a Catalog.
type Options struct {
	Dir   string // cache directory; "" keeps nothing on disk
	VO    string // federations are kept only when their vos contain it
	Dumps map[string]Spec
	Run   RunFunc // nil runs fetches directly
}

// Catalog is safe for concurrent use: Refresh runs from the cycle, readers
// (enrichment, web) call Index and Datadisks at any time.
type Catalog struct {
	opts   Options
	logger *slog.Logger

	mu     sync.RWMutex
	dumps  map[string]*held
	index  *enrich.Index
	disks  map[string]datadisk.Usage
	failed map[string]bool // last refresh of the dump failed
}

// held is the last good copy of one dump.
type held struct {
	value   any       // decoded value
	fetched time.Time // when the upstream answered
}

// New returns an empty catalog. Call Load to pick up cached copies.
func New(opts Options, logger *slog.Logger) *Catalog {
	if opts.Run == nil {
		opts.Run = func(ctx context.Context, _ string, fn func(context.Context) error) error { return fn(ctx) }
	}
	return &Catalog{opts: opts, logger: logger, dumps: map[string]*held{}, failed: map[string]bool{}}
}

// Refresh fetches every enabled dump that is due (never fetched, last
// success older than its cadence, or last attempt failed), concurrently,
// and rebuilds the index when anything changed. A failing dump keeps its
// last good copy. It returns ErrNoQueues when no pandaqueue metadata is held
// afterwards; other failures are logged, not returned.
func (c *Catalog) Refresh(ctx context.Context, now time.Time) error {
	var wg sync.WaitGroup
	results := make(chan refreshed, len(c.opts.Dumps))
	for name, spec := range c.opts.Dumps {
		if spec.Fetch == nil || !c.due(name, spec, now) {
			continue
		}
		wg.Go(func() { results <- c.refreshOne(ctx, name, spec, now) })
	}
	wg.Wait()
	close(results)
	changed := false
	c.mu.Lock()
	for r := range results {
		if r.err != nil {
			c.failed[r.name] = true
			c.warnStale(r.name, r.err, now)
			continue
		}
		c.failed[r.name] = false
		c.dumps[r.name] = &held{value: r.value, fetched: now}
		changed = true
	}
	if changed || c.index == nil {
		c.rebuild()
	}
	c.mu.Unlock()
	if _, ok := c.Held(PandaQueue); !ok {
		return ErrNoQueues
	}
	return nil
}

type refreshed struct {
	name  string
	value any
	err   error
}

func (c *Catalog) due(name string, spec Spec, now time.Time) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	h := c.dumps[name]
	return h == nil || c.failed[name] || now.Sub(h.fetched) >= spec.Every
}

func (c *Catalog) refreshOne(ctx context.Context, name string, spec Spec, now time.Time) refreshed {
	var (
		body  []byte
		value any
	)
	err := c.opts.Run(ctx, name, func(ctx context.Context) error {
		var err error
		if body, err = spec.Fetch(ctx, now); err != nil {
			return err
		}
		value, err = c.decode(name, body)
		return err
	})
	if err != nil {
		return refreshed{name: name, err: err}
	}
	if c.opts.Dir != "" {
		if err := writeCache(c.opts.Dir, name, body, now); err != nil {
			// The fresh copy is still used; only the restart fallback is older.
			c.logger.Warn("catalog cache not written", "dump", name, "err", err)
		}
	}
	return refreshed{name: name, value: value}
}

// warnStale logs a failed refresh and the age of the copy still in use.
// Called with c.mu held.
func (c *Catalog) warnStale(name string, err error, now time.Time) {
	h := c.dumps[name]
	if h == nil {
		c.logger.Warn("catalog refresh failed, no copy held", "dump", name, "err", err)
		return
	}
	c.logger.Warn("catalog refresh failed, using last good copy", "dump", name, "err", err,
		"age", now.Sub(h.fetched).Round(time.Second).String(), "fetched_at", h.fetched.UTC().Format(time.RFC3339))
}

// Index returns the join index of what the catalog holds (never nil).
func (c *Catalog) Index() *enrich.Index {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.index == nil {
		return enrich.NewIndex(enrich.Catalog{})
	}
	return c.index
}

// Datadisks returns RSE occupancy from the last good datadisk dump; the map
// is shared and must not be modified.
func (c *Catalog) Datadisks() map[string]datadisk.Usage {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.disks
}

// Held reports when the copy of dump name was fetched, if one is held.
func (c *Catalog) Held(name string) (time.Time, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	h := c.dumps[name]
	if h == nil {
		return time.Time{}, false
	}
	return h.fetched, true
}

// Ages returns the age at now of every held dump.
func (c *Catalog) Ages(now time.Time) map[string]time.Duration {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make(map[string]time.Duration, len(c.dumps))
	for name, h := range c.dumps {
		out[name] = now.Sub(h.fetched)
	}
	return out
}

// String describes the catalog for logs.
func (c *Catalog) String() string {
	return fmt.Sprintf("catalog(%d queues)", c.Index().Len())
}
