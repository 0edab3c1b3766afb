package load

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/serverless-shop/shop/platform/money"
)

// pollRoute names the order polls in the results; a 404 there means "not
// yet", not an error.
const (
	pollRoute     = "GET /order/{user}?orderDate (poll)"
	checkoutOrder = "checkout→order"
)

// pending is an accepted checkout whose order is awaited.
type pending struct {
	user, checkoutID, orderDate string
	want, receipt               money.Amount
	accepted                    time.Time
	seen                        bool
}

// tracker follows every accepted checkout to its order: it polls for the
// order to time "checkout→order", and at the end checks that each checkout
// became exactly one order with the right total.
type tracker struct {
	t        *target
	pollCtx  context.Context
	deadline func() time.Time // when polling gives up

	mu       sync.Mutex
	all      []*pending
	badRcpts []string
	wg       sync.WaitGroup
}

func (tr *tracker) accept(p *pending) {
	tr.mu.Lock()
	tr.all = append(tr.all, p)
	tr.mu.Unlock()
	tr.wg.Add(1)
	go func() {
		defer tr.wg.Done()
		tr.poll(p)
	}()
}

func (tr *tracker) badReceipt(err error) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.badRcpts = append(tr.badRcpts, err.Error())
}

func (tr *tracker) randomUser(rnd *rand.Rand) string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if len(tr.all) == 0 {
		return ""
	}
	return tr.all[rnd.IntN(len(tr.all))].user
}

// poll asks for the order by its date until it is there. The interval starts
// at 1 ms and grows by half up to 25 ms: fine resolution for fast orders
// without flooding the server while a slow one is awaited, so the measured
// latency overstates the true one by at most about a third.
func (tr *tracker) poll(p *pending) {
	path := "/order/" + url.PathEscape(p.user) + "?orderDate=" + url.QueryEscape(p.orderDate)
	wait := time.Millisecond
	for tr.pollCtx.Err() == nil && time.Now().Before(tr.deadline()) {
		r := tr.t.do(tr.pollCtx, p.user, pollRoute, time.Now(), "GET", path, nil, http.StatusOK, http.StatusNotFound)
		if r.Err == nil && r.Status == http.StatusOK {
			var o struct {
				OrderID string `json:"orderId"`
			}
			if json.Unmarshal(r.Body, &o) == nil && o.OrderID == p.checkoutID {
				tr.t.rec.Record(checkoutOrder, p.accepted, time.Now(), "", "")
				tr.mu.Lock()
				p.seen = true
				tr.mu.Unlock()
				return
			}
		}
		if !sleepUntil(tr.pollCtx, time.Now().Add(wait)) {
			return
		}
		wait = min(wait*3/2, 25*time.Millisecond)
	}
}

// CheckoutResult is the end-of-run check of every accepted checkout.
type CheckoutResult struct {
	Ran bool `json:"ran"`
	// Accepted checkouts (202), and how many of them were found to be
	// exactly one order with orderId = checkoutId and the expected total.
	Accepted int `json:"accepted"`
	Verified int `json:"verified"`
	// Missing: no order with that id; Duplicate: more than one order for the
	// user (each checkout has a user of its own); WrongTotal: the order's or
	// the receipt's total is not Σ price × quantity of the basket.
	Missing    int      `json:"missing"`
	Duplicate  int      `json:"duplicate"`
	WrongTotal int      `json:"wrongTotal"`
	BadReceipt int      `json:"badReceipt"`
	Problems   []string `json:"problems,omitempty"`
	OK         bool     `json:"ok"`
}

// verify waits for the pollers, then lists each user's orders.
func (tr *tracker) verify(ctx context.Context, workers int) CheckoutResult {
	tr.wg.Wait()
	tr.mu.Lock()
	all := tr.all
	res := CheckoutResult{Ran: true, Accepted: len(all), BadReceipt: len(tr.badRcpts)}
	for _, e := range tr.badRcpts {
		res.Problems = appendCapped(res.Problems, e)
	}
	tr.mu.Unlock()

	var mu sync.Mutex
	jobs := make(chan *pending)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range jobs {
				problem, kind := tr.check(ctx, p)
				mu.Lock()
				switch kind {
				case "":
					res.Verified++
				case "missing":
					res.Missing++
				case "duplicate":
					res.Duplicate++
				case "total":
					res.WrongTotal++
				}
				if problem != "" {
					res.Problems = appendCapped(res.Problems, problem)
				}
				mu.Unlock()
			}
		}()
	}
	for _, p := range all {
		jobs <- p
	}
	close(jobs)
	wg.Wait()
	res.OK = res.Verified == res.Accepted && res.BadReceipt == 0
	return res
}

func appendCapped(l []string, s string) []string {
	if len(l) < 20 {
		return append(l, s)
	}
	return l
}

// check returns a problem and its kind, or "" if p became exactly one order
// with the expected total.
func (tr *tracker) check(ctx context.Context, p *pending) (string, string) {
	if p.receipt != p.want {
		return fmt.Sprintf("checkout %s: receipt total %s, want %s", p.checkoutID, p.receipt, p.want), "total"
	}
	r := tr.t.send(ctx, p.user, "GET", "/order/"+url.PathEscape(p.user), nil)
	var l struct {
		Items []struct {
			OrderID    string       `json:"orderId"`
			TotalPrice money.Amount `json:"totalPrice"`
		} `json:"items"`
	}
	if r.Err != nil || r.Status != http.StatusOK || json.Unmarshal(r.Body, &l) != nil {
		return fmt.Sprintf("GET /order/%s: %d %s %v", p.user, r.Status, truncate(r.Body, 200), r.Err), "missing"
	}
	found := 0
	var got money.Amount
	for _, o := range l.Items {
		if o.OrderID == p.checkoutID {
			found++
			got = o.TotalPrice
		}
	}
	switch {
	case found == 0:
		return fmt.Sprintf("checkout %s of %s: no order", p.checkoutID, p.user), "missing"
	case found > 1 || len(l.Items) > 1:
		return fmt.Sprintf("checkout %s of %s: %d orders for the user", p.checkoutID, p.user, len(l.Items)), "duplicate"
	case got != p.want:
		return fmt.Sprintf("order %s: total %s, want %s", p.checkoutID, got, p.want), "total"
	}
	return "", ""
}
