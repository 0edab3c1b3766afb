package main_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/serverless-shop/shop/internal/shoptest"
)

// TestCheckoutsSurviveSIGKILL kills the binary while many checkouts are in
// flight, restarts it on the same data directory, and shows that every
// checkout answered 202 became exactly one order, and that no basket
// vanished without its order.
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
		wg       sync.WaitGroup
	)
	for i := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			user := fmt.Sprint("u", i)
			r, err := shop.As(t, user).TryDo("POST", "/basket/checkout", checkoutRequest(user))
			if err != nil || r.Status != http.StatusAccepted {
				return // the kill cut it off: it may or may not have committed
			}
			answered.Add(1)
			var co checkoutBody
			if err := json.Unmarshal(r.Body, &co); err != nil || co.CheckoutID == "" {
				t.Errorf("%s: 202 without a checkoutId: %s", user, r.Body)
			}
			mu.Lock()
			accepted[user] = co.CheckoutID
			mu.Unlock()
		}()
	}
	shoptest.Eventually(t, 30*time.Second, func() bool { return answered.Load() >= users/3 }, "no checkouts answered")
	shop.Kill()
	wg.Wait()
	t.Logf("%d of %d checkouts answered 202 before SIGKILL", len(accepted), users)

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
		var orders []orderBody
		shoptest.Eventually(t, 30*time.Second, func() bool {
			orders = userOrders(t, shop, user)
			return len(orders) > 0
		}, "%s: checkout committed but no order appeared", user)
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
