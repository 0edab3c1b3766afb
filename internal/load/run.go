// Package load drives a running shop over HTTP and measures it: throughput,
// latency percentiles and errors per route, the time from an accepted
// checkout to a readable order, the server's resident memory and its start
// time. Only loopback targets are accepted, and every run is bounded.
package load

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Limits that bound every run.
const (
	MaxDuration     = 10 * time.Minute
	MaxN            = 10_000_000
	MaxSeedProducts = 2_000_000
	MaxSeedTimeout  = 30 * time.Minute
	MaxWorkers      = 4096
	MaxRate         = 100_000
)

// Scenarios lists what Config.Scenario may name.
var Scenarios = []string{"mix", "get-product", "list-products", "create-product", "put-basket", "checkout", "ceiling", "list-ceiling", "seed", "startup"}

// Config is one run.
type Config struct {
	URL      string
	Scenario string
	Rate     float64 // iterations/s; 0 = closed loop
	Workers  int
	Duration time.Duration
	N        int64 // iterations (startup: process starts); 0 = until Duration
	Timeout  time.Duration

	SeedProducts int
	SeedWorkers  int
	SeedTimeout  time.Duration
	Existing     bool // read the products from the catalog instead of creating them
	Users        int  // browsing users of the mix and put-basket

	VerifyTimeout time.Duration // how long to wait for orders after the run
	PID           int           // sample this process's VmRSS
	ServerBin     string        // start this shop binary (and stop it after)
	// DataDir is the shop's SHOP_DATA_DIR, whose dev key signs the tokens
	// the run sends: with ServerBin the one it is started with (a temporary
	// one if empty), else the running shop's (required unless the run only
	// reads an existing catalog).
	DataDir   string
	ServerEnv []string // extra environment for ServerBin
	// MetricsURL is the shop's operator listener (SHOP_ADMIN_ADDR), whose
	// /metrics is scraped before and after the run for the bus's delivery
	// lag. With ServerBin it is the one the shop is started with.
	MetricsURL string
	// DynamoDB is a DynamoDB Local endpoint (loopback): with ServerBin the
	// shop runs on it, on tables of the run's own; with PID it only says
	// where to count the server's connections to.
	DynamoDB string
	// DrainTimeout bounds the wait for the run's event work to drain
	// before the server's CPU time is read again.
	DrainTimeout time.Duration
}

// Validate checks the bounds.
func (c *Config) Validate() error {
	switch {
	case !contains(Scenarios, c.Scenario):
		return fmt.Errorf("unknown scenario %q (one of %v)", c.Scenario, Scenarios)
	case c.Duration <= 0 || c.Duration > MaxDuration:
		return fmt.Errorf("-duration must be in (0, %s]", MaxDuration)
	case c.N < 0 || c.N > MaxN:
		return fmt.Errorf("-n must be from 0 to %d", MaxN)
	case c.Workers < 1 || c.Workers > MaxWorkers || c.SeedWorkers < 1 || c.SeedWorkers > MaxWorkers:
		return fmt.Errorf("-c and -seed-c must be from 1 to %d", MaxWorkers)
	case c.Rate < 0 || c.Rate > MaxRate:
		return fmt.Errorf("-rate must be from 0 to %d", MaxRate)
	case c.SeedProducts < 1 || c.SeedProducts > MaxSeedProducts:
		return fmt.Errorf("-seed-products must be from 1 to %d", MaxSeedProducts)
	case c.SeedTimeout <= 0 || c.SeedTimeout > MaxSeedTimeout:
		return fmt.Errorf("-seed-timeout must be in (0, %s]", MaxSeedTimeout)
	case c.Users < 1:
		return errors.New("-users must be positive")
	case c.Scenario == "startup" && c.ServerBin == "":
		return errors.New("scenario startup needs -server-bin")
	case c.DynamoDB != "" && c.ServerBin == "" && c.PID == 0:
		return errors.New("-dynamodb needs -server-bin (run the shop on it) or -pid (count that process's connections to it)")
	case c.DrainTimeout < 0 || c.DrainTimeout > MaxDuration:
		return fmt.Errorf("-drain-timeout must be from 0 to %s", MaxDuration)
	}
	if c.MetricsURL != "" {
		if err := CheckLoopback(c.MetricsURL); err != nil {
			return fmt.Errorf("-metrics-url: %w", err)
		}
	}
	if c.ServerBin != "" {
		return nil
	}
	if err := CheckLoopback(c.URL); err != nil {
		return err
	}
	if c.DataDir == "" && c.signsIn() {
		return fmt.Errorf("scenario %s sends requests as the admin and as users: pass -data-dir with the running shop's SHOP_DATA_DIR, whose dev key signs their tokens (or start the shop with -server-bin)", c.Scenario)
	}
	return nil
}

