package main

import (
	"io"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// newLogger returns JSON lines on w, or a human console format, at the
// configured level (validated by LoadConfig).
func newLogger(cfg Config, w io.Writer) zerolog.Logger {
	level, _ := zerolog.ParseLevel(cfg.LogLevel)
	zerolog.TimeFieldFormat = time.RFC3339Nano
	if cfg.LogFormat == "console" {
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly}
	}
	return zerolog.New(w).Level(level).With().Timestamp().Logger()
}

// Log buffering: every request writes a line, and a write(2) per line was
// the largest single cost of GET /product/{id} beyond the router (8.5 % of
// the server's CPU in a profile under shopload -scenario get-product).
const (
	// logFlushInterval bounds how long a line waits in the buffer.
	logFlushInterval = 100 * time.Millisecond
	// logFlushSize is the buffered size at which a write flushes at once.
	logFlushSize = 64 << 10
	// logMaxBuffered is the size at which writers wait for the output,
	// as they would writing to it directly, so a stalled stdout cannot
	// grow the buffer without bound.
	logMaxBuffered = 1 << 20
)

// logBuffer gathers whole log lines (zerolog writes each line with one
// Write) and writes them to out in batches: when logFlushSize is reached,
// every logFlushInterval, and on Close. After Close every line is written
// through at once, so lines logged while shutting down are not lost. A
// process killed without a graceful shutdown loses at most the last
// interval's lines.
type logBuffer struct {
	// mu guards buf and closed; it is never held across a write to out.
	mu     sync.Mutex
	buf    []byte
	closed bool
	// outMu serialises writes to out, keeping lines in order, and guards
	// spare and err.
	outMu sync.Mutex
	out   io.Writer
	spare []byte
	err   error

	stop chan struct{}
	done chan struct{}
}

// newLogBuffer starts a logBuffer on out, flushed every interval until Close.
func newLogBuffer(out io.Writer, interval time.Duration) *logBuffer {
	b := &logBuffer{out: out, buf: make([]byte, 0, logFlushSize), spare: make([]byte, 0, logFlushSize),
		stop: make(chan struct{}), done: make(chan struct{})}
	go b.run(interval)
	return b
}

func (b *logBuffer) run(interval time.Duration) {
	defer close(b.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			_ = b.Flush()
		case <-b.stop:
			return
		}
	}
}

// Write buffers one line. It never fails: a failure to write the output is
// returned by Flush and Close, as zerolog would only report it on stderr.
func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	b.buf = append(b.buf, p...)
	n, closed := len(b.buf), b.closed
	b.mu.Unlock()
	if closed || n >= logMaxBuffered {
		return len(p), b.Flush()
	}
	if n >= logFlushSize {
		// Another writer may be flushing; the next one or the ticker will.
		if b.outMu.TryLock() {
			b.flushLocked()
			b.outMu.Unlock()
		}
	}
	return len(p), nil
}

// Flush writes what is buffered to the output.
func (b *logBuffer) Flush() error {
	b.outMu.Lock()
	defer b.outMu.Unlock()
	return b.flushLocked()
}

// flushLocked swaps the buffer for the spare one, so writers go on
// appending while this one writes. outMu must be held.
func (b *logBuffer) flushLocked() error {
	b.mu.Lock()
	full := b.buf
	b.buf = b.spare[:0]
	b.mu.Unlock()
	if len(full) > 0 {
		if _, err := b.out.Write(full); err != nil && b.err == nil {
			b.err = err
		}
	}
	b.spare = full[:0]
	if cap(b.spare) > 2*logFlushSize {
		// A burst (a writer that found another flushing) grew it; let it
		// go rather than keep it: two buffers that ratchet up to their
		// largest burst held 0.5 MiB in a mixed run's heap profile.
		b.spare = make([]byte, 0, logFlushSize)
	}
	return b.err
}

// Close stops the ticker and writes every buffered line; lines written
// afterwards go straight through.
func (b *logBuffer) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return b.Flush()
	}
	b.closed = true
	b.mu.Unlock()
	close(b.stop)
	<-b.done
	return b.Flush()
}
