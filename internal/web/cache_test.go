package web

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestAnswerCache(t *testing.T) {
	c := newAnswerCache(10, time.Second)
	calls := 0
	body := func(s string) func(context.Context) ([]byte, error) {
		return func(context.Context) ([]byte, error) {
			calls++
			return []byte(s), nil
		}
	}
	for _, step := range []struct {
		key, val, want string
		calls          int
	}{
		{"a", "aaaa", "aaaa", 1},
		{"a", "zzzz", "aaaa", 1}, // cached
		{"b", "bbbb", "bbbb", 2},
		{"a", "zzzz", "aaaa", 2}, // a is now the most recent
		{"c", "cccc", "cccc", 3}, // 12 bytes: b, the least recent, goes
		{"b", "BBBB", "BBBB", 4},
		{"huge", strings.Repeat("x", 11), strings.Repeat("x", 11), 5}, // too big to keep
		{"huge", "y", "y", 6},
	} {
		got, err := c.get(t.Context(), step.key, body(step.val))
		if err != nil || string(got) != step.want || calls != step.calls {
			t.Fatalf("get(%s) = %q, %v after %d computations; want %q after %d", step.key, got, err, calls, step.want, step.calls)
		}
	}
	if c.len() != 3 || c.size != 9 { // c, b and the small "huge"
		t.Errorf("cache holds %d answers, %d bytes", c.len(), c.size)
	}
	boom := errors.New("boom")
	if _, err := c.get(t.Context(), "e", func(context.Context) ([]byte, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Errorf("error = %v", err)
	}
	if got, err := c.get(t.Context(), "e", body("ok")); err != nil || string(got) != "ok" {
		t.Errorf("an error was cached: %q, %v", got, err)
	}
}

// TestAnswerCacheShared: concurrent requests for one key compute once, and
// a caller that gives up does not cancel the computation for the others.
func TestAnswerCacheShared(t *testing.T) {
	c := newAnswerCache(1<<20, time.Minute)
	var computed atomic.Int32
	release, started := make(chan struct{}), make(chan struct{}, 1)
	compute := func(ctx context.Context) ([]byte, error) {
		computed.Add(1)
		started <- struct{}{}
		select {
		case <-release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return []byte("v"), nil
	}
	impatient, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() {
		_, err := c.get(impatient, "k", compute)
		errc <- err
	}()
	<-started // the first computation runs
	var wg sync.WaitGroup
	results := make([]string, 4)
	for i := range results {
		wg.Go(func() {
			got, err := c.get(t.Context(), "k", compute)
			if err != nil {
				t.Errorf("get: %v", err)
			}
			results[i] = string(got)
		})
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("the impatient caller got %v", err)
	}
	close(release)
	wg.Wait()
	if n := computed.Load(); n != 1 {
		t.Errorf("computed %d times, want 1", n)
	}
	for i, r := range results {
		if r != "v" {
			t.Errorf("caller %d got %q", i, r)
		}
	}
}
