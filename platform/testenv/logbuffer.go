package testenv

import (
	"bytes"
	"encoding/json"
	"sync"
	"testing"
)

// LogBuffer is a log sink that the goroutines of the code under test (a
// server's, a bus's handlers) and the test can share.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write implements io.Writer.
func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// Bytes returns a copy of what has been written.
func (l *LogBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Clone(l.buf.Bytes())
}

// String returns what has been written.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// Reset forgets what has been written.
func (l *LogBuffer) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Reset()
}

// Find returns the first JSON line whose message is msg, nil when none is.
func (l *LogBuffer) Find(msg string) map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	for line := range bytes.Lines(l.buf.Bytes()) {
		var m map[string]any
		if json.Unmarshal(line, &m) == nil && m["message"] == msg {
			return m
		}
	}
	return nil
}

// MustHaveFields fails tb unless a line with message msg carries every
// field of want.
func (l *LogBuffer) MustHaveFields(tb testing.TB, msg string, want map[string]string) {
	tb.Helper()
	line := l.Find(msg)
	if line == nil {
		tb.Fatalf("no log line %q", msg)
	}
	for k, v := range want {
		if line[k] != v {
			tb.Errorf("log line %q: %s = %v, want %q", msg, k, line[k], v)
		}
	}
}
