package main_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/serverless-shop/shop/internal/shoptest"
)

type basketLine struct {
	ProductID   string `json:"productId"`
	ProductName string `json:"productName"`
	Quantity    int    `json:"quantity"`
	Price       any    `json:"price"`
	LineTotal   any    `json:"lineTotal"`
	Available   bool   `json:"available"`
}

type basketBody struct {
	UserName   string       `json:"userName"`
	Items      []basketLine `json:"items"`
	TotalPrice any          `json:"totalPrice"`
}

type checkoutBody struct {
	CheckoutID string `json:"checkoutId"`
	TotalPrice any    `json:"totalPrice"`
}

type orderBody struct {
	UserName   string `json:"userName"`
	OrderDate  string `json:"orderDate"`
	OrderID    string `json:"orderId"`
	TotalPrice any    `json:"totalPrice"`
	Status     string `json:"status"`
	CardLast4  string `json:"cardLast4"`
	Items      []struct {
		ProductID string `json:"productId"`
		Quantity  int    `json:"quantity"`
		UnitPrice any    `json:"unitPrice"`
		LineTotal any    `json:"lineTotal"`
	} `json:"items"`
}

func mustProduct(t *testing.T, shop *shoptest.Shop, name, price string) string {
	t.Helper()
	var p productBody
	shop.AsAdmin(t).Must(t, http.StatusCreated, "POST", "/product",
		fmt.Sprintf(`{"name":%q,"price":%s,"category":"Phone"}`, name, price)).Decode(t, &p)
	return p.ID
}

// awaitTotal waits until user's basket's total, priced from the basket's
// read model of the catalog, is want.
func awaitTotal(t *testing.T, shop *shoptest.Shop, user, want string) {
	t.Helper()
	shop = shop.As(t, user)
	var b basketBody
	shoptest.Eventually(t, 30*time.Second, func() bool {
		r := shop.Do(t, "GET", "/basket/"+user, nil)
		b = basketBody{}
		return r.Status == http.StatusOK && decodes(r, &b) && fmt.Sprint(b.TotalPrice) == want
	}, "basket %s total never became %s (last %+v)", user, want, &b)
}

func decodes(r shoptest.Response, v any) bool {
	return json.Unmarshal(r.Body, v) == nil
}

func userOrders(t *testing.T, shop *shoptest.Shop, user string) []orderBody {
	t.Helper()
	var l list[orderBody]
	shop.As(t, user).Must(t, http.StatusOK, "GET", "/order/"+user, nil).Decode(t, &l)
	return l.Items
}

// awaitOrders waits until user has an order, within timeout, and returns
// user's orders; format and args say what failed otherwise.
func awaitOrders(t *testing.T, shop *shoptest.Shop, user string, timeout time.Duration, format string, args ...any) []orderBody {
	t.Helper()
	var orders []orderBody
	shoptest.Eventually(t, timeout, func() bool {
		orders = userOrders(t, shop, user)
		return len(orders) > 0
	}, format, args...)
	return orders
}

func checkoutRequest(user string) string {
	return fmt.Sprintf(`{"userName":%q,"firstName":"Ada","lastName":"Lovelace","email":"ada@example.com","address":"London","paymentMethod":1,"cardInfo":"5554443322","totalPrice":0}`, user)
}

// TestCheckoutFlow goes product → basket → price change → checkout → order
// over HTTP against the real binary.
func TestCheckoutFlow(t *testing.T) {
	checkoutFlow(t, shoptest.Start(t, bin, "SHOP_DATA_DIR="+t.TempDir()))
}

