package notify

import (
	"cmp"
	"slices"
	"time"
)

// Kind is what a Message announces.
type Kind string

// Message kinds.
const (
	// KindFiring announces one open alert (new, or a reminder when Repeat).
	KindFiring Kind = "firing"
	// KindResolved announces that one alert ended.
	KindResolved Kind = "resolved"
	// KindDigest carries several alerts, firing and resolved: what the rate
	// limit held back, or one batch per update on a batching channel.
	KindDigest Kind = "digest"
)

// DefaultMaxDigest is the number of alerts a digest lists when
// Policy.MaxDigest is 0.
const DefaultMaxDigest = 100

// Message is one notification for one channel. It is immutable once made:
// the core never changes a Message or the alerts in it after returning it.
type Message struct {
	Kind Kind
	// Repeat marks a reminder about a still-open alert (KindFiring only).
	Repeat bool
	// Alerts has one alert for KindFiring and KindResolved, one or more for
	// KindDigest. Resolved alerts have End set.
	Alerts []Alert
	// Omitted counts alerts a digest had to leave out (beyond MaxDigest);
	// they are counted, never silently lost.
	Omitted int
	// Time is when the core made the message.
	Time time.Time
}

// Policy is one channel's notification policy.
type Policy struct {
	// Renotify is the time after which a still-open, notified alert is
	// announced again; 0 never repeats.
	Renotify time.Duration
	// RateLimit is the maximum number of messages per RatePeriod; 0 means
	// unlimited. Messages beyond it are held and sent as one digest as soon
	// as the window has room again.
	RateLimit  int
	RatePeriod time.Duration
	// Batch makes every update produce one digest of all that changed (for
	// Alertmanager, which takes arrays of alerts), split in digests of
	// MaxDigest alerts when larger; nothing is omitted.
	Batch bool
	// MaxDigest caps the alerts one digest lists (beyond it a rate-limited
	// digest counts the oldest as Omitted); 0 means DefaultMaxDigest.
	MaxDigest int
}

// Core turns the successive states of a set of alerts into the messages
// one channel should send: one message per alert when it opens, reminders
// every Renotify while it stays open, one when it resolves, nothing for
// expected alerts, duplicates dropped, and a rate limit whose excess is
// coalesced into digests. It is pure (no I/O, the caller passes the clock)
// and not safe for concurrent use.
type Core struct {
	pol     Policy
	alerts  map[string]*tracked
	sent    []time.Time // admitted messages within the last RatePeriod, oldest first
	pending []held      // held back by the rate limit, oldest first
	omitted int         // dropped from pending beyond MaxDigest
}

type tracked struct {
	alert    Alert
	scope    string
	notified bool      // a firing message was emitted (or held)
	last     time.Time // when the last firing message was emitted
}

type held struct {
	alert  Alert
	repeat bool
}

// NewCore returns a Core with no alerts.
func NewCore(p Policy) *Core {
	if p.MaxDigest <= 0 {
		p.MaxDigest = DefaultMaxDigest
	}
	return &Core{pol: p, alerts: map[string]*tracked{}}
}

// Update takes the alerts a scope reports at now and returns the messages
// to send, oldest event first. Alerts with End set are resolved; alerts of
// the scope seen before and missing now are resolved at now; an alert whose
// key repeats in one call is taken once (the first). Alerts with an empty
// key are ignored: callers validate first (Alert.Validate). The core keeps
// copies, so the caller may reuse alerts.
func (c *Core) Update(now time.Time, scope string, alerts []Alert) []Message {
	var msgs []Message
	seen := make(map[string]bool, len(alerts))
	for i := range alerts {
		a := &alerts[i]
		if a.Key == "" || seen[a.Key] {
			continue
		}
		seen[a.Key] = true
		if m, ok := c.observe(now, scope, a.normalized()); ok {
			msgs = append(msgs, m)
		}
	}
	for _, k := range sortedKeys(c.alerts) {
		t := c.alerts[k]
		if t.scope != scope || seen[k] {
			continue
		}
		a := t.alert
		a.End = now
		if m, ok := c.observe(now, scope, a); ok {
			msgs = append(msgs, m)
		}
	}
	msgs = append(msgs, c.reminders(now)...)
	return c.admit(now, msgs)
}

// Tick returns the reminders due at now and any digest the rate limit now
// lets out, without changing which alerts are open. Update does the same,
// so Tick is only needed between updates.
func (c *Core) Tick(now time.Time) []Message {
	return c.admit(now, c.reminders(now))
}

// Open returns the number of alerts tracked as open, expected or not.
func (c *Core) Open() int { return len(c.alerts) }

// Held returns the number of alerts waiting for room under the rate limit.
func (c *Core) Held() int { return len(c.pending) + c.omitted }

