package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Sender delivers one message to one channel, once. The Dispatcher calls it
// from a single goroutine with a per-attempt deadline in ctx and retries on
// error. Errors name the channel; an error that has a Permanent() bool
// method returning true is not retried.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// DeliveryError is a failed delivery: the channel, the remote status (HTTP
// or SMTP code, 0 when there was none), an excerpt of the answer, and
// whether retrying can help.
type DeliveryError struct {
	Channel string
	Op      string // "POST https://host", "smtp RCPT"
	Status  int
	Body    string        // excerpt of the answer, control characters removed
	Retry   time.Duration // server's Retry-After, 0 when absent
	Final   bool          // retrying cannot help (4xx other than 408 and 429, 5xx SMTP)
	Err     error
}

func (e *DeliveryError) Error() string {
	s := fmt.Sprintf("notify %q: %s", e.Channel, e.Op)
	if e.Status != 0 {
		s += fmt.Sprintf(": status %d", e.Status)
	}
	if e.Body != "" {
		s += fmt.Sprintf(": %q", e.Body)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *DeliveryError) Unwrap() error { return e.Err }

// Permanent reports whether retrying cannot help.
func (e *DeliveryError) Permanent() bool { return e.Final }

// RetryAfter is the server's requested wait, 0 when none.
func (e *DeliveryError) RetryAfter() time.Duration { return e.Retry }

// DispatchOptions bound a Dispatcher's queue and retries.
type DispatchOptions struct {
	// QueueSize is the number of messages waiting; when full, the oldest is
	// dropped (counted and logged). 0 means 100.
	QueueSize int
	// Timeout bounds one attempt; 0 means 30 s.
	Timeout time.Duration
	// Retries is the number of attempts after the first.
	Retries int
	// Backoff is the first wait between attempts, doubled each retry up to
	// MaxBackoff; a server's Retry-After is honoured up to MaxBackoff.
	Backoff, MaxBackoff time.Duration
}

// Dispatcher owns one channel's delivery: a bounded in-memory queue filled
// by Enqueue (never blocking) and drained by Run, which sends each message
// with retries and capped exponential backoff. Its counters are read by
// the Notifier's collector.
type Dispatcher struct {
	name   string
	sender Sender
	opts   DispatchOptions
	logger *slog.Logger

	mu    sync.Mutex
	queue []Message
	wake  chan struct{}

	sent, failed, retries, drops atomic.Uint64
	lastSuccess                  atomic.Int64 // unix seconds
}

// NewDispatcher returns a dispatcher for the channel name; call Run to
// start sending.
func NewDispatcher(name string, s Sender, o DispatchOptions, logger *slog.Logger) *Dispatcher {
	if o.QueueSize <= 0 {
		o.QueueSize = 100
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.Backoff <= 0 {
		o.Backoff = time.Second
	}
	o.MaxBackoff = max(o.MaxBackoff, o.Backoff)
	return &Dispatcher{name: name, sender: s, opts: o, logger: logger, wake: make(chan struct{}, 1)}
}

// Name is the channel name.
func (d *Dispatcher) Name() string { return d.name }

// Enqueue adds m to the queue and returns at once. When the queue is full
// the oldest message is dropped, counted and logged.
func (d *Dispatcher) Enqueue(m Message) {
	d.mu.Lock()
	var dropped *Message
	if len(d.queue) >= d.opts.QueueSize {
		old := d.queue[0]
		dropped = &old
		d.queue[0] = Message{}
		d.queue = d.queue[1:]
	}
	d.queue = append(d.queue, m)
	d.mu.Unlock()
	if dropped != nil {
		n := d.drops.Add(1)
		d.logger.Warn("notification queue full, dropped the oldest message",
			"channel", d.name, "subject", Subject(*dropped), "drops_total", n)
	}
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Len returns the number of queued messages.
func (d *Dispatcher) Len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.queue)
}

func (d *Dispatcher) pop() (Message, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.queue) == 0 {
		return Message{}, false
	}
	m := d.queue[0]
	d.queue[0] = Message{}
	d.queue = d.queue[1:]
	return m, true
}

// Run sends queued messages until ctx is done, then returns; messages still
// queued are logged as unsent. Call it once.
func (d *Dispatcher) Run(ctx context.Context) {
	for {
		m, ok := d.pop()
		if !ok {
			select {
			case <-ctx.Done():
				d.logUnsent()
				return
			case <-d.wake:
				continue
			}
		}
		d.deliver(ctx, m)
		if ctx.Err() != nil {
			d.logUnsent()
			return
		}
	}
}

func (d *Dispatcher) logUnsent() {
	if n := d.Len(); n > 0 {
		d.logger.Warn("notifications not sent at shutdown", "channel", d.name, "queued", n)
	}
}

// deliver sends m, retrying transient errors with capped exponential
// backoff.
func (d *Dispatcher) deliver(ctx context.Context, m Message) {
	wait := d.opts.Backoff
	for attempt := 0; ; attempt++ {
		err := d.attempt(ctx, m)
		if err == nil {
			d.sent.Add(1)
			d.lastSuccess.Store(time.Now().Unix())
			d.logger.Debug("notification sent", "channel", d.name, "subject", Subject(m), "attempts", attempt+1)
			return
		}
		if ctx.Err() != nil {
			d.failed.Add(1)
			d.logger.Warn("notification abandoned at shutdown", "channel", d.name, "subject", Subject(m), "err", err)
			return
		}
		var perm interface{ Permanent() bool }
		if (errors.As(err, &perm) && perm.Permanent()) || attempt >= d.opts.Retries {
			d.failed.Add(1)
			d.logger.Error("notification failed", "channel", d.name, "subject", Subject(m),
				"attempts", attempt+1, "err", err)
			return
		}
		d.retries.Add(1)
		delay := wait
		var ra interface{ RetryAfter() time.Duration }
		if errors.As(err, &ra) && ra.RetryAfter() > delay {
			delay = min(ra.RetryAfter(), d.opts.MaxBackoff)
		}
		d.logger.Warn("notification attempt failed, retrying", "channel", d.name, "attempt", attempt+1,
			"retry_in_seconds", delay.Seconds(), "err", err)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			d.failed.Add(1)
			d.logger.Warn("notification abandoned at shutdown", "channel", d.name, "subject", Subject(m), "err", err)
			return
		case <-t.C:
		}
		wait = min(2*wait, d.opts.MaxBackoff)
	}
}

func (d *Dispatcher) attempt(ctx context.Context, m Message) error {
	ctx, cancel := context.WithTimeout(ctx, d.opts.Timeout)
	defer cancel()
	return d.sender.Send(ctx, m)
}

// DispatchStats are a dispatcher's counters.
type DispatchStats struct {
	Sent, Failed, Retries, Drops uint64
	Queued                       int
	LastSuccess                  time.Time // zero before the first success
}

// Stats returns the current counters.
func (d *Dispatcher) Stats() DispatchStats {
	s := DispatchStats{
		Sent: d.sent.Load(), Failed: d.failed.Load(), Retries: d.retries.Load(), Drops: d.drops.Load(),
		Queued: d.Len(),
	}
	if ts := d.lastSuccess.Load(); ts > 0 {
		s.LastSuccess = time.Unix(ts, 0)
	}
	return s
}