// checkoutFlow is the whole journey, whatever store and bus the shop runs on.
func checkoutFlow(t *testing.T, shop *shoptest.Shop) {
	t.Helper()
	phone := mustProduct(t, shop, "IPhone X", "950.40")
	cable := mustProduct(t, shop, "Cable", "10")
	admin, swn := shop.AsAdmin(t), shop.As(t, "swn")

	swn.Must(t, http.StatusCreated, "POST", "/basket", fmt.Sprintf(
		`{"userName":"swn","items":[{"productId":%q,"quantity":2,"color":"Black","price":1,"productName":"cheap?"},{"productId":%q,"quantity":3,"color":"White","price":0,"productName":"x"}]}`,
		phone, cable))
	awaitTotal(t, shop, "swn", "1930.8") // 2 × 950.40 + 3 × 10.00, not the client's prices

	admin.Must(t, http.StatusOK, "PUT", "/product/"+phone, `{"price":899.99}`)
	awaitTotal(t, shop, "swn", "1829.98") // 2 × 899.99 + 3 × 10.00

	var co checkoutBody
	swn.Must(t, http.StatusAccepted, "POST", "/basket/checkout", checkoutRequest("swn")).Decode(t, &co)
	if co.CheckoutID == "" {
		t.Fatal("checkout answered no checkoutId")
	}
	var again checkoutBody
	swn.Must(t, http.StatusAccepted, "POST", "/basket/checkout", checkoutRequest("swn")).Decode(t, &again)
	if again.CheckoutID != co.CheckoutID {
		t.Errorf("retried checkout got %s, want the same checkoutId %s", again.CheckoutID, co.CheckoutID)
	}

	orders := awaitOrders(t, shop, "swn", 30*time.Second, "no order appeared")
	if len(orders) != 1 {
		t.Fatalf("got %d orders, want 1: %+v", len(orders), orders)
	}
	o := orders[0]
	if o.OrderID != co.CheckoutID || fmt.Sprint(o.TotalPrice) != "1829.98" || o.Status != "Submitted" || len(o.Items) != 2 {
		t.Errorf("order %+v: want orderId %s, total 1829.98, status Submitted, 2 lines", o, co.CheckoutID)
	}
	if o.CardLast4 != "3322" {
		t.Errorf("cardLast4 = %q, want 3322", o.CardLast4)
	}
	swn.Must(t, http.StatusNotFound, "GET", "/basket/swn", nil)

	var one orderBody
	swn.Must(t, http.StatusOK, "GET", "/order/swn?orderDate="+url.QueryEscape(o.OrderDate), nil).Decode(t, &one)
	if one.OrderID != o.OrderID {
		t.Errorf("order by date: got %s, want %s", one.OrderID, o.OrderID)
	}
	swn.Must(t, http.StatusNotFound, "GET", "/order/swn?orderDate="+url.QueryEscape("2001-01-01T00:00:00Z"), nil)
}

func TestCheckoutRejections(t *testing.T) {
	shop := shoptest.Start(t, bin, "SHOP_DATA_DIR="+t.TempDir())
	gone := mustProduct(t, shop, "Gone", "5")
	nobody, empty, late := shop.As(t, "nobody"), shop.As(t, "empty"), shop.As(t, "late")
	nobody.Must(t, http.StatusBadRequest, "POST", "/basket/checkout", `{"firstName":"Ada","paymentMethod":"card"}`)
	nobody.Must(t, http.StatusNotFound, "POST", "/basket/checkout", checkoutRequest("nobody"))

	empty.Must(t, http.StatusCreated, "POST", "/basket", `{"userName":"empty","items":[]}`)
	empty.Must(t, http.StatusUnprocessableEntity, "POST", "/basket/checkout", checkoutRequest("empty"))

	late.Must(t, http.StatusCreated, "POST", "/basket", fmt.Sprintf(`{"userName":"late","items":[{"productId":%q,"quantity":1}]}`, gone))
	awaitTotal(t, shop, "late", "5")
	shop.AsAdmin(t).Must(t, http.StatusNoContent, "DELETE", "/product/"+gone, nil)
	awaitTotal(t, shop, "late", "0") // the deleted line is unavailable and priced at nothing
	late.Must(t, http.StatusUnprocessableEntity, "POST", "/basket/checkout", checkoutRequest("late"))
	late.Must(t, http.StatusOK, "GET", "/basket/late", nil)
}
