// Package shoptest starts the real shop binary for end-to-end tests and
// talks to it over HTTP.
package shoptest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/serverless-shop/shop/platform/auth"
)

// Build compiles ./cmd/shop once into dir and returns the binary's path.
func Build(dir string) (string, error) {
	bin := filepath.Join(dir, "shop")
	cmd := exec.Command("go", "build", "-race", "-o", bin, "github.com/serverless-shop/shop/cmd/shop")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build shop: %w", err)
	}
	return bin, nil
}

// Shop is one running shop process.
type Shop struct {
	URL string
	// AdminURL is the operator listener's base URL, when SHOP_ADMIN_ADDR
	// was set (use 127.0.0.1:0).
	AdminURL string
	cmd      *exec.Cmd
	log      *bytes.Buffer
	mu       *sync.Mutex
	done     chan struct{}
	// dataDir is the process's SHOP_DATA_DIR, where its dev key is.
	dataDir string
	// token is sent as the bearer token of every request, when set.
	token string
	// tb is the test that started the process; TryDo reports to it.
	tb testing.TB
	// open is set when the process runs without authentication.
	open bool
	// header is sent with every request, besides the token.
	header http.Header
}

// Start runs bin on a free loopback port with the given extra environment
// and waits until /readyz answers 200. Without SHOP_DATA_DIR in env, the
// process gets a temporary one.
func Start(tb testing.TB, bin string, env ...string) *Shop {
	tb.Helper()
	dataDir := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "SHOP_DATA_DIR="); ok {
			dataDir = v
		}
	}
	if dataDir == "" {
		dataDir = tb.TempDir()
		env = append(env, "SHOP_DATA_DIR="+dataDir)
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), append([]string{"PORT=0", "SHOP_HOST=127.0.0.1", "SHOP_LOG_LEVEL=info"}, env...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	s := &Shop{cmd: cmd, log: &bytes.Buffer{}, mu: &sync.Mutex{}, done: make(chan struct{}), dataDir: dataDir,
		tb: tb, open: slices.Contains(env, "SHOP_AUTH=none")}
	cmd.Stderr = writerFunc(func(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.log.Write(p) })
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	addr, admin := make(chan string, 1), make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			s.mu.Lock()
			s.log.Write(line)
			s.log.WriteByte('\n')
			s.mu.Unlock()
			var l struct{ Message, Addr string }
			if json.Unmarshal(line, &l) == nil {
				switch l.Message {
				case "listening":
					addr <- l.Addr
				case "admin listening":
					admin <- "http://" + l.Addr
				}
			}
		}
	}()
	go func() { _ = cmd.Wait(); close(s.done) }()
	tb.Cleanup(func() {
		s.Kill()
		if tb.Failed() {
			tb.Logf("shop log:\n%s", s.Log())
		}
	})
	select {
	case a := <-addr:
		_, port, _ := net.SplitHostPort(a)
		s.URL = "http://127.0.0.1:" + port
	case <-s.done:
		tb.Fatalf("shop exited before listening:\n%s", s.Log())
	case <-time.After(60 * time.Second):
		tb.Fatalf("shop did not listen within 60s:\n%s", s.Log())
	}
	select {
	case s.AdminURL = <-admin:
	default:
	}
	Eventually(tb, 30*time.Second, func() bool {
		res, err := http.Get(s.URL + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}, "shop not ready")
	return s
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// Log returns what the process printed so far.
func (s *Shop) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// Kill ends the process with SIGKILL: no shutdown code runs.
func (s *Shop) Kill() {
	_ = s.cmd.Process.Kill()
	<-s.done
}

// Stop sends SIGTERM and waits for a clean exit.
func (s *Shop) Stop(tb testing.TB) {
	tb.Helper()
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		tb.Fatal("shop did not stop within 30s of SIGINT")
	}
	if code := s.cmd.ProcessState.ExitCode(); code != 0 {
		tb.Fatalf("shop exited with %d:\n%s", code, s.Log())
	}
}

