package load

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/serverless-shop/shop/platform/auth"
)

// Who a request is sent as: anonymous sends no Authorization header, asAdmin
// signs in a member of the admin group, and any other name signs in the
// user of that name.
const (
	anonymous = ""
	asAdmin   = "shopload-admin"
)

// tokens signs requests in with dev access tokens, minted as `shop token`
// mints them, with the key in the shop's SHOP_DATA_DIR.
//
// Minting is one ES256 signature: 94 µs on a 2-vCPU VM (BenchmarkMint). A
// user's token is minted on their first request and cached for the run, so
// the cost is paid once per user (each browser of the mix, and each
// checkout, whose user is its own), and do leaves it out of the request's
// latency.
type tokens struct {
	key   *auth.DevKey
	cfg   auth.Config
	ttl   time.Duration
	cache sync.Map // user → "Bearer <token>"
}

// authorization returns the Authorization header of a request sent as as
// ("" for anonymous), and how long minting its token took if it was not
// cached yet.
func (k *tokens) authorization(as string) (string, time.Duration, error) {
	if as == anonymous {
		return "", 0, nil
	}
	if k == nil {
		return "", 0, fmt.Errorf("no signing key to send a request as %s (pass -data-dir)", as)
	}
	if h, ok := k.cache.Load(as); ok {
		return h.(string), 0, nil
	}
	start := time.Now()
	var groups []string
	if as == asAdmin {
		groups = []string{k.cfg.AdminGroup}
	}
	tok, err := k.key.Mint(k.cfg, as, groups, k.ttl)
	if err != nil {
		return "", 0, fmt.Errorf("token for %s: %w", as, err)
	}
	// Two first requests of one user may both mint; one token wins.
	h, _ := k.cache.LoadOrStore(as, "Bearer "+tok)
	return h.(string), time.Since(start), nil
}

// signsIn reports whether the run sends requests as someone: everything
// but reading an existing catalog does (seeding creates products as the
// admin; baskets and orders belong to their users).
func (c *Config) signsIn() bool {
	switch c.Scenario {
	case "get-product", "list-products", "ceiling", "seed":
		return !c.Existing
	case "startup":
		return false
	}
	return true
}

// loadTokens returns what signs the run's requests in, or nil if it sends
// none. With -server-bin the key is the started shop's (created if it runs
// without authentication, which ignores tokens); with -url it must already
// be in -data-dir, where the running shop created it, or its tokens would
// be refused.
func loadTokens(c Config) (*tokens, error) {
	if !c.signsIn() {
		return nil, nil
	}
	if c.ServerBin == "" {
		path := filepath.Join(c.DataDir, auth.DevKeyFile)
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("-data-dir %s holds no %s: pass the running shop's SHOP_DATA_DIR (a shop with SHOP_AUTH=dev creates the key there when it starts)",
				c.DataDir, auth.DevKeyFile)
		}
	}
	key, err := auth.LoadDevKey(c.DataDir)
	if err != nil {
		return nil, fmt.Errorf("dev signing key: %w", err)
	}
	// Valid for the whole run: seeding, the shop's catch-up on prices
	// (awaitPriced), the run and the verification of its orders.
	ttl := c.SeedTimeout + time.Minute + c.Duration + c.VerifyTimeout + time.Hour
	return &tokens{key: key, cfg: devConfig(append(os.Environ(), c.ServerEnv...)), ttl: ttl}, nil
}

// devConfig is what the shop checks dev tokens against: the claim names and
// admin group of environ (os.Environ's form, the last value of a name
// winning, as for a started process), else cmd/shop's defaults. With -url
// the shop's environment is unknown; the harness's own stands in for it.
func devConfig(environ []string) auth.Config {
	v := map[string]string{"SHOP_AUTH_USER_CLAIM": "username", "SHOP_AUTH_GROUPS_CLAIM": "cognito:groups", "SHOP_AUTH_ADMIN_GROUP": "admin"}
	for _, kv := range environ {
		name, val, _ := strings.Cut(kv, "=")
		if _, ok := v[name]; ok && val != "" {
			v[name] = val
		}
	}
	return auth.DevConfig(v["SHOP_AUTH_USER_CLAIM"], v["SHOP_AUTH_GROUPS_CLAIM"], v["SHOP_AUTH_ADMIN_GROUP"])
}
