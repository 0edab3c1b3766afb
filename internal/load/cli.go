package load

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
)

// stringList is a repeatable flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// Main parses args (without the program name), runs and reports. It returns
// the exit code: 0 when the run had no errors and every checkout checked
// out, 1 when the server erred, 2 when the run could not be carried out.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("shopload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c Config
	var env stringList
	fs.StringVar(&c.URL, "url", "http://127.0.0.1:8080", "shop to load; must be loopback")
	fs.StringVar(&c.Scenario, "scenario", "mix", "one of "+strings.Join(Scenarios, ", "))
	fs.Float64Var(&c.Rate, "rate", 0, "iterations per second, open loop; 0 runs flat out (closed loop)")
	fs.IntVar(&c.Workers, "c", 16, "concurrent clients (workers)")
	fs.DurationVar(&c.Duration, "duration", 10*time.Second, "length of the measured run (at most "+MaxDuration.String()+")")
	fs.Int64Var(&c.N, "n", 0, "stop after this many iterations (startup: process starts, default 5)")
	fs.DurationVar(&c.Timeout, "timeout", 10*time.Second, "per-request timeout")
	fs.IntVar(&c.SeedProducts, "seed-products", 1000, "products to create before the run")
	fs.BoolVar(&c.Existing, "existing", false, "use up to -seed-products products already in the catalog instead of creating them")
	fs.IntVar(&c.SeedWorkers, "seed-c", 64, "concurrent clients while seeding")
	fs.DurationVar(&c.SeedTimeout, "seed-timeout", 15*time.Minute, "bound on seeding")
	fs.IntVar(&c.Users, "users", 1000, "browsing users whose baskets the mix fills")
	fs.DurationVar(&c.VerifyTimeout, "verify-timeout", 30*time.Second, "how long after the run to wait for orders")
	fs.IntVar(&c.PID, "pid", 0, "sample VmRSS of this process every second")
	fs.StringVar(&c.ServerBin, "server-bin", "", "start this shop binary on a free loopback port (overrides -url, samples its RSS)")
	fs.StringVar(&c.DataDir, "data-dir", "", "the shop's SHOP_DATA_DIR, whose dev key signs the requests' bearer tokens: with -url the running shop's\n(required unless only reading an -existing catalog); with -server-bin the one it is started with (default: a temporary directory)")
	fs.Var(&env, "server-env", "KEY=VALUE added to -server-bin's environment (repeatable)")
	fs.StringVar(&c.MetricsURL, "metrics-url", "", "the shop's operator listener (SHOP_ADMIN_ADDR), e.g. http://127.0.0.1:6060: its /metrics is scraped before and\nafter the run and the bus's delivery lag printed; must be loopback (default with -server-bin: one it is started with)")
	fs.StringVar(&c.DynamoDB, "dynamodb", "", "a DynamoDB Local endpoint, e.g. http://127.0.0.1:8000: with -server-bin the shop runs on it (SHOP_STORE=dynamodb,\ntables of the run's own, created at start and deleted after); with -pid only where to count its connections.\nEither way the server's new connections to it are reported (count them against a DynamoDB Local nothing else uses)")
	fs.DurationVar(&c.DrainTimeout, "drain-timeout", 60*time.Second, "with the server's pid and /metrics: how long after the run to wait for its event work to drain\nbefore reading its CPU time again")
	out := fs.String("out", "", "write the results as JSON to this file")
	chart := fs.String("chart", "", "write an SVG chart to this file")
	direct := fs.Bool("seed-direct", false, "with -scenario seed: write -seed-products products straight into -data-dir's store files\n(no server may have them open), with -seed-c writers")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	c.ServerEnv = env
	if *direct {
		if c.Scenario != "seed" {
			fmt.Fprintln(stderr, "shopload: -seed-direct needs -scenario seed")
			return 2
		}
		s, err := SeedDirect(ctx, c.DataDir, c.SeedProducts, c.SeedWorkers)
		WriteTable(stdout, &Result{Scenario: "seed", URL: "file " + c.DataDir, Workers: c.SeedWorkers, ElapsedSeconds: s.Seconds, Seed: &s})
		if err != nil {
			fmt.Fprintln(stderr, "shopload:", err)
			return 2
		}
		return 0
	}

	res, err := Run(ctx, c)
	if res != nil {
		WriteTable(stdout, res)
		if *out != "" {
			if werr := WriteJSON(*out, res); werr != nil {
				fmt.Fprintln(stderr, "shopload:", werr)
				return 2
			}
		}
		if *chart != "" {
			if werr := WriteChart(*chart, res); werr != nil {
				fmt.Fprintln(stderr, "shopload:", werr)
				return 2
			}
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "shopload:", err)
		return 2
	}
	if res.Errors > 0 || (res.Checkout != nil && !res.Checkout.OK) {
		return 1
	}
	return 0
}
