package tsdb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/oklog/ulid/v2"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb"
)

// commitEvery bounds the samples one block-writer appender buffers.
const commitEvery = 50_000

// blockSink writes samples into blocks, one per headRange-aligned time range,
// with tsdb.BlockWriter under a staging directory. Samples must come in time
// order at range granularity (a sample for a range already flushed is an
// error) and in time order per series. A range is flushed as soon as a sample
// of a later range arrives, so memory holds one range at a time; the flush of
// a range overlaps the filling of the next. Not safe for concurrent use.
type blockSink struct {
	ctx    context.Context
	logger *slog.Logger
	dir    string // staging directory
	rng    int64  // block range, ms

	w     *tsdb.BlockWriter
	app   storage.AppenderV2
	start int64  // start of w's range
	gen   uint64 // generation of w, for cached refs
	n     int    // samples in app since its last commit
	total int    // samples appended
	flush chan error
}

func newBlockSink(ctx context.Context, logger *slog.Logger, dir string) *blockSink {
	return &blockSink{ctx: ctx, logger: logger, dir: dir, rng: headRange.Milliseconds()}
}

// add appends (t, v) to e's series, flushing the previous range first when t
// starts a new one.
func (b *blockSink) add(e *seriesRef, t int64, v float64) error {
	start := alignDown(t, b.rng)
	switch {
	case b.w == nil:
		if err := b.open(start); err != nil {
			return err
		}
	case start > b.start:
		if err := b.rotate(start); err != nil {
			return err
		}
	case start < b.start:
		return fmt.Errorf("sample %s at %d: its block (from %d) was already written; input must be in time order",
			e.lset, t, start)
	}
	ref, err := b.app.Append(e.refFor(b.gen), e.lset, 0, t, v, nil, nil, storage.AOptions{})
	if err != nil {
		return fmt.Errorf("block writer: append %s at %d: %w", e.lset, t, err)
	}
	e.ref, e.gen = ref, b.gen
	b.n++
	b.total++
	if b.n >= commitEvery {
		return b.commit()
	}
	return nil
}

func (b *blockSink) commit() error {
	if b.app == nil || b.n == 0 {
		return nil
	}
	b.n = 0
	if err := b.app.Commit(); err != nil {
		return fmt.Errorf("block writer: commit: %w", err)
	}
	b.app = b.w.AppenderV2(b.ctx)
	return nil
}

func (b *blockSink) open(start int64) error {
	w, err := tsdb.NewBlockWriter(b.logger, b.dir, b.rng)
	if err != nil {
		return fmt.Errorf("block writer: %w", err)
	}
	b.w, b.start = w, start
	b.gen++
	b.app = w.AppenderV2(b.ctx)
	return nil
}

// rotate hands the current writer to a background flush (after waiting for
// the previous one) and opens a writer for the range at start.
func (b *blockSink) rotate(start int64) error {
	if err := b.commit(); err != nil {
		return err
	}
	if err := b.wait(); err != nil {
		return err
	}
	w := b.w
	b.flush = make(chan error, 1)
	go func(ch chan<- error) { ch <- b.flushWriter(w) }(b.flush)
	b.w = nil
	return b.open(start)
}

// wait returns the result of the background flush, if one is running.
func (b *blockSink) wait() error {
	if b.flush == nil {
		return nil
	}
	err := <-b.flush
	b.flush = nil
	return err
}

// finish flushes what is left and waits for every flush.
func (b *blockSink) finish() error {
	if b.w == nil {
		return b.wait()
	}
	err := b.commit()
	if err == nil {
		err = b.flushWriter(b.w)
	} else {
		err = errors.Join(err, b.w.Close())
	}
	b.w = nil
	return errors.Join(err, b.wait())
}

// abort releases the writers after a failure; staging is removed by the caller.
func (b *blockSink) abort() {
	if b.app != nil && b.n > 0 {
		_ = b.app.Rollback() // the block is discarded anyway
	}
	if b.w != nil {
		_ = b.w.Close() // only removes the writer's temporary chunk files
	}
	_ = b.wait() // the error was already reported by the caller's failure
}

// flushWriter writes w's block, marks it and closes w.
func (b *blockSink) flushWriter(w *tsdb.BlockWriter) error {
	id, err := w.Flush(b.ctx)
	if cerr := w.Close(); cerr != nil {
		err = errors.Join(err, fmt.Errorf("block writer: close: %w", cerr))
	}
	if err != nil {
		return fmt.Errorf("block writer: flush: %w", err)
	}
	if id == (ulid.ULID{}) {
		return nil
	}
	return markOutOfOrder(filepath.Join(b.dir, id.String()))
}

// markOutOfOrder adds the "from-out-of-order" compaction hint to a block's
// meta.json. tsdb.Open sets the head's minimum valid time to the end of the
// newest block without that hint and drops WAL samples before it: a backfilled
// or replacement block ending inside the head's range would lose head data on
// the next restart. Blocks written from the out-of-order head carry the same hint.
func markOutOfOrder(blockDir string) error {
	path := filepath.Join(blockDir, "meta.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("mark block: %w", err)
	}
	var meta tsdb.BlockMeta
	if err := json.Unmarshal(raw, &meta); err != nil {
		return fmt.Errorf("mark block: decode %q: %w", path, err)
	}
	meta.Compaction.SetOutOfOrder()
	out, err := json.MarshalIndent(&meta, "", "\t")
	if err != nil {
		return fmt.Errorf("mark block: encode %q: %w", path, err)
	}
	return writeFileAtomic(path, out)
}

// writeFileAtomic writes data to a temporary file, syncs it and renames it.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
		return errors.Join(fmt.Errorf("write %q: %w", tmp, err), os.Remove(tmp))
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("rename %q: %w", tmp, err)
	}
	return nil
}

// alignDown returns the start of the rng-wide range holding t.
func alignDown(t, rng int64) int64 {
	m := t % rng
	if m < 0 {
		m += rng
	}
	return t - m
}

// stage creates a staging directory inside the store's directory (same file
// system, so blocks move in with a rename; tsdb ignores it, Open removes
// leftovers).
func (s *Store) stage() (string, error) {
	dir, err := os.MkdirTemp(s.dir, stagingPrefix)
	if err != nil {
		return "", fmt.Errorf("tsdb %q: create staging directory: %w", s.dir, err)
	}
	return dir, nil
}

// install moves the blocks in staging into the store and loads them. The
// caller holds s.mu.
func (s *Store) install(ctx context.Context, staging string) (int, error) {
	entries, err := os.ReadDir(staging)
	if err != nil {
		return 0, fmt.Errorf("install blocks: %w", err)
	}
	n := 0
	for _, e := range entries {
		if _, perr := ulid.ParseStrict(e.Name()); perr != nil || !e.IsDir() {
			continue
		}
		if err := os.Rename(filepath.Join(staging, e.Name()), filepath.Join(s.dir, e.Name())); err != nil {
			return n, fmt.Errorf("install block: %w", err)
		}
		n++
	}
	if n == 0 {
		return 0, nil
	}
	if err := syncDir(s.dir); err != nil {
		return n, fmt.Errorf("install blocks: %w", err)
	}
	return n, s.reload(ctx)
}

// reload makes the DB load new block directories now. The library has no
// exported reload; compacting the out-of-order head reloads the blocks
// whether or not that head holds anything (it requires out-of-order
// ingestion to be enabled, which Options guarantees).
func (s *Store) reload(ctx context.Context) error {
	if err := s.db.CompactOOOHead(ctx); err != nil {
		return fmt.Errorf("tsdb %q: reload blocks: %w", s.dir, err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}
