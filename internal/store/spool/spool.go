// Package spool owns the on-disk queue that sits in front of an external sink:
// every batch is written to its own file before it is sent, so an outage of
// the sink loses nothing (up to MaxBytes, after which the oldest batches are
// dropped). Batches are replayed oldest first; a batch the sink rejects for
// good is moved to a quarantine directory with the reason next to it.
package spool

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrPermanent marks a send error that will never succeed on retry (a 4xx
// answer other than 408/429). Replay quarantines such a batch and goes on.
var ErrPermanent = errors.New("permanent failure")

// DefaultMaxBytes is the spool size limit when Options.MaxBytes is 0.
const DefaultMaxBytes int64 = 1 << 30

const (
	batchExt      = ".batch"
	reasonExt     = ".reason"
	tmpPrefix     = ".tmp-"
	quarantineDir = "quarantine"
	seqDigits     = 20
)

// Options configures a Spool.
type Options struct {
	// MaxBytes caps the total size of pending batches; 0 means DefaultMaxBytes.
	MaxBytes int64
	// Name is the sink name, used as the "sink" label and in logs.
	Name string
}

// entry is one pending batch file.
type entry struct {
	seq     uint64
	size    int64
	created time.Time
}

// Spool is a directory of pending batches. Append and Replay may run
// concurrently; two Replays are serialised.
type Spool struct {
	dir    string
	opts   Options
	logger *slog.Logger

	appendMu sync.Mutex // one Append at a time, so files land in sequence order
	replayMu sync.Mutex // one Replay at a time, so order holds

	mu          sync.Mutex // guards the fields below
	entries     []entry    // oldest first
	bytes       int64
	nextSeq     uint64
	dropped     uint64
	quarantined uint64
	failures    uint64
}

// Open opens (creating if needed) the spool in dir. Leftover temp files from
// an interrupted Append are removed; files with unexpected names are ignored.
func Open(dir string, o Options, logger *slog.Logger) (*Spool, error) {
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(filepath.Join(dir, quarantineDir), 0o755); err != nil {
		return nil, fmt.Errorf("open spool %q: %w", dir, err)
	}
	s := &Spool{dir: dir, opts: o, logger: logger, nextSeq: 1}
	if err := s.scan(); err != nil {
		return nil, fmt.Errorf("open spool %q: %w", dir, err)
	}
	return s, nil
}

// scan loads the pending batches and the next sequence number from disk.
func (s *Spool) scan() error {
	des, err := os.ReadDir(s.dir)
	if err != nil {
		return err
	}
	for _, de := range des {
		name := de.Name()
		if strings.HasPrefix(name, tmpPrefix) {
			if err := os.Remove(filepath.Join(s.dir, name)); err != nil {
				s.logger.Warn("remove partial spool file", "file", name, "err", err)
			}
			continue
		}
		seq, ok := parseName(name)
		if !ok || !de.Type().IsRegular() {
			continue
		}
		info, err := de.Info()
		if err != nil {
			return err
		}
		s.entries = append(s.entries, entry{seq: seq, size: info.Size(), created: info.ModTime()})
		s.bytes += info.Size()
		s.nextSeq = max(s.nextSeq, seq+1)
	}
	slices.SortFunc(s.entries, func(a, b entry) int { return cmp.Compare(a.seq, b.seq) })
	// Quarantined names must not collide with new ones either.
	qdes, err := os.ReadDir(filepath.Join(s.dir, quarantineDir))
	if err != nil {
		return err
	}
	for _, de := range qdes {
		if seq, ok := parseName(de.Name()); ok {
			s.nextSeq = max(s.nextSeq, seq+1)
		}
	}
	return nil
}

func fileName(seq uint64) string {
	return fmt.Sprintf("%0*d%s", seqDigits, seq, batchExt)
}

func parseName(name string) (uint64, bool) {
	digits, ok := strings.CutSuffix(name, batchExt)
	if !ok || len(digits) != seqDigits {
		return 0, false
	}
	seq, err := strconv.ParseUint(digits, 10, 64)
	return seq, err == nil
}

// Append stores one batch durably (temp file, fsync, rename). When the spool
// would exceed MaxBytes, the oldest batches are dropped first.
func (s *Spool) Append(batch []byte) error {
	size := int64(len(batch))
	if size > s.opts.MaxBytes {
		return fmt.Errorf("spool %q: batch of %d bytes exceeds max_bytes %d", s.opts.Name, size, s.opts.MaxBytes)
	}
	s.appendMu.Lock()
	defer s.appendMu.Unlock()
	s.mu.Lock()
	seq := s.nextSeq
	s.nextSeq++
	s.mu.Unlock()

	if err := writeAtomic(s.dir, fileName(seq), batch); err != nil {
		return fmt.Errorf("spool %q: append: %w", s.opts.Name, err)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropOldestLocked(size)
	s.entries = append(s.entries, entry{seq: seq, size: size, created: time.Now()})
	s.bytes += size
	return nil
}

// dropOldestLocked removes the oldest batches until incoming more bytes fit.
func (s *Spool) dropOldestLocked(incoming int64) {
	var n int
	var freed int64
	for len(s.entries) > 0 && s.bytes+incoming > s.opts.MaxBytes {
		e := s.entries[0]
		if err := os.Remove(filepath.Join(s.dir, fileName(e.seq))); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.logger.Error("remove dropped spool batch", "sink", s.opts.Name, "seq", e.seq, "err", err)
		}
		s.entries = s.entries[1:]
		s.bytes -= e.size
		freed += e.size
		n++
	}
	if n == 0 {
		return
	}
	s.dropped += uint64(n)
	s.logger.Warn("spool full, dropped oldest batches", "sink", s.opts.Name,
		"batches", n, "bytes", freed, "max_bytes", s.opts.MaxBytes)
}

// writeAtomic writes data to dir/name atomically: temp file, fsync, rename,
// fsync of the directory.
func writeAtomic(dir, name string, data []byte) error {
	f, err := os.CreateTemp(dir, tmpPrefix+"*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, name))
	}
	if err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return syncDir(dir)
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// Backlog reports the pending batches, their total size and the time the
// oldest one was written (zero when empty).
func (s *Spool) Backlog() (batches int, bytes int64, oldest time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.entries) > 0 {
		oldest = s.entries[0].created
	}
	return len(s.entries), s.bytes, oldest
}

// Dir returns the spool directory.
func (s *Spool) Dir() string { return s.dir }

// Dropped returns the number of batches dropped because the spool was full
// since it was opened.
func (s *Spool) Dropped() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped
}