// observe applies one alert (already normalized) and returns the message it
// causes, if any.
func (c *Core) observe(now time.Time, scope string, a Alert) (Message, bool) {
	t := c.alerts[a.Key]
	if a.Resolved() {
		if t == nil {
			return Message{}, false // never seen open: nothing was announced
		}
		delete(c.alerts, a.Key)
		if !t.notified {
			return Message{}, false
		}
		return Message{Kind: KindResolved, Alerts: []Alert{a}, Time: now}, true
	}
	if t == nil {
		t = &tracked{}
		c.alerts[a.Key] = t
	}
	t.alert, t.scope = a, scope
	if t.notified || a.Expected {
		return Message{}, false
	}
	t.notified, t.last = true, now
	return Message{Kind: KindFiring, Alerts: []Alert{a}, Time: now}, true
}

// reminders returns a repeat for every notified, unexpected open alert
// whose last message is at least Renotify old.
func (c *Core) reminders(now time.Time) []Message {
	if c.pol.Renotify <= 0 {
		return nil
	}
	var msgs []Message
	for _, k := range sortedKeys(c.alerts) {
		t := c.alerts[k]
		if t.notified && !t.alert.Expected && now.Sub(t.last) >= c.pol.Renotify {
			t.last = now
			msgs = append(msgs, Message{Kind: KindFiring, Repeat: true, Alerts: []Alert{t.alert}, Time: now})
		}
	}
	return msgs
}

// admit applies the rate limit (or batching) to msgs: what fits is
// returned, the rest is held for a later digest.
func (c *Core) admit(now time.Time, msgs []Message) []Message {
	c.prune(now)
	if c.pol.Batch {
		for _, m := range msgs {
			c.hold(m)
		}
		if len(c.pending) == 0 || !c.room() {
			return nil
		}
		return c.flushBatch(now)
	}
	if len(c.pending) > 0 {
		// While anything is held, news joins the digest, so nothing is
		// said twice and the order of events is kept.
		for _, m := range msgs {
			c.hold(m)
		}
		if !c.room() {
			return nil
		}
		return []Message{c.flush(now)}
	}
	var out []Message
	for _, m := range msgs {
		if len(c.pending) == 0 && c.room() {
			c.record(now)
			out = append(out, m)
			continue
		}
		c.hold(m)
	}
	return out
}

func (c *Core) prune(now time.Time) {
	i := 0
	for i < len(c.sent) && now.Sub(c.sent[i]) >= c.pol.RatePeriod {
		i++
	}
	c.sent = c.sent[i:]
}

func (c *Core) room() bool { return c.pol.RateLimit <= 0 || len(c.sent) < c.pol.RateLimit }

func (c *Core) record(now time.Time) {
	if c.pol.RateLimit > 0 {
		c.sent = append(c.sent, now)
	}
}

// hold keeps m's alerts for a digest. A newer state of a held alert replaces
// the older one in place (a held firing that resolves is listed resolved,
// with its start and end); beyond MaxDigest the oldest is dropped and
// counted.
func (c *Core) hold(m Message) {
	for _, a := range m.Alerts {
		i := slices.IndexFunc(c.pending, func(h held) bool { return h.alert.Key == a.Key })
		if i >= 0 {
			c.pending[i] = held{alert: a, repeat: m.Repeat && c.pending[i].repeat}
			continue
		}
		c.pending = append(c.pending, held{alert: a, repeat: m.Repeat})
		if !c.pol.Batch && len(c.pending) > c.pol.MaxDigest {
			c.pending = slices.Delete(c.pending, 0, 1)
			c.omitted++
		}
	}
}

// flush turns the held alerts into one message: the plain message when only
// one alert is held, a digest otherwise.
func (c *Core) flush(now time.Time) Message {
	c.record(now)
	defer func() { c.pending, c.omitted = nil, 0 }()
	if len(c.pending) == 1 && c.omitted == 0 {
		h := c.pending[0]
		kind := KindFiring
		if h.alert.Resolved() {
			kind = KindResolved
		}
		return Message{Kind: kind, Repeat: h.repeat && kind == KindFiring, Alerts: []Alert{h.alert}, Time: now}
	}
	alerts := make([]Alert, len(c.pending))
	for i, h := range c.pending {
		alerts[i] = h.alert
	}
	return Message{Kind: KindDigest, Alerts: alerts, Omitted: c.omitted, Time: now}
}

// flushBatch turns the held alerts into digests of at most MaxDigest
// alerts each: a batching channel lists every alert, never omits one.
func (c *Core) flushBatch(now time.Time) []Message {
	c.record(now)
	var out []Message
	for chunk := range slices.Chunk(c.pending, c.pol.MaxDigest) {
		alerts := make([]Alert, len(chunk))
		for i, h := range chunk {
			alerts[i] = h.alert
		}
		out = append(out, Message{Kind: KindDigest, Alerts: alerts, Time: now})
	}
	c.pending = nil
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.SortFunc(ks, cmp.Compare)
	return ks
}

// Prime records alerts as open and already announced at now, without
// returning messages. After a restart, the incidents rebuilt from the store
// were announced before it: priming keeps them from being announced again,
// while their reminders and "resolved" messages still follow.
func (c *Core) Prime(now time.Time, scope string, alerts []Alert) {
	for i := range alerts {
		a := alerts[i].normalized()
		if a.Key == "" || a.Resolved() || c.alerts[a.Key] != nil {
			continue
		}
		c.alerts[a.Key] = &tracked{alert: a, scope: scope, notified: !a.Expected, last: now}
	}
}