func contains(l []string, s string) bool {
	for _, v := range l {
		if v == s {
			return true
		}
	}
	return false
}

// Result is everything a run measured; it is what -out writes.
type Result struct {
	Scenario        string          `json:"scenario"`
	URL             string          `json:"url"`
	StartedAt       time.Time       `json:"startedAt"`
	Rate            float64         `json:"rate,omitempty"`
	Workers         int             `json:"workers"`
	DurationSeconds float64         `json:"durationSeconds"`
	ElapsedSeconds  float64         `json:"elapsedSeconds"`
	Seed            *SeedResult     `json:"seed,omitempty"`
	Routes          []RouteResult   `json:"routes"`
	Errors          int64           `json:"errors"`
	Checkout        *CheckoutResult `json:"checkout,omitempty"`
	Ceiling         *CeilingResult  `json:"ceiling,omitempty"`
	RSS             *RSSResult      `json:"rss,omitempty"`
	Startup         *StartupResult  `json:"startup,omitempty"`
	BusLag          []BusLagResult  `json:"busLag,omitempty"`
	Server          *ServerResult   `json:"server,omitempty"`
}

// Run performs the run c describes. A returned error means the run could not
// be carried out; errors of the server are counted in the Result.
func Run(ctx context.Context, c Config) (*Result, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	res := &Result{Scenario: c.Scenario, URL: c.URL, StartedAt: time.Now().UTC(), Rate: c.Rate,
		Workers: c.Workers, DurationSeconds: c.Duration.Seconds()}
	id := runID()
	var dyn *dynamoRun
	if c.DynamoDB != "" {
		var err error
		if dyn, err = newDynamoRun(c.DynamoDB, id); err != nil {
			return nil, err
		}
	}
	if c.ServerBin != "" {
		if dyn != nil {
			c.ServerEnv = append(dyn.env(id), c.ServerEnv...)
			// Deferred before the server's stop, so it runs after it.
			defer func() { _ = dyn.cleanup() }()
		}
		if c.DataDir == "" {
			dir, err := os.MkdirTemp("", "shopload-data")
			if err != nil {
				return nil, err
			}
			defer os.RemoveAll(dir)
			c.DataDir = dir
		}
		if c.Scenario == "startup" {
			runs := int(c.N)
			if runs == 0 {
				runs = 5
			}
			st, err := measureStartup(ctx, c.ServerBin, c.DataDir, c.ServerEnv, runs)
			res.Startup, res.URL = st, "exec "+c.ServerBin
			return res, err
		}
		if c.MetricsURL == "" && !slices.ContainsFunc(c.ServerEnv, func(kv string) bool { return strings.HasPrefix(kv, "SHOP_ADMIN_ADDR=") }) {
			port, err := freePort()
			if err != nil {
				return nil, err
			}
			addr := "127.0.0.1:" + strconv.Itoa(port)
			c.ServerEnv = append(slices.Clip(c.ServerEnv), "SHOP_ADMIN_ADDR="+addr)
			c.MetricsURL = "http://" + addr
		}
		s, err := startServer(c.ServerBin, c.DataDir, c.ServerEnv)
		if err != nil {
			return nil, err
		}
		defer func() { _ = s.stop() }()
		if err := s.awaitReady(60 * time.Second); err != nil {
			return nil, err
		}
		c.URL, res.URL = s.URL, s.URL
		if c.PID == 0 {
			c.PID = s.cmd.Process.Pid
		}
	}

	tok, err := loadTokens(c)
	if err != nil {
		return nil, err
	}

	// Pollers of pending orders share the pool; leave them some room.
	client := NewClient(max(c.Workers, c.SeedWorkers)+32, c.Timeout)
	t := &target{base: c.URL, client: client, rec: NewRecorder(time.Now()), tokens: tok}
	sh := &shop{t: t, runID: id, users: c.Users}

	var seedRes SeedResult
	if c.Existing {
		seedRes, err = sh.existing(ctx, c.SeedProducts)
	} else {
		seedRes, err = sh.seed(ctx, c.SeedProducts, c.SeedWorkers, c.SeedTimeout)
	}
	res.Seed = &seedRes
	if err != nil {
		return res, err
	}
	if c.Scenario == "seed" {
		res.Routes = t.rec.Results(time.Duration(seedRes.Seconds * float64(time.Second)))
		return res, nil
	}
	var fn op
	baskets := true
	switch c.Scenario {
	case "mix":
		fn = sh.realistic()
	case "get-product", "ceiling":
		fn, baskets = sh.getProduct, false
	case "list-products", "list-ceiling":
		fn, baskets = sh.listProducts, false
	case "create-product":
		fn, baskets = sh.createProduct, false
	case "put-basket":
		fn = sh.putBasket
	case "checkout":
		fn = sh.checkout
	}
	if baskets {
		if err := sh.awaitPriced(ctx, 60*time.Second); err != nil {
			return res, err
		}
	}

	var lagBefore map[string]lagHist
	if c.MetricsURL != "" {
		if lagBefore, err = scrapeLag(ctx, client, c.MetricsURL); err != nil {
			return res, err
		}
	}
	// The measured run gets a fresh recorder: seeding is not part of it.
	t.rec = NewRecorder(time.Now())
	var runEnd atomic.Pointer[time.Time]
	sh.orders = &tracker{t: t, pollCtx: ctx, deadline: func() time.Time {
		if e := runEnd.Load(); e != nil {
			return e.Add(c.VerifyTimeout)
		}
		return time.Now().Add(time.Hour)
	}}
	p := pace{Workers: c.Workers, Rate: c.Rate, Duration: c.Duration, N: c.N}

	rssCtx, stopRSS := context.WithCancel(ctx)
	var rss *RSSResult
	var rssWG sync.WaitGroup
	if c.PID > 0 {
		rssWG.Add(1)
		go func() { defer rssWG.Done(); rss = sampleRSS(rssCtx, c.PID) }()
	}
	var meter *serverMeter
	if c.PID > 0 {
		if meter, err = startMeter(ctx, c.PID, dyn); err != nil {
			stopRSS()
			return res, fmt.Errorf("server pid %d: %w", c.PID, err)
		}
	}
	var (
		elapsed   time.Duration
		bare      *ceilingRun
		ceilingEr error
	)
	cl, isCeiling := ceilings[c.Scenario]
	if isCeiling {
		elapsed, bare, ceilingEr = runCeiling(ctx, cl, sh, p)
	} else {
		elapsed = drive(ctx, p, fn)
	}
	end := time.Now()
	if meter != nil {
		var n int64
		for _, r := range t.rec.Results(elapsed) {
			n += r.Count
		}
		meter.runEnded(n)
		// Before the orders are awaited: their polling is the harness's
		// work, not the run's.
		if res.Server, err = meter.finish(ctx, client, c.MetricsURL, end, c.DrainTimeout); err != nil {
			stopRSS()
			return res, err
		}
	}
	stopRSS()
	rssWG.Wait()
	res.RSS = rss
	runEnd.Store(&end)
	res.ElapsedSeconds = elapsed.Seconds()

	if c.Scenario == "mix" || c.Scenario == "checkout" {
		cr := sh.orders.verify(ctx, 16)
		res.Checkout = &cr
	}
	res.Routes = t.rec.Results(elapsed)

	if isCeiling {
		if ceilingEr != nil {
			return res, ceilingEr
		}
		cr, routes := bare.compare(res.Routes)
		res.Ceiling = cr
		res.Routes = append(res.Routes, routes...)
	}
	for _, r := range res.Routes {
		res.Errors += r.Errors
	}
	if c.MetricsURL != "" {
		// After the orders were awaited, so their deliveries are counted.
		lagAfter, err := scrapeLag(ctx, client, c.MetricsURL)
		if err != nil {
			return res, err
		}
		res.BusLag = busLag(lagBefore, lagAfter)
	}
	return res, ctx.Err()
}

func runID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return "load-" + hex.EncodeToString(b)
}
