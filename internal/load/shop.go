package load

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/serverless-shop/shop/platform/money"
)

// categories the seeded products spread over, for the browse route.
const categories = 10

// maxBasketProducts is how many seeded products baskets draw from: one probe
// basket (at most basket.MaxItems lines) can show they are all priced.
const maxBasketProducts = 100

// product is a seeded product and its exact price.
type product struct {
	ID    string
	Price money.Amount
}

// productInput is the body of POST /product.
type productInput struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	ImageFile   string          `json:"imageFile"`
	Price       json.RawMessage `json:"price"`
	Category    string          `json:"category"`
}

func newProductInput(rnd *rand.Rand, n int64) (productInput, money.Amount) {
	price := money.Amount(100 + rnd.Int64N(200000))
	return productInput{Name: fmt.Sprintf("load product %d", n), Description: "A product made by shopload.",
		ImageFile: "product.png", Price: json.RawMessage(price.String()),
		Category: fmt.Sprintf("load-%d", n%categories)}, price
}

// shop is the state a run against the shop shares between its iterations.
type shop struct {
	t        *target
	runID    string
	products []product // read-only once seeded
	basket   []product // the products baskets use, known to be priced
	users    int       // browsing users (they fill baskets but never check out)
	seq      atomic.Int64
	orders   *tracker
}