// Response is a finished HTTP exchange.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Decode unmarshals the body into v, failing the test on error.
func (r Response) Decode(tb testing.TB, v any) {
	tb.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		tb.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Do sends a request; a non-nil body is sent as JSON. The exchange is held
// to the published contract (see contract): what it does not allow fails
// the test.
func (s *Shop) Do(tb testing.TB, method, path string, body any) Response {
	tb.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			tb.Fatal(err)
		}
		raw = j
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		tb.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	s.authorize(req)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	r := Response{Status: res.StatusCode, Header: res.Header, Body: b}
	s.hold(tb, exchange{method: method, target: path, header: req.Header, body: raw, res: r})
	return r
}

// Must sends a request and fails the test unless the status is want.
func (s *Shop) Must(tb testing.TB, want int, method, path string, body any) Response {
	tb.Helper()
	r := s.Do(tb, method, path, body)
	if r.Status != want {
		tb.Fatalf("%s %s: got %d %s, want %d", method, path, r.Status, r.Body, want)
	}
	return r
}

// Eventually polls cond until it holds or the timeout passes.
func Eventually(tb testing.TB, timeout time.Duration, cond func() bool, format string, args ...any) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf(format, args...)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TryDo sends a request and returns transport errors instead of failing,
// for requests that a deliberate kill may cut off. A finished exchange is
// held to the published contract, as with Do; the test that started the
// shop fails if it does not hold.
func (s *Shop) TryDo(method, path, body string) (Response, error) {
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		return Response{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	s.authorize(req)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	r := Response{Status: res.StatusCode, Header: res.Header, Body: b}
	if err == nil {
		s.hold(s.tb, exchange{method: method, target: path, header: req.Header, body: []byte(body), res: r})
	}
	return r, err
}

// hold fails the test with what of x the published contract does not allow.
// It may be called from any goroutine.
func (s *Shop) hold(tb testing.TB, x exchange) {
	tb.Helper()
	c, err := loadContract()
	if err != nil {
		tb.Error(err)
		return
	}
	x.open = s.open
	if err := c.check(x); err != nil {
		tb.Errorf("%s %s → %d: not as openapi.yaml says: %v\nbody: %s", x.method, x.target, x.res.Status, err, x.res.Body)
	}
}

// WithToken returns a view of the shop whose requests carry token as their
// bearer token; "" sends none.
func (s *Shop) WithToken(token string) *Shop {
	c := *s
	c.token = token
	return &c
}

// WithHeader returns a view of the shop whose requests carry the header
// key: value (e.g. a traceparent), besides those it already sends.
func (s *Shop) WithHeader(key, value string) *Shop {
	c := *s
	c.header = s.header.Clone()
	if c.header == nil {
		c.header = http.Header{}
	}
	c.header.Set(key, value)
	return &c
}

// As returns a view of the shop whose requests are signed in as user, with
// a dev token minted from the process's key (SHOP_AUTH=dev).
func (s *Shop) As(tb testing.TB, user string) *Shop {
	tb.Helper()
	return s.WithToken(DevToken(tb, s.dataDir, user, false))
}

// AsAdmin returns a view of the shop whose requests are signed in as a
// member of the admin group.
func (s *Shop) AsAdmin(tb testing.TB) *Shop {
	tb.Helper()
	return s.WithToken(DevToken(tb, s.dataDir, "admin", true))
}

// Token is the bearer token the view's requests carry, "" for none.
func (s *Shop) Token() string { return s.token }

// DataDir is the process's SHOP_DATA_DIR.
func (s *Shop) DataDir() string { return s.dataDir }

func (s *Shop) authorize(req *http.Request) {
	for k, v := range s.header {
		req.Header[k] = v
	}
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
}

// DevToken mints a dev access token for user with the key in dataDir, as
// `shop token` does, under the default claim names and admin group.
func DevToken(tb testing.TB, dataDir, user string, admin bool) string {
	tb.Helper()
	key, err := auth.LoadDevKey(dataDir)
	if err != nil {
		tb.Fatal(err)
	}
	var groups []string
	if admin {
		groups = []string{"admin"}
	}
	tok, err := key.Mint(auth.DevConfig("username", "cognito:groups", "admin"), user, groups, time.Hour)
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}
