package main

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/serverless-shop/shop/platform/testenv"
)

// TestLogBuffer holds the buffered log output to losing no line: lines
// written concurrently, including enough to force size flushes, all reach
// the output by Close, whole and each writer's in order; a line written
// after Close goes straight through. The ticker is an hour, so only Close
// and the size flushes write.
func TestLogBuffer(t *testing.T) {
	var out testenv.LogBuffer
	b := newLogBuffer(&out, time.Hour)
	const writers, lines = 8, 2000
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range lines {
				fmt.Fprintf(b, "{\"writer\":%d,\"line\":%d,\"pad\":%q}\n", w, i, strings.Repeat("x", 40))
			}
		})
	}
	wg.Wait()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(got) != writers*lines {
		t.Fatalf("got %d lines after Close, want %d", len(got), writers*lines)
	}
	next := make([]int, writers)
	for _, l := range got {
		var w, i int
		if _, err := fmt.Sscanf(l, "{\"writer\":%d,\"line\":%d,", &w, &i); err != nil {
			t.Fatalf("a torn line %q: %v", l, err)
		}
		if i != next[w] {
			t.Fatalf("writer %d: got line %d, want %d", w, i, next[w])
		}
		next[w]++
	}

	fmt.Fprintln(b, "after close")
	if got := out.String(); !strings.HasSuffix(got, "after close\n") {
		t.Errorf("a line written after Close is not in the output at once: %q", got[max(len(got)-40, 0):])
	}
}

// TestLogBufferTicker holds a buffered line to reaching the output without
// Close, by the ticker.
func TestLogBufferTicker(t *testing.T) {
	var out testenv.LogBuffer
	b := newLogBuffer(&out, time.Millisecond)
	defer b.Close()
	fmt.Fprintln(b, "one line")
	deadline := time.Now().Add(10 * time.Second)
	for out.String() != "one line\n" {
		if time.Now().After(deadline) {
			t.Fatalf("got %q 10 s after the write, want the line", out.String())
		}
		time.Sleep(time.Millisecond)
	}
}
