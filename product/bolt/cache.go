package bolt

import (
	"sync"

	"github.com/serverless-shop/shop/product"
)

// CacheSize is how many products the store keeps decoded in memory for
// Get, at most: every product of a small catalog, the popular ones of a
// large one (about 250 bytes each).
const CacheSize = 4096

// cache keeps products read from the file, so that reading one again
// skips bbolt's read transaction, its B+tree search and the decode: these
// were about a tenth of the server's CPU time per GET /product/{id}
// (README, Read path). It is coherent because this process is the file's
// only writer (bbolt locks the file), and every write of an existing
// product goes through writing:
//
//   - writing marks the product's id and drops its entry before the write
//     starts, and nobody adds an entry for a marked id, so no reader is
//     served from the cache while the write may have committed;
//   - its done unmarks the id after the commit, and advances gen, as the
//     mark did: a reader adds what it read only if gen has not moved since
//     before its read transaction began, so a value read before the commit
//     is never added after it.
//
// A created product needs neither: its id is new, and a miss is not
// cached. Values are copied in and out, so callers may change what they
// get.
type cache struct {
	mu     sync.RWMutex
	gen    uint64
	m      map[string]product.Product
	marked map[string]int
}

// lookup returns the cached product, or, on a miss, the generation to pass
// to add once the product has been read from the file.
func (c *cache) lookup(id string) (*product.Product, uint64) {
	c.mu.RLock()
	p, ok := c.m[id]
	gen := c.gen
	c.mu.RUnlock()
	if !ok {
		return nil, gen
	}
	return &p, gen
}

// copyTo sets *dst to the cached product id whose category is category,
// and says whether there was one. id is bytes, as a listing reads it from
// its index: indexing the map with string(id) does not copy it.
func (c *cache) copyTo(dst *product.Product, id []byte, category string) bool {
	c.mu.RLock()
	p, ok := c.m[string(id)]
	c.mu.RUnlock()
	if ok && p.Category == category {
		*dst = p
		return true
	}
	return false
}

// generation is what lookup returns on a miss, for a read of many products.
func (c *cache) generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

// add caches p, read in a transaction that began after lookup returned gen,
// unless a write has started or ended since.
func (c *cache) add(gen uint64, p *product.Product) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen || c.marked[p.ID] > 0 {
		return
	}
	if c.m == nil {
		c.m = make(map[string]product.Product)
	}
	if len(c.m) >= CacheSize {
		// Any entry will do: Go's map iteration starts at a random one.
		for k := range c.m {
			delete(c.m, k)
			break
		}
	}
	c.m[p.ID] = *p
}

// writing marks id as being written until the returned done is called,
// which must be after the write has committed or failed.
func (c *cache) writing(id string) (done func()) {
	c.mu.Lock()
	if c.marked == nil {
		c.marked = make(map[string]int)
	}
	c.marked[id]++
	c.gen++
	delete(c.m, id)
	c.mu.Unlock()
	return func() {
		c.mu.Lock()
		if c.marked[id]--; c.marked[id] == 0 {
			delete(c.marked, id)
		}
		c.gen++
		c.mu.Unlock()
	}
}
