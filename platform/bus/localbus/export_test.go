package localbus

// Backoff exposes backoff to the external tests.
var Backoff = backoff

// Workers reports how many delivery workers of a subscription run.
func (b *Bus) Workers(subscription string) int {
	b.mu.RLock()
	s := b.subs[subscription]
	b.mu.RUnlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.active
}
