package load

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// server is a shop process the harness started itself.
type server struct {
	cmd    *exec.Cmd
	URL    string
	stderr *bytes.Buffer
	done   chan struct{}
}

// freePort asks the kernel for a free loopback port. Another process could
// take it before the server binds it; on this machine that is unlikely
// enough for a benchmark tool.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// startServer execs bin on a free loopback port with dataDir and env, and
// returns at once; the process's stdout (a log line per request) is thrown
// away so that logging costs the server a write, not the harness a parse.
func startServer(bin, dataDir string, env []string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(port), "SHOP_HOST=127.0.0.1", "SHOP_DATA_DIR="+dataDir)
	cmd.Env = append(cmd.Env, env...)
	s := &server{cmd: cmd, URL: fmt.Sprintf("http://127.0.0.1:%d", port), stderr: &bytes.Buffer{}, done: make(chan struct{})}
	cmd.Stderr = &lockedWriter{w: s.stderr}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() { _ = cmd.Wait(); close(s.done) }()
	return s, nil
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// awaitReady polls /readyz every millisecond until it answers 200.
func (s *server) awaitReady(timeout time.Duration) error {
	c := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := time.Now().Add(timeout)
	for {
		res, err := c.Get(s.URL + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-s.done:
			return fmt.Errorf("server exited before ready: %s", s.cmd.ProcessState)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("server not ready within %s", timeout)
		}
		time.Sleep(time.Millisecond)
	}
}

// stop sends SIGTERM and waits for the exit, killing after 30 s.
func (s *server) stop() error {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
		return errors.New("server did not stop within 30s of SIGTERM; killed")
	}
	if code := s.cmd.ProcessState.ExitCode(); code != 0 {
		return fmt.Errorf("server exited with %d: %s", code, truncate(s.stderr.Bytes(), 500))
	}
	return nil
}

// RSSResult is the resident memory of the server over the measured run.
type RSSResult struct {
	PID     int     `json:"pid"`
	MaxKB   int64   `json:"maxKB"`
	Samples []int64 `json:"samplesKB"`
	// MaxAnonKB is the largest RssAnon: the heap and stacks, without the
	// file pages of the memory-mapped bbolt files that VmRSS also counts.
	MaxAnonKB int64 `json:"maxAnonKB"`
}

// sampleRSS reads VmRSS of pid every second until ctx ends.
func sampleRSS(ctx context.Context, pid int) *RSSResult {
	res := &RSSResult{PID: pid}
	read := func() {
		if kb, anon, err := vmRSS(pid); err == nil {
			res.Samples = append(res.Samples, kb)
			res.MaxKB = max(res.MaxKB, kb)
			res.MaxAnonKB = max(res.MaxAnonKB, anon)
		}
	}
	read()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			read()
			return res
		case <-t.C:
			read()
		}
	}
}

// vmRSS returns VmRSS and RssAnon of pid, in kB.
func vmRSS(pid int) (rss, anon int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	kb := func(key string) int64 {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, key); ok {
				n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
				return n
			}
		}
		return 0
	}
	rss, anon = kb("VmRSS:"), kb("RssAnon:")
	if rss == 0 {
		return 0, 0, errors.New("no VmRSS")
	}
	return rss, anon, nil
}

// StartupResult is the time from exec to the first 200 on /readyz.
type StartupResult struct {
	Runs     int       `json:"runs"`
	MinMs    float64   `json:"minMs"`
	MedianMs float64   `json:"medianMs"`
	MaxMs    float64   `json:"maxMs"`
	Samples  []float64 `json:"samplesMs"`
}

// measureStartup starts bin runs times on dataDir, one after the other.
func measureStartup(ctx context.Context, bin, dataDir string, env []string, runs int) (*StartupResult, error) {
	res := &StartupResult{Runs: runs}
	for range runs {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		start := time.Now()
		s, err := startServer(bin, dataDir, env)
		if err != nil {
			return nil, err
		}
		err = s.awaitReady(60 * time.Second)
		took := time.Since(start)
		if stopErr := s.stop(); err == nil {
			err = stopErr
		}
		if err != nil {
			return nil, err
		}
		res.Samples = append(res.Samples, ms(took))
	}
	sorted := append([]float64(nil), res.Samples...)
	sort.Float64s(sorted)
	res.MinMs, res.MaxMs, res.MedianMs = sorted[0], sorted[len(sorted)-1], sorted[len(sorted)/2]
	return res, nil
}
