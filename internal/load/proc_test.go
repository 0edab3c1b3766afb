package load

import (
	"io"
	"net"
	"os"
	"testing"
	"time"
)

func TestCPUTimeReadsThisProcess(t *testing.T) {
	before, err := cpuTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// Spin until the kernel has charged at least one more tick (10 ms):
	// a condition, not a duration.
	for after := before; after == before; {
		if after, err = cpuTime(os.Getpid()); err != nil {
			t.Fatal(err)
		}
		if after < before {
			t.Fatalf("CPU time went back from %v to %v", before, after)
		}
	}
	if _, err := cpuTime(-1); err == nil {
		t.Error("cpuTime(-1) = nil error, want one")
	}
}

// TestConnSamplerCountsNewConnections has this process dial a listener of
// its own: connections open before the sampler started do not count, one
// seen established counts once however often it is seen, and one opened
// and closed between two looks counts by its TIME_WAIT entry.
func TestConnSamplerCountsNewConnections(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	// The server side reads until the client closes, then closes too, so
	// the client's socket ends in TIME_WAIT.
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(io.Discard, c); c.Close() }()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	dial := func() net.Conn {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	old := dial()
	defer old.Close()
	s, err := newConnSampler(os.Getpid(), port)
	if err != nil {
		t.Fatal(err)
	}

	held := []net.Conn{dial(), dial()}
	s.sample()
	s.sample()
	if got, open := s.counts(); got != 2 || open != 3 {
		t.Errorf("after two new connections: %d new, %d open; want 2 new, 3 open", got, open)
	}
	dial().Close() // between two looks
	deadline := time.Now().Add(10 * time.Second)
	for got, _ := s.counts(); got != 3; got, _ = s.counts() {
		if time.Now().After(deadline) {
			t.Fatalf("a connection closed between looks: %d new, want 3 (its TIME_WAIT never seen)", got)
		}
		s.sample()
	}
	for _, c := range held {
		c.Close()
	}
	s.sample()
	if got, _ := s.counts(); got != 3 {
		t.Errorf("after closing the held ones: %d new, want still 3", got)
	}
}

func TestHexPort(t *testing.T) {
	for addr, want := range map[string]int{"0100007F:4650": 18000, "00000000000000000000000001000000:1F90": 8080, "bad": -1} {
		if got := hexPort(addr); got != want {
			t.Errorf("hexPort(%q) = %d, want %d", addr, got, want)
		}
	}
}
