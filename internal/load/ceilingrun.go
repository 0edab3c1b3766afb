package load

import (
	"context"
	"net/http"
	"time"
)

// ceilingRounds is how many times a ceiling scenario alternates between
// the shop and the bare server, so that a noisy second on a shared machine
// weighs on both sides alike.
const ceilingRounds = 6

// ceiling is one ceiling scenario: a route of the shop, the iteration that
// requests it, and the bare chi route answering the same from memory.
type ceiling struct {
	route string
	fn    func(*shop) op
	// bare returns the bare route's pattern and handler; it may read what
	// it serves from the seeded shop.
	bare func(ctx context.Context, sh *shop) (pattern string, h http.HandlerFunc, err error)
}

// ceilings are the ceiling scenarios by name.
var ceilings = map[string]ceiling{
	"ceiling": {route: "GET /product/{id}", fn: func(s *shop) op { return s.getProduct },
		bare: func(context.Context, *shop) (string, http.HandlerFunc, error) {
			return "/product/{id}", serveJSON(ceilingProduct), nil
		}},
	"list-ceiling": {route: "GET /product?category", fn: func(s *shop) op { return s.listProducts },
		bare: func(ctx context.Context, sh *shop) (string, http.HandlerFunc, error) {
			pages, err := sh.readPages(ctx)
			return "/product", servePages(pages), err
		}},
}

// ceilingRun is the bare server's side of a ceiling scenario.
type ceilingRun struct {
	route   string
	url     string
	rec     *Recorder
	elapsed time.Duration
}

// runCeiling drives the same iterations of c, with the same client and
// pace, alternately against the shop and the bare server. It returns the
// time spent on the shop, whose requests sh records as usual.
func runCeiling(ctx context.Context, c ceiling, sh *shop, p pace) (time.Duration, *ceilingRun, error) {
	pattern, h, err := c.bare(ctx, sh)
	if err != nil {
		return 0, nil, err
	}
	url, stop, err := startBare(pattern, h)
	if err != nil {
		return 0, nil, err
	}
	defer stop()
	run := &ceilingRun{route: c.route, url: url, rec: NewRecorder(time.Now())}
	bareShop := &shop{t: &target{base: url, client: sh.t.client, rec: run.rec}, products: sh.products}
	round := p
	round.Duration, round.N = p.Duration/ceilingRounds, p.N/ceilingRounds
	var shopElapsed time.Duration
	for range ceilingRounds {
		shopElapsed += drive(ctx, round, c.fn(sh))
		run.elapsed += drive(ctx, round, c.fn(bareShop))
	}
	return shopElapsed, run, ctx.Err()
}

// compare puts the bare server's throughput next to the shop's.
func (c *ceilingRun) compare(shopRoutes []RouteResult) (*CeilingResult, []RouteResult) {
	routes := c.rec.Results(c.elapsed)
	cr := &CeilingResult{Route: c.route, URL: c.url}
	for i := range routes {
		cr.BarePerSecond = routes[i].PerSecond
		routes[i].Route = "bare chi " + routes[i].Route
	}
	for _, r := range shopRoutes {
		if r.Route == c.route {
			cr.ShopPerSecond = r.PerSecond
		}
	}
	if cr.BarePerSecond > 0 {
		cr.Ratio = cr.ShopPerSecond / cr.BarePerSecond
	}
	return cr, routes
}
