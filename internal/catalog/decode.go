package catalog

import (
	"fmt"

	"github.com/qmonit/qmonit/internal/enrich"
	"github.com/qmonit/qmonit/internal/source/cric"
	"github.com/qmonit/qmonit/internal/source/datadisk"
)

// maxLoggedBad bounds how many skipped records are named in one log line.
const maxLoggedBad = 5

// decode turns a dump's raw answer into its value; an undecodable or empty
// dump is an error (the last good copy stays in use).
func (c *Catalog) decode(name string, body []byte) (any, error) {
	switch name {
	case PandaQueue:
		d, err := cric.DecodeQueues(body)
		c.logBad(name, d.Bad, d.Empty)
		return d.Items, err
	case Site:
		d, err := cric.DecodeSites(body)
		c.logBad(name, d.Bad, d.Empty)
		return d.Items, err
	case DDMEndpoint:
		d, err := cric.DecodeDDMEndpoints(body)
		c.logBad(name, d.Bad, d.Empty)
		return d.Items, err
	case Federation:
		d, err := cric.DecodeFederations(body, c.opts.VO)
		c.logBad(name, d.Bad, d.Empty)
		return d.Items, err
	case Datadisk:
		disks, bad, err := datadisk.Decode(body)
		cb := make([]cric.Bad, len(bad))
		for i, b := range bad {
			cb[i] = cric.Bad{Key: b.Key, Reason: b.Reason}
		}
		c.logBad(name, cb, 0)
		if err == nil && len(disks) == 0 {
			err = fmt.Errorf("datadisk: no buckets")
		}
		return disks, err
	}
	return nil, fmt.Errorf("BUG: unknown catalog dump %q", name)
}

func (c *Catalog) logBad(name string, bad []cric.Bad, empty int) {
	if len(bad) == 0 {
		return
	}
	shown := bad[:min(len(bad), maxLoggedBad)]
	c.logger.Warn("catalog records skipped", "dump", name, "bad", len(bad), "empty", empty, "first", shown)
}

// rebuild makes a new index from the held dumps. Called with c.mu held.
func (c *Catalog) rebuild() {
	var cat enrich.Catalog
	if h := c.dumps[PandaQueue]; h != nil {
		cat.Queues, _ = h.value.(map[string]cric.Queue)
	}
	if h := c.dumps[Site]; h != nil {
		cat.Sites, _ = h.value.(map[string]cric.Site)
	}
	if h := c.dumps[DDMEndpoint]; h != nil {
		cat.DDMEndpoints, _ = h.value.(map[string]cric.DDMEndpoint)
	}
	if h := c.dumps[Federation]; h != nil {
		cat.Federations, _ = h.value.(map[string]cric.Federation)
	}
	if h := c.dumps[Datadisk]; h != nil {
		c.disks, _ = h.value.(map[string]datadisk.Usage)
	}
	c.index = enrich.NewIndex(cat)
}
