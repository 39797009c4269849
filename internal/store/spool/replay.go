package spool

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// SendFunc delivers one batch to the sink.
type SendFunc func(ctx context.Context, batch []byte) error

// Replay sends the pending batches oldest first and removes each one that was
// delivered. A batch whose error wraps ErrPermanent is moved to the quarantine
// directory with a .reason file and Replay goes on; any other error stops
// Replay, keeps the batch for the next call, and is returned.
func (s *Spool) Replay(ctx context.Context, send SendFunc) error {
	s.replayMu.Lock()
	defer s.replayMu.Unlock()
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("spool %q: replay: %w", s.opts.Name, err)
		}
		e, ok := s.oldest()
		if !ok {
			return nil
		}
		path := filepath.Join(s.dir, fileName(e.seq))
		batch, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			s.forget(e.seq) // dropped by a concurrent Append
			continue
		}
		if err != nil {
			s.countFailure()
			return fmt.Errorf("spool %q: replay: %w", s.opts.Name, err)
		}
		err = send(ctx, batch)
		switch {
		case err == nil:
			if rerr := os.Remove(path); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
				return fmt.Errorf("spool %q: remove sent batch: %w", s.opts.Name, rerr)
			}
			s.forget(e.seq)
		case errors.Is(err, ErrPermanent):
			if qerr := s.quarantine(e.seq, err); qerr != nil {
				return fmt.Errorf("spool %q: quarantine: %w", s.opts.Name, qerr)
			}
		default:
			s.countFailure()
			return fmt.Errorf("spool %q: replay batch %d: %w", s.opts.Name, e.seq, err)
		}
	}
}

// oldest returns the oldest pending batch.
func (s *Spool) oldest() (entry, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.entries) == 0 {
		return entry{}, false
	}
	return s.entries[0], true
}

// forget removes seq from the pending list if it is still there (a
// concurrent Append may have dropped it already).
func (s *Spool) forget(seq uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.entries) > 0 && s.entries[0].seq == seq {
		s.bytes -= s.entries[0].size
		s.entries = s.entries[1:]
	}
}

func (s *Spool) countFailure() {
	s.mu.Lock()
	s.failures++
	s.mu.Unlock()
}

// quarantine moves batch seq to dir/quarantine with a .reason file holding
// the error message.
func (s *Spool) quarantine(seq uint64, cause error) error {
	name := fileName(seq)
	qdir := filepath.Join(s.dir, quarantineDir)
	if err := writeAtomic(qdir, name+reasonExt, []byte(cause.Error()+"\n")); err != nil {
		return err
	}
	err := os.Rename(filepath.Join(s.dir, name), filepath.Join(qdir, name))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := syncDir(s.dir); err != nil {
		return err
	}
	s.forget(seq)
	s.mu.Lock()
	s.quarantined++
	s.mu.Unlock()
	s.logger.Error("batch rejected permanently, quarantined", "sink", s.opts.Name,
		"file", filepath.Join(qdir, name), "err", cause)
	return nil
}
