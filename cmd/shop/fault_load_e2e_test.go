package main_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/serverless-shop/shop/internal/shoptest"
)

// faultLoad is a steady write-and-checkout load on a shop, kept while a
// dependency is taken away and given back: each round creates a product,
// fills a new user's basket and checks it out. It records what the shop
// acknowledged, so the test can look for all of it afterwards, and counts
// the refusals, each held to what a refusal must be (503 problem+json with
// Retry-After; never a 500).
type faultLoad struct {
	t       *testing.T
	shop    *shoptest.Shop
	admin   *shoptest.Shop
	product string // priced in the basket's price list before the load
	prefix  string

	seq      atomic.Int64
	refused  atomic.Int64 // writes answered 503
	accepted atomic.Int64 // checkouts answered 202
	okWrites atomic.Int64 // writes answered 201 or 202

	mu       sync.Mutex
	products []string          // acknowledged products
	baskets  []string          // users whose basket was acknowledged
	checkout map[string]string // user → checkoutId of an accepted checkout

	stop chan struct{}
	wg   sync.WaitGroup
}

// startFaultLoad starts workers goroutines of load on shop, whose basket
// price list already prices product.
func startFaultLoad(t *testing.T, shop *shoptest.Shop, product, prefix string, workers int) *faultLoad {
	l := &faultLoad{t: t, shop: shop, admin: shop.AsAdmin(t), product: product, prefix: prefix,
		checkout: map[string]string{}, stop: make(chan struct{})}
	for range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for {
				select {
				case <-l.stop:
					return
				default:
				}
				l.round()
			}
		}()
	}
	t.Cleanup(l.Stop)
	return l
}

// Stop ends the load and waits for the requests in flight.
func (l *faultLoad) Stop() {
	select {
	case <-l.stop:
	default:
		close(l.stop)
	}
	l.wg.Wait()
}

// round is one product write, one basket write and one checkout, the last
// only if the basket was acknowledged.
func (l *faultLoad) round() {
	user := fmt.Sprintf("%s%d", l.prefix, l.seq.Add(1))
	if r, ok := l.send(l.admin, "POST", "/product", `{"name":"Load","price":1.50,"category":"Phone"}`, http.StatusCreated); ok {
		var p productBody
		if json.Unmarshal(r.Body, &p) == nil && p.ID != "" {
			l.mu.Lock()
			l.products = append(l.products, p.ID)
			l.mu.Unlock()
		}
	}
	as := l.shop.As(l.t, user)
	if _, ok := l.send(as, "POST", "/basket", fmt.Sprintf(`{"userName":%q,"items":[{"productId":%q,"quantity":2}]}`, user, l.product), http.StatusCreated); !ok {
		return
	}
	l.mu.Lock()
	l.baskets = append(l.baskets, user)
	l.mu.Unlock()
	if r, ok := l.send(as, "POST", "/basket/checkout", checkoutRequest(user), http.StatusAccepted); ok {
		var co checkoutBody
		if json.Unmarshal(r.Body, &co) != nil || co.CheckoutID == "" {
			l.t.Errorf("%s: 202 without a checkoutId: %s", user, r.Body)
			return
		}
		l.accepted.Add(1)
		l.mu.Lock()
		l.checkout[user] = co.CheckoutID
		l.mu.Unlock()
	}
}

// send makes one request and reports whether it was answered want. Any
// answer but want or a well-formed 503 fails the test.
func (l *faultLoad) send(s *shoptest.Shop, method, path, body string, want int) (shoptest.Response, bool) {
	r, err := s.TryDo(method, path, body)
	switch {
	case err != nil:
		l.t.Errorf("%s %s: %v (the shop must answer, whatever its store does)", method, path, err)
	case r.Status == want:
		l.okWrites.Add(1)
		return r, true
	case r.Status == http.StatusServiceUnavailable:
		l.refused.Add(1)
		if ct, ra := r.Header.Get("Content-Type"), r.Header.Get("Retry-After"); ct != "application/problem+json" || ra == "" {
			l.t.Errorf("%s %s: 503 with Content-Type %q, Retry-After %q; want problem+json with Retry-After", method, path, ct, ra)
		}
	default:
		l.t.Errorf("%s %s: got %d %s, want %d or 503", method, path, r.Status, r.Body, want)
	}
	return r, false
}

// verify checks, on shop (the same process or one restarted on the same
// data), that every acknowledged product is there and that every checkout
// became exactly one order: the accepted ones with their checkoutId, and
// one whose answer was lost (the basket is gone) exactly one too; a basket
// still open has no order. It returns how many orders it found.
func (l *faultLoad) verify(t *testing.T, shop *shoptest.Shop) (orders int) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, id := range l.products {
		if r := shop.Do(t, "GET", "/product/"+id, nil); r.Status != http.StatusOK {
			t.Errorf("acknowledged product %s: got %d, want 200", id, r.Status)
		}
	}
	for _, user := range l.baskets {
		as := shop.As(t, user)
		id, accepted := l.checkout[user]
		if !accepted && as.Do(t, "GET", "/basket/"+user, nil).Status == http.StatusOK {
			if n := len(userOrders(t, shop, user)); n != 0 {
				t.Errorf("%s: basket still open but %d orders", user, n)
			}
			continue
		}
		if accepted && as.Do(t, "GET", "/basket/"+user, nil).Status == http.StatusOK {
			t.Errorf("%s: checkout %s was accepted but the basket is open again: the store lost a committed write", user, id)
			continue
		}
		got := awaitOrders(t, shop, user, 60*time.Second, "%s: checkout committed (accepted: %v) but no order appeared", user, accepted)
		if len(got) != 1 || accepted && got[0].OrderID != id {
			t.Errorf("%s: orders %+v, want exactly one, %s", user, got, id)
		}
		orders += len(got)
	}
	return orders
}

// outboxPending sums the shop's outbox depth gauges, read from /metrics on
// its operator listener; -1 when it cannot be read.
func outboxPending(shop *shoptest.Shop) int {
	res, err := http.Get(shop.AdminURL + "/metrics")
	if err != nil {
		return -1
	}
	defer res.Body.Close()
	n, seen := 0, false
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "shop_outbox_pending_events{") {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err != nil {
			return -1
		}
		n += int(v)
		seen = true
	}
	if !seen {
		return -1
	}
	return n
}

// readyStatus is the status /readyz answers now, 0 when it does not answer.
func readyStatus(shop *shoptest.Shop) int {
	r, err := shop.TryDo("GET", "/readyz", "")
	if err != nil {
		return 0
	}
	return r.Status
}
