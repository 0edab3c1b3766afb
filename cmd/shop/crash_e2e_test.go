package main_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/serverless-shop/shop/internal/shoptest"
	"github.com/serverless-shop/shop/platform/outbox"
)

// TestCheckoutsSurviveSIGKILL kills the binary while many checkouts are in
// flight, restarts it on the same data directory, and shows that every
// checkout answered 202 became exactly one order, and that no basket
// vanished without its order. It asserts that the kill did cut requests
// off mid-exchange, or it would prove nothing.
func TestCheckoutsSurviveSIGKILL(t *testing.T) {
	const users = 60
	dir := t.TempDir()
	shop := shoptest.Start(t, bin, "SHOP_DATA_DIR="+dir)
	phone := mustProduct(t, shop, "IPhone X", "950.40")
	for i := range users {
		shop.As(t, fmt.Sprint("u", i)).Must(t, http.StatusCreated, "POST", "/basket",
			fmt.Sprintf(`{"userName":"u%d","items":[{"productId":%q,"quantity":%d}]}`, i, phone, i%3+1))
	}
	for i := range users {
		awaitTotal(t, shop, fmt.Sprint("u", i), []string{"950.4", "1900.8", "2851.2"}[i%3])
	}

	var (
		mu       sync.Mutex
		accepted = map[string]string{} // user → checkoutId
		answered atomic.Int32
		cutOff   atomic.Int32 // requests the kill cut off after they were sent
		kill     sync.Once
		killed   = make(chan struct{})
		lanes    = make(chan struct{}, 4)
		wg       sync.WaitGroup
	)
	for i := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			user := fmt.Sprint("u", i)
			// A few at a time, so the checkouts are a stream, not one
			// burst that a single batched commit answers all at once: the
			// kill then lands while some are being served.
			lanes <- struct{}{}
			r, err := shop.As(t, user).TryDo("POST", "/basket/checkout", checkoutRequest(user))
			<-lanes
			if err != nil && !errors.Is(err, syscall.ECONNREFUSED) {
				cutOff.Add(1) // connected, then the process died under it
			}
			if err != nil || r.Status != http.StatusAccepted {
				return // the kill cut it off: it may or may not have committed
			}
			// The kill comes from the goroutine that saw the users/3-th
			// answer, at once, while the others are still being served.
			if answered.Add(1) >= users/3 {
				kill.Do(func() { shop.Kill(); close(killed) })
			}
			var co checkoutBody
			if err := json.Unmarshal(r.Body, &co); err != nil || co.CheckoutID == "" {
				t.Errorf("%s: 202 without a checkoutId: %s", user, r.Body)
			}
			mu.Lock()
			accepted[user] = co.CheckoutID
			mu.Unlock()
		}()
	}
	select {
	case <-killed:
	case <-time.After(60 * time.Second):
		t.Fatal("fewer than a third of the checkouts answered 202")
	}
	wg.Wait()
	// Work in flight at the kill: requests cut off mid-exchange, or
	// checkouts whose events the relay had not yet delivered.
	undelivered := outboxEvents(t, dir)
	t.Logf("%d of %d checkouts answered 202 before SIGKILL; %d requests cut off in flight, %d events undelivered in the outbox",
		len(accepted), users, cutOff.Load(), undelivered)
	if cutOff.Load() == 0 && undelivered == 0 {
		t.Fatal("no request and no event was in flight at the kill: the test proved nothing")
	}

	shop = shoptest.Start(t, bin, "SHOP_DATA_DIR="+dir)
	for i := range users {
		user := fmt.Sprint("u", i)
		basketGone := func() bool { return shop.As(t, user).Do(t, "GET", "/basket/"+user, nil).Status == http.StatusNotFound }
		id, ok := accepted[user]
		if !ok && !basketGone() {
			// Never committed: the basket is intact and has no order.
			if n := len(userOrders(t, shop, user)); n != 0 {
				t.Errorf("%s: basket intact but %d orders", user, n)
			}
			continue
		}
		// Committed (answered or not): the basket is gone and exactly one order follows.
		orders := awaitOrders(t, shop, user, 30*time.Second, "%s: checkout committed but no order appeared", user)
		if len(orders) != 1 {
			t.Errorf("%s: %d orders, want exactly 1", user, len(orders))
		}
		if ok && orders[0].OrderID != id {
			t.Errorf("%s: order %s, want the acknowledged checkout %s", user, orders[0].OrderID, id)
		}
		if !basketGone() {
			t.Errorf("%s: order placed but the basket is still open", user)
		}
	}
}

// outboxEvents counts the events waiting in the outboxes of the bbolt files
// in dir, read while no process has them open.
func outboxEvents(t *testing.T, dir string) int {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.db"))
	n := 0
	for _, path := range files {
		db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
		if err != nil {
			t.Fatalf("open %s: %v", path, err)
		}
		_ = db.View(func(tx *bbolt.Tx) error {
			if b := tx.Bucket(outbox.Bucket); b != nil {
				n += b.Stats().KeyN
			}
			return nil
		})
		db.Close()
	}
	return n
}
