package load

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// CheckLoopback refuses a target that is not on this machine: the harness
// must never load anything but loopback.
func CheckLoopback(target string) error {
	u, err := url.Parse(target)
	if err != nil {
		return fmt.Errorf("target %q: %w", target, err)
	}
	if u.Scheme != "http" {
		return fmt.Errorf("target %q: only http:// is supported", target)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("target %q: host must be 127.0.0.0/8, ::1 or localhost", target)
	}
	return nil
}

// NewClient returns an HTTP client that keeps one idle connection per
// worker, so that a run measures the server and not connection setup.
func NewClient(conns int, timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			// Only loopback is ever dialled; no proxy from the environment.
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        conns,
			MaxIdleConnsPerHost: conns,
			MaxConnsPerHost:     0,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
		// A redirect would be a surprise worth seeing, not following.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// target sends requests to one server and records them.
type target struct {
	base   string
	client *http.Client
	rec    *Recorder
	tokens *tokens // nil when the run sends no request as anyone
}

// reply is a finished exchange; Err is set when the status was not the one
// expected or the exchange failed.
type reply struct {
	Status int
	Body   []byte
	Err    error
}

// do sends one request of route as as (see anonymous), due at sched,
// expecting one of want, and records it. body, if not nil, is marshalled to
// JSON.
func (t *target) do(ctx context.Context, as, route string, sched time.Time, method, path string, body any, want ...int) reply {
	authz, minted, err := t.tokens.authorization(as)
	// Signing a user's first token is the harness's work, not the server's.
	sched = sched.Add(minted)
	r := reply{Err: err}
	if err == nil {
		r = t.exchange(ctx, authz, method, path, body)
	}
	end := time.Now()
	kind, detail := "", ""
	switch {
	case err != nil:
		kind, detail = "token", err.Error()
	case r.Err != nil:
		kind, detail = "transport", r.Err.Error()
	case !wanted(r.Status, want):
		kind, detail = strconv.Itoa(r.Status), truncate(r.Body, 200)
		r.Err = fmt.Errorf("%s %s: status %d: %s", method, path, r.Status, detail)
	}
	if ctx.Err() != nil && r.Err != nil {
		// Cut short by the end of the run, not a failure of the server.
		return r
	}
	t.rec.Record(route, sched, end, kind, detail)
	return r
}

func wanted(status int, want []int) bool {
	for _, w := range want {
		if status == w {
			return true
		}
	}
	return false
}

// send performs one exchange as as without recording it.
func (t *target) send(ctx context.Context, as, method, path string, body any) reply {
	authz, _, err := t.tokens.authorization(as)
	if err != nil {
		return reply{Err: err}
	}
	return t.exchange(ctx, authz, method, path, body)
}

// exchange performs one exchange with the Authorization header authz, if
// not "".
func (t *target) exchange(ctx context.Context, authz, method, path string, body any) reply {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return reply{Err: err}
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, t.base+path, rd)
	if err != nil {
		return reply{Err: err}
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	res, err := t.client.Do(req)
	if err != nil {
		return reply{Err: err}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return reply{Status: res.StatusCode, Body: b, Err: err}
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
