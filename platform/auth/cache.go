package auth

import (
	"crypto/sha256"
	"sync"
	"time"
)

// cacheSize is how many verified tokens each generation of the cache holds.
// A signed-in client sends the same token for an hour; checking it in full
// again costs about 74 µs (ES256) or 42 µs (RS256), a lookup about 1 µs
// (BenchmarkVerify, 2-core VM).
const cacheSize = 4096

// verifiedCache remembers the callers of tokens verified before, until each
// token's expiry, keyed by the token's SHA-256 so that a token altered in
// any byte misses. It keeps two generations of at most cacheSize entries:
// when the current one fills, it becomes the previous one and the oldest
// is dropped, so memory stays bounded without per-entry bookkeeping.
//
// A generation grows with use instead of being made for cacheSize entries:
// two made full were about 1.1 MB of heap however few users signed in.
type verifiedCache struct {
	mu        sync.RWMutex
	cur, prev map[[sha256.Size]byte]cached
}

// verified is a token's caller and expiry, as put in the cache.
type verified struct {
	caller Caller
	exp    time.Time
}

// cached is what the cache keeps of a verified token: its expiry in Unix
// seconds (8 bytes, a time.Time takes 24). A JWT's exp is whole seconds, for
// which now.Unix() < exp is now.Before(exp); a fractional one would expire
// up to a second early, which only costs a full verification.
type cached struct {
	caller Caller
	exp    int64
}

func (c *verifiedCache) get(key [sha256.Size]byte, now time.Time) (Caller, bool) {
	c.mu.RLock()
	v, ok := c.cur[key]
	if !ok {
		v, ok = c.prev[key]
	}
	c.mu.RUnlock()
	if !ok || now.Unix() >= v.exp {
		return Caller{}, false
	}
	return v.caller, true
}

func (c *verifiedCache) put(key [sha256.Size]byte, v verified) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.cur) >= cacheSize {
		c.prev, c.cur = c.cur, nil
	}
	if c.cur == nil {
		c.cur = make(map[[sha256.Size]byte]cached)
	}
	c.cur[key] = cached{caller: v.caller, exp: v.exp.Unix()}
}
