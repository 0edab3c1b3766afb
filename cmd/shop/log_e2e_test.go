package main_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/serverless-shop/shop/internal/shoptest"
)

// TestLogLinesSurviveSIGTERM holds the buffered request log to losing no
// line on a graceful shutdown: the real binary, whose buffer is flushed
// every hour (so only the shutdown writes it), serves requests from
// concurrent clients, each with its own X-Request-Id, is sent SIGTERM, and
// once it has exited its stdout holds the listening line, one request line
// for every request, then the shutdown line.
func TestLogLinesSurviveSIGTERM(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), fmt.Sprintf("PORT=%d", port), "SHOP_HOST=127.0.0.1", "SHOP_LOG_LEVEL=info",
		"SHOP_LOG_FLUSH_INTERVAL=1h", "SHOP_DATA_DIR="+t.TempDir())
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	type line struct {
		Message   string `json:"message"`
		RequestID string `json:"request_id"`
		Status    int    `json:"status"`
	}
	lines := make(chan line, 1024)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var l line
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				t.Errorf("a log line that is not JSON: %q", sc.Text())
				continue
			}
			lines <- l
		}
	}()
	shoptest.Eventually(t, 60*time.Second, func() bool {
		res, err := http.Get(url + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}, "shop not ready")
	select {
	case l := <-lines:
		t.Fatalf("a line was written before the shutdown: %+v", l)
	default:
	}

	const clients, perClient = 8, 200
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for i := range perClient {
				req, _ := http.NewRequest("GET", url+"/healthz", nil)
				req.Header.Set("X-Request-Id", fmt.Sprintf("sigterm-%d-%d", c, i))
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				res.Body.Close()
			}
		})
	}
	wg.Wait()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}

	seen := map[string]bool{}
	listening, shutdown := false, false
	for l := range lines {
		switch {
		case l.Message == "listening":
			listening = true
		case strings.HasPrefix(l.RequestID, "sigterm-") && l.Message == "request":
			if shutdown {
				t.Errorf("request line %s after the shutdown line", l.RequestID)
			}
			seen[l.RequestID] = true
		case l.Message == "shutting down":
			shutdown = true
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("shop exited with %v", err)
	}
	if !listening || !shutdown {
		t.Errorf("got listening line %v, shutdown line %v, want both", listening, shutdown)
	}
	for c := range clients {
		for i := range perClient {
			if id := fmt.Sprintf("sigterm-%d-%d", c, i); !seen[id] {
				t.Errorf("no request line for %s", id)
			}
		}
	}
	if len(seen) != clients*perClient {
		t.Errorf("got %d request lines, want %d", len(seen), clients*perClient)
	}
}