// SeedResult reports the seeding of the catalog.
type SeedResult struct {
	Products  int     `json:"products"`
	Errors    int64   `json:"errors"`
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"perSecond"`
	Workers   int     `json:"workers"`
	// Existing is set when the products were read from the catalog
	// (-existing), not created.
	Existing bool `json:"existing,omitempty"`
}

// seed creates n products with workers concurrent POSTs.
func (s *shop) seed(ctx context.Context, n, workers int, deadline time.Duration) (SeedResult, error) {
	ctx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	out := make([]product, n)
	res, err := seedProducts(ctx, n, workers, func(ctx context.Context, i int64, in productInput, price money.Amount) error {
		r := s.t.do(ctx, asAdmin, "seed POST /product", time.Now(), "POST", "/product", in, http.StatusCreated)
		var p struct{ ID string }
		if r.Err == nil {
			r.Err = json.Unmarshal(r.Body, &p)
		}
		if r.Err != nil || p.ID == "" {
			return fmt.Errorf("seed product: %v", r.Err)
		}
		out[i] = product{ID: p.ID, Price: price}
		return nil
	})
	if err == nil && ctx.Err() != nil {
		err = fmt.Errorf("seeding %d products did not finish within %s", n, deadline)
	}
	s.products = out
	return res, err
}

// seedProducts creates products 0 to n-1 with workers goroutines, each
// drawing its products' inputs from a random source of its own; create
// makes product i. The first error create returns stops every worker and
// is returned; a ctx that ends stops them too, without an error.
func seedProducts(ctx context.Context, n, workers int, create func(ctx context.Context, i int64, in productInput, price money.Amount) error) (SeedResult, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	var (
		next     atomic.Int64
		failed   atomic.Int64
		once     sync.Once
		firstErr error
		wg       sync.WaitGroup
	)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(start.UnixNano()), uint64(w)))
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				in, price := newProductInput(rnd, i)
				if err := create(ctx, i, in, price); err != nil {
					failed.Add(1)
					once.Do(func() { firstErr = err; cancel() })
					return
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	return SeedResult{Products: n, Errors: failed.Load(), Seconds: el.Seconds(), PerSecond: float64(n) / el.Seconds(), Workers: workers}, firstErr
}

// basketItem is one line of POST /basket.
type basketItem struct {
	ProductID string `json:"productId"`
	Quantity  int    `json:"quantity"`
	Color     string `json:"color"`
}

type basketInput struct {
	UserName string       `json:"userName"`
	Items    []basketItem `json:"items"`
}

// awaitPriced waits until the basket module has learnt the price of every
// basket product from the catalog's events: until then a checkout could
// rightly be refused, which would be the harness's fault, not the server's.
func (s *shop) awaitPriced(ctx context.Context, timeout time.Duration) error {
	s.basket = s.products[:min(len(s.products), maxBasketProducts)]
	user := s.runID + "-probe"
	in := basketInput{UserName: user}
	var want money.Amount
	for _, p := range s.basket {
		in.Items = append(in.Items, basketItem{ProductID: p.ID, Quantity: 1})
		want += p.Price
	}
	if r := s.t.send(ctx, user, "POST", "/basket", in); r.Err != nil || (r.Status != 200 && r.Status != 201) {
		return fmt.Errorf("POST /basket: %d %s %v (is the basket module wired?)", r.Status, truncate(r.Body, 200), r.Err)
	}
	deadline := time.Now().Add(timeout)
	for {
		r := s.t.send(ctx, user, "GET", "/basket/"+user, nil)
		var b struct {
			TotalPrice money.Amount `json:"totalPrice"`
			Items      []struct {
				Available bool `json:"available"`
			} `json:"items"`
		}
		if r.Err == nil && r.Status == 200 && json.Unmarshal(r.Body, &b) == nil && b.TotalPrice == want {
			s.t.send(ctx, user, "DELETE", "/basket/"+user, nil)
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("basket %s never priced all %d products at %s (last %d %s)", user, len(s.basket), want, r.Status, truncate(r.Body, 200))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *shop) randomProduct(rnd *rand.Rand) product { return s.products[rnd.IntN(len(s.products))] }

// fill returns 1–3 lines of basket products and their exact total.
func (s *shop) fill(rnd *rand.Rand, user string) (basketInput, money.Amount) {
	in := basketInput{UserName: user}
	var total money.Amount
	for _, k := range rnd.Perm(len(s.basket))[:min(1+rnd.IntN(3), len(s.basket))] {
		p, q := s.basket[k], 1+rnd.IntN(3)
		in.Items = append(in.Items, basketItem{ProductID: p.ID, Quantity: q, Color: "Black"})
		total += p.Price * money.Amount(q)
	}
	return in, total
}

func (s *shop) browser(rnd *rand.Rand) string {
	return fmt.Sprintf("%s-b%d", s.runID, rnd.IntN(s.users))
}

func (s *shop) getProduct(ctx context.Context, rnd *rand.Rand, sched time.Time) {
	s.t.do(ctx, anonymous, "GET /product/{id}", sched, "GET", "/product/"+s.randomProduct(rnd).ID, nil, http.StatusOK)
}

// listLimit is the page size of the list scenario (issue 12 measures the
// list route at 50).
const listLimit = 50

func listPath(category string) string {
	return fmt.Sprintf("/product?category=%s&limit=%d", category, listLimit)
}

func (s *shop) listProducts(ctx context.Context, rnd *rand.Rand, sched time.Time) {
	s.t.do(ctx, anonymous, "GET /product?category", sched, "GET", listPath(fmt.Sprintf("load-%d", rnd.IntN(categories))), nil, http.StatusOK)
}

func (s *shop) createProduct(ctx context.Context, rnd *rand.Rand, sched time.Time) {
	in, _ := newProductInput(rnd, s.seq.Add(1))
	s.t.do(ctx, asAdmin, "POST /product", sched, "POST", "/product", in, http.StatusCreated)
}

func (s *shop) putBasket(ctx context.Context, rnd *rand.Rand, sched time.Time) {
	user := s.browser(rnd)
	in, _ := s.fill(rnd, user)
	s.t.do(ctx, user, "POST /basket", sched, "POST", "/basket", in, http.StatusOK, http.StatusCreated)
}

func (s *shop) getBasket(ctx context.Context, rnd *rand.Rand, sched time.Time) {
	// A browser who has not filled a basket yet rightly gets 404.
	user := s.browser(rnd)
	s.t.do(ctx, user, "GET /basket/{user}", sched, "GET", "/basket/"+user, nil, http.StatusOK, http.StatusNotFound)
}

func (s *shop) getOrders(ctx context.Context, rnd *rand.Rand, sched time.Time) {
	user := s.orders.randomUser(rnd)
	if user == "" {
		user = s.browser(rnd)
	}
	s.t.do(ctx, user, "GET /order/{user}", sched, "GET", "/order/"+user, nil, http.StatusOK)
}

// checkout fills a new user's basket and checks it out; the tracker then
// waits for the order.
func (s *shop) checkout(ctx context.Context, rnd *rand.Rand, sched time.Time) {
	user := fmt.Sprintf("%s-c%d", s.runID, s.seq.Add(1))
	in, total := s.fill(rnd, user)
	if r := s.t.do(ctx, user, "POST /basket", sched, "POST", "/basket", in, http.StatusCreated); r.Err != nil {
		return
	}
	r := s.t.do(ctx, user, "POST /basket/checkout", time.Now(), "POST", "/basket/checkout", checkoutInput(user), http.StatusAccepted)
	accepted := time.Now()
	if r.Err != nil {
		return
	}
	var rc struct {
		CheckoutID string       `json:"checkoutId"`
		OrderDate  string       `json:"orderDate"`
		TotalPrice money.Amount `json:"totalPrice"`
	}
	if err := json.Unmarshal(r.Body, &rc); err != nil || rc.CheckoutID == "" {
		s.orders.badReceipt(errors.Join(err, fmt.Errorf("receipt %s", truncate(r.Body, 200))))
		return
	}
	s.orders.accept(&pending{user: user, checkoutID: rc.CheckoutID, orderDate: rc.OrderDate,
		want: total, receipt: rc.TotalPrice, accepted: accepted})
}

func checkoutInput(user string) map[string]any {
	return map[string]any{"userName": user, "firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com",
		"address": "London", "paymentMethod": 1, "cardInfo": "5554443322", "totalPrice": 0}
}

// weighted is one entry of a mix.
type weighted struct {
	weight int
	fn     op
}

// mix picks one of ops by weight per iteration.
func mix(ops ...weighted) op {
	total := 0
	for _, o := range ops {
		total += o.weight
	}
	return func(ctx context.Context, rnd *rand.Rand, sched time.Time) {
		n := rnd.IntN(total)
		for _, o := range ops {
			if n < o.weight {
				o.fn(ctx, rnd, sched)
				return
			}
			n -= o.weight
		}
	}
}

// realistic is the default mix: mostly browsing and reading products, some
// basket traffic, and one iteration in twenty a full checkout.
func (s *shop) realistic() op {
	return mix(
		weighted{45, s.getProduct},
		weighted{15, s.listProducts},
		weighted{5, s.createProduct},
		weighted{15, s.putBasket},
		weighted{10, s.getBasket},
		weighted{5, s.checkout},
		weighted{5, s.getOrders},
	)
}

// existing reads up to n products already in the catalog, page by page,
// instead of creating them: a catalog seeded once (a million products takes
// minutes) can then be measured again and again.
func (s *shop) existing(ctx context.Context, n int) (SeedResult, error) {
	start := time.Now()
	cursor := ""
	for len(s.products) < n {
		path := "/product?limit=1000"
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		r := s.t.send(ctx, anonymous, "GET", path, nil)
		var pg struct {
			Items []struct {
				ID    string       `json:"id"`
				Price money.Amount `json:"price"`
			} `json:"items"`
			NextCursor string `json:"nextCursor"`
		}
		if r.Err != nil || r.Status != http.StatusOK || json.Unmarshal(r.Body, &pg) != nil {
			return SeedResult{}, fmt.Errorf("GET %s: %d %s %v", path, r.Status, truncate(r.Body, 200), r.Err)
		}
		for _, p := range pg.Items {
			s.products = append(s.products, product{ID: p.ID, Price: p.Price})
		}
		if pg.NextCursor == "" {
			break
		}
		cursor = pg.NextCursor
	}
	s.products = s.products[:min(len(s.products), n)]
	if len(s.products) == 0 {
		return SeedResult{}, errors.New("-existing: the catalog is empty")
	}
	return SeedResult{Products: len(s.products), Seconds: time.Since(start).Seconds(), Existing: true}, nil
}
