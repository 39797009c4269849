package web

import (
	"container/list"
	"context"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// answerCache keeps encoded API answers, least recently used dropped
// first once maxBytes is exceeded. Keys carry everything an answer depends
// on (parameters, grid end, data generation), so entries never need
// invalidation: a new cycle makes new keys and old ones age out.
// Concurrent requests for one key share one computation.
type answerCache struct {
	maxBytes int
	timeout  time.Duration

	mu      sync.Mutex
	size    int
	order   *list.List // of *cacheEntry, most recent first
	entries map[string]*list.Element
	flight  singleflight.Group
}

type cacheEntry struct {
	key  string
	body []byte
}

func newAnswerCache(maxBytes int, timeout time.Duration) *answerCache {
	return &answerCache{maxBytes: maxBytes, timeout: timeout, order: list.New(), entries: map[string]*list.Element{}}
}

// get returns the cached answer of key, or computes it once (for all
// concurrent callers) under a context detached from the first caller's
// cancellation, so one client leaving does not fail the others. Errors are
// not cached.
func (c *answerCache) get(ctx context.Context, key string, compute func(context.Context) ([]byte, error)) ([]byte, error) {
	if body, ok := c.lookup(key); ok {
		return body, nil
	}
	ch := c.flight.DoChan(key, func() (any, error) {
		if body, ok := c.lookup(key); ok { // filled while this call waited
			return body, nil
		}
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.timeout)
		defer cancel()
		body, err := compute(cctx)
		if err == nil {
			c.store(key, body)
		}
		return body, err
	})
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case res := <-ch:
		if res.Err != nil {
			return nil, res.Err
		}
		return res.Val.([]byte), nil
	}
}

func (c *answerCache) lookup(key string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*cacheEntry).body, true
}

func (c *answerCache) store(key string, body []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[key]; ok || len(body) > c.maxBytes {
		return
	}
	c.entries[key] = c.order.PushFront(&cacheEntry{key: key, body: body})
	c.size += len(body)
	for c.size > c.maxBytes {
		old := c.order.Back()
		e := old.Value.(*cacheEntry)
		c.order.Remove(old)
		delete(c.entries, e.key)
		c.size -= len(e.body)
	}
}

// len returns the number of cached answers.
func (c *answerCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
