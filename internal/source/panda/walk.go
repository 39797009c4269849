package panda

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
)

// maxCount is the largest count kept: 2^53, the largest integer every JSON
// consumer (float64 included) represents exactly.
const maxCount = 1 << 53

// levelName names the value under a key of each level, for Bad reasons.
var levelName = [4]string{"queue", "label", "resource type", "count"}

// span is the range of entries one key produced, so that a later duplicate
// of the key can drop them (the last value wins).
type span struct{ lo, hi int }

// kid is one distinct key of an object and the entries its value produced.
type kid struct {
	key string
	span
}

// walker streams the queue -> label -> resource -> status -> count map,
// keeping what is valid and recording the rest as Bad.
type walker struct {
	lexer
	st      Stats
	entries []Entry
	scratch []Entry           // reused by order
	dead    int               // entries dropped by duplicates (Count == -1)
	keys    [4]string         // current queue, label, resource, status
	kids    [4][]kid          // distinct keys of the open object at each level
	seen    [4]map[string]int // key -> index in kids, at each level
}

func newWalker(body []byte) *walker {
	w := &walker{lexer: lexer{b: body, intern: map[string]string{}}}
	w.entries = make([]Entry, 0, min(len(body)/16, 1<<17))
	for i := range w.seen {
		w.seen[i] = map[string]int{}
	}
	return w
}

// open sniffs the body and consumes the '{' of the top-level object.
func (w *walker) open() error {
	if err := sniff(w.b); err != nil {
		return err
	}
	c := w.peek()
	if c == '{' {
		w.pos++
		return nil
	}
	if err := w.skipValue(0); err != nil {
		return err
	}
	return fmt.Errorf("top level is %s, not an object", kindOf(c))
}

// object walks the members of an object whose '{' was consumed; depth is
// the level of its keys (0 = queue names, 3 = job states). When it ends,
// its entries are put in key order.
func (w *walker) object(depth int) error {
	lo, deadBefore := len(w.entries), w.dead
	seen := w.seen[depth]
	clear(seen)
	w.kids[depth] = w.kids[depth][:0]
	err := w.members(depth > 0, func(k string) error {
		w.keys[depth] = k
		start := len(w.entries)
		if err := w.member(depth); err != nil {
			return err
		}
		s := span{start, len(w.entries)}
		if i, dup := seen[k]; dup {
			w.st.Duplicates++
			w.drop(w.kids[depth][i].span)
			w.kids[depth][i].span = s
			return nil
		}
		seen[k] = len(w.kids[depth])
		w.kids[depth] = append(w.kids[depth], kid{key: k, span: s})
		return nil
	})
	if err != nil {
		return err
	}
	if depth == 0 {
		w.st.Queues = len(seen)
	}
	w.order(lo, w.kids[depth], deadBefore, depth == 0)
	return nil
}

// order rewrites entries[lo:], the entries of one object, in the key order
// of its kids, leaving out entries dropped by duplicates. Each kid's own
// entries are already in order, so sorting the (few) keys of every object
// as it ends replaces sorting all entries at the end, which took most of
// the decoding time. top (the queue level) builds the final slice at its
// exact size instead of going through the scratch buffer.
func (w *walker) order(lo int, kids []kid, deadBefore int, top bool) {
	byKey := func(a, b kid) int { return strings.Compare(a.key, b.key) }
	sorted := slices.IsSortedFunc(kids, byKey)
	if sorted && contiguous(lo, kids, len(w.entries)) {
		return // in key order already, and no dropped entry in between
	}
	if !sorted {
		slices.SortFunc(kids, byKey)
	}
	out := w.scratch[:0]
	if top {
		out = make([]Entry, 0, len(w.entries)-lo-(w.dead-deadBefore))
	}
	for _, k := range kids {
		out = append(out, w.entries[k.lo:k.hi]...)
	}
	w.dead = deadBefore
	if top && lo == 0 {
		w.entries = out
		return
	}
	w.entries = append(w.entries[:lo], out...)
	w.scratch = out
}

// member walks the value of the key at depth: an object for levels 0-2, a
// count for level 3. Anything else is skipped and recorded as Bad.
func (w *walker) member(depth int) error {
	c := w.peek()
	switch {
	case depth == 0 && w.keys[0] == "":
		if err := w.skipValue(1); err != nil {
			return err
		}
		w.bad(0, "empty queue name")
		return nil
	case depth == 3 && (c == '-' || c >= '0' && c <= '9'):
		text, err := w.number()
		if err != nil {
			return err
		}
		w.count(text)
		return nil
	case depth < 3 && c == '{':
		w.pos++
		return w.object(depth + 1)
	}
	if err := w.skipValue(depth + 1); err != nil {
		return err
	}
	if depth == 3 {
		w.bad(3, "count is "+kindOf(c)+", not a number")
	} else {
		w.bad(depth, levelName[depth]+" value is "+kindOf(c)+", not an object")
	}
	return nil
}

// count keeps a count that is a non-negative integer up to 2^53. Any text
// with '.', 'e' or 'E' counts as fractional, "3.0" and "1e3" included:
// PanDA writes counts as Python ints, so such text means something else
// produced the answer. "-0" is kept as 0.
func (w *walker) count(text []byte) {
	if bytes.ContainsAny(text, ".eE") {
		w.bad(3, "count "+clip(text)+" is fractional")
		return
	}
	digits := bytes.TrimPrefix(text, []byte("-"))
	var v int64
	for _, c := range digits {
		v = v*10 + int64(c-'0')
		if v > maxCount {
			break
		}
	}
	switch {
	case len(digits) < len(text) && v != 0:
		w.bad(3, "count "+clip(text)+" is negative")
	case v > maxCount:
		w.bad(3, "count "+clip(text)+" exceeds 2^53")
	default:
		w.entries = append(w.entries, Entry{
			Queue: w.keys[0], Label: w.keys[1], Resource: w.keys[2], Status: w.keys[3], Count: v,
		})
	}
}

// drop marks the entries of an overridden duplicate key as dead.
func (w *walker) drop(s span) {
	for i := s.lo; i < s.hi; i++ {
		if w.entries[i].Count >= 0 {
			w.entries[i].Count = -1
			w.dead++
		}
	}
}

// bad records a skipped value under the key at depth.
func (w *walker) bad(depth int, reason string) {
	w.st.BadTotal++
	if len(w.st.Bad) < MaxBad {
		w.st.Bad = append(w.st.Bad, Bad{Queue: w.keys[0], Path: strings.Join(w.keys[1:depth+1], "/"), Reason: reason})
	}
}

// contiguous says whether the kids' spans tile entries[lo:hi] in order.
func contiguous(lo int, kids []kid, hi int) bool {
	for _, k := range kids {
		if k.lo != lo {
			return false
		}
		lo = k.hi
	}
	return lo == hi
}

// stats returns the walked answer, with nil slices when nothing is left.
func (w *walker) stats() Stats {
	st := w.st
	if len(w.entries) > 0 {
		st.Entries = w.entries
	}
	return st
}

// clip shortens number text for a Bad reason (a hostile number can be
// megabytes long).
func clip(b []byte) string {
	if len(b) > 32 {
		return string(b[:32]) + "..."
	}
	return string(b)
}
