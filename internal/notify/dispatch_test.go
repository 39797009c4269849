package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// fakeSender records attempts and answers from a script of errors (nil
// once the script is exhausted). block makes every attempt wait for its
// context.
type fakeSender struct {
	mu       sync.Mutex
	script   []error
	block    bool
	attempts []attempt
}

type attempt struct {
	at      time.Time
	subject string
	err     error
}

func (f *fakeSender) Send(ctx context.Context, m Message) error {
	f.mu.Lock()
	var err error
	if len(f.script) > 0 {
		err, f.script = f.script[0], f.script[1:]
	}
	block := f.block
	f.mu.Unlock()
	if block {
		<-ctx.Done()
		err = ctx.Err()
	}
	f.mu.Lock()
	f.attempts = append(f.attempts, attempt{time.Now(), Subject(m), err})
	f.mu.Unlock()
	return err
}

func (f *fakeSender) log() []attempt {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.attempts)
}

func msg(key string) Message {
	return Message{Kind: KindFiring, Alerts: []Alert{al(key)}, Time: t0}
}

var errTransient = errors.New("connection reset")

// runDispatcher starts d.Run in the bubble and returns a stop function that
// cancels it and waits for Run to return.
func runDispatcher(t *testing.T, d *Dispatcher) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Run(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

func gaps(as []attempt) []time.Duration {
	var out []time.Duration
	for i := 1; i < len(as); i++ {
		out = append(out, as[i].at.Sub(as[i-1].at))
	}
	return out
}

func TestDispatcherRetries(t *testing.T) {
	for _, tt := range []struct {
		name        string
		script      []error
		opts        DispatchOptions
		wantGaps    []time.Duration
		wantStats   DispatchStats
		wantLogPart string
	}{
		{name: "first attempt succeeds", opts: DispatchOptions{Retries: 3},
			wantStats: DispatchStats{Sent: 1}},
		{name: "backoff doubles up to the cap",
			script:    []error{errTransient, errTransient, errTransient, errTransient},
			opts:      DispatchOptions{Retries: 5, Backoff: time.Second, MaxBackoff: 3 * time.Second},
			wantGaps:  []time.Duration{time.Second, 2 * time.Second, 3 * time.Second, 3 * time.Second},
			wantStats: DispatchStats{Sent: 1, Retries: 4}},
		{name: "retries exhausted",
			script:    []error{errTransient, errTransient, errTransient},
			opts:      DispatchOptions{Retries: 2, Backoff: time.Second, MaxBackoff: time.Minute},
			wantGaps:  []time.Duration{time.Second, 2 * time.Second},
			wantStats: DispatchStats{Failed: 1, Retries: 2}, wantLogPart: "notification failed"},
		{name: "permanent error is not retried",
			script:    []error{&DeliveryError{Channel: "test", Op: "POST", Status: 400, Final: true}},
			opts:      DispatchOptions{Retries: 5},
			wantStats: DispatchStats{Failed: 1}, wantLogPart: "status 400"},
		{name: "retry-after is honoured up to the cap",
			script: []error{&DeliveryError{Status: 429, Retry: 10 * time.Second},
				&DeliveryError{Status: 429, Retry: time.Hour}},
			opts:      DispatchOptions{Retries: 5, Backoff: time.Second, MaxBackoff: 30 * time.Second},
			wantGaps:  []time.Duration{10 * time.Second, 30 * time.Second},
			wantStats: DispatchStats{Sent: 1, Retries: 2}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var logs bytes.Buffer
				f := &fakeSender{script: tt.script}
				d := NewDispatcher("test", f, tt.opts, slog.New(slog.NewTextHandler(&logs, nil)))
				stop := runDispatcher(t, d)
				d.Enqueue(msg("A"))
				time.Sleep(time.Hour) // fake time: every backoff elapses
				synctest.Wait()
				stop()
				if got := gaps(f.log()); !slices.Equal(got, tt.wantGaps) {
					t.Errorf("gaps between attempts %v, want %v", got, tt.wantGaps)
				}
				if got := d.Stats(); got.Sent != tt.wantStats.Sent || got.Failed != tt.wantStats.Failed ||
					got.Retries != tt.wantStats.Retries || got.Drops != 0 || got.Queued != 0 {
					t.Errorf("stats %+v, want %+v", got, tt.wantStats)
				}
				if !strings.Contains(logs.String(), tt.wantLogPart) {
					t.Errorf("log lacks %q:\n%s", tt.wantLogPart, logs.String())
				}
			})
		})
	}
}

func TestDispatcherOrderAndTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeSender{}
		d := NewDispatcher("test", f, DispatchOptions{}, slog.New(slog.DiscardHandler))
		for _, k := range []string{"A", "B", "C"} {
			d.Enqueue(msg(k))
		}
		stop := runDispatcher(t, d)
		synctest.Wait()
		d.Enqueue(msg("D"))
		synctest.Wait()
		stop()
		var got []string
		for _, a := range f.log() {
			got = append(got, a.subject)
		}
		want := []string{"[FIRING] title A", "[FIRING] title B", "[FIRING] title C", "[FIRING] title D"}
		if !slices.Equal(got, want) || d.Stats().Sent != 4 || d.Stats().LastSuccess.IsZero() {
			t.Errorf("sent %q (stats %+v), want %q", got, d.Stats(), want)
		}
	})
	synctest.Test(t, func(t *testing.T) {
		f := &fakeSender{block: true}
		d := NewDispatcher("test", f, DispatchOptions{Timeout: 5 * time.Second, Retries: 1, Backoff: time.Second},
			slog.New(slog.DiscardHandler))
		stop := runDispatcher(t, d)
		start := time.Now()
		d.Enqueue(msg("A"))
		time.Sleep(time.Minute)
		synctest.Wait()
		stop()
		as := f.log()
		if len(as) != 2 || as[0].at.Sub(start) != 5*time.Second || as[1].at.Sub(start) != 11*time.Second ||
			!errors.Is(as[0].err, context.DeadlineExceeded) || d.Stats().Failed != 1 {
			t.Errorf("attempts %+v, stats %+v; want two attempts cut at 5 s each, 1 s apart, then failed", as, d.Stats())
		}
	})
}

func TestDispatcherQueueFull(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs bytes.Buffer
		f := &fakeSender{}
		d := NewDispatcher("mail", f, DispatchOptions{QueueSize: 2}, slog.New(slog.NewTextHandler(&logs, nil)))
		for _, k := range []string{"A", "B", "C", "D"} {
			d.Enqueue(msg(k)) // no Run yet: never blocks
		}
		if s := d.Stats(); s.Queued != 2 || s.Drops != 2 {
			t.Errorf("queued %d, drops %d; want 2, 2", s.Queued, s.Drops)
		}
		if n := strings.Count(logs.String(), "notification queue full"); n != 2 ||
			!strings.Contains(logs.String(), `subject="[FIRING] title A"`) || !strings.Contains(logs.String(), "channel=mail") {
			t.Errorf("want 2 drop log lines naming the channel and the oldest message:\n%s", logs.String())
		}
		stop := runDispatcher(t, d)
		synctest.Wait()
		stop()
		var got []string
		for _, a := range f.log() {
			got = append(got, a.subject)
		}
		if want := []string{"[FIRING] title C", "[FIRING] title D"}; !slices.Equal(got, want) {
			t.Errorf("sent %q, want the newest %q", got, want)
		}
	})
}

func TestDispatcherNeverBlocksAndShutsDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs bytes.Buffer
		f := &fakeSender{block: true}
		d := NewDispatcher("hook", f, DispatchOptions{QueueSize: 10, Timeout: time.Hour},
			slog.New(slog.NewTextHandler(&logs, nil)))
		stop := runDispatcher(t, d)
		for i := range 1000 {
			d.Enqueue(msg(fmt.Sprint(i))) // the sender is stuck: must not block
		}
		synctest.Wait()
		if s := d.Stats(); s.Queued != 10 || s.Drops != 989 {
			t.Errorf("queued %d, drops %d; want 10, 989 (one in flight)", s.Queued, s.Drops)
		}
		stop() // cancels the in-flight attempt; Run returns
		if s := d.Stats(); s.Failed != 1 || s.Sent != 0 {
			t.Errorf("after shutdown: %+v, want the in-flight message failed", s)
		}
		for _, want := range []string{"notification abandoned at shutdown", "notifications not sent at shutdown", "queued=10"} {
			if !strings.Contains(logs.String(), want) {
				t.Errorf("log lacks %q", want)
			}
		}
	})
}
