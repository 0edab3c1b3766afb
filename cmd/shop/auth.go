package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/serverless-shop/shop/platform/auth"
	"github.com/serverless-shop/shop/platform/text"
)

// jwksTimeout bounds one request for the issuer's signing keys.
const jwksTimeout = 5 * time.Second

// openGuard builds what admits callers, per SHOP_AUTH: tokens of the
// configured issuer (oidc), tokens this binary mints (dev), or everyone
// (none).
func (m *Main) openGuard() (*auth.Guard, error) {
	var (
		cfg  auth.Config
		keys *auth.Keys
	)
	switch m.cfg.Auth {
	case "none":
		m.log.Warn().Msg("SHOP_AUTH=none: authentication is off; anyone who reaches this port can read and change every basket, order and product")
		return auth.OpenGuard(), nil
	case "dev":
		key, err := auth.LoadDevKey(m.cfg.DataDir)
		if err != nil {
			return nil, fmt.Errorf("dev signing key in SHOP_DATA_DIR: %w", err)
		}
		if keys, err = key.Keys(); err != nil {
			return nil, err
		}
		cfg = m.cfg.devAuth()
		m.log.Info().Msg("SHOP_AUTH=dev: accepting tokens minted by `shop token` with this SHOP_DATA_DIR's key")
	default:
		keys = auth.RemoteKeys(m.cfg.JWKSURL(), &http.Client{Timeout: jwksTimeout})
		cfg = auth.Config{Issuer: m.cfg.AuthIssuer, ClientIDs: m.cfg.AuthClientIDs, UserClaim: m.cfg.AuthUserClaim,
			GroupsClaim: m.cfg.AuthGroupsClaim, AdminGroup: m.cfg.AuthAdminGroup}
	}
	v, err := auth.NewVerifier(cfg, keys.Keyfunc)
	if err != nil {
		return nil, err
	}
	return auth.NewGuard(v), nil
}

// devAuth is what dev tokens are minted with and checked against.
func (c Config) devAuth() auth.Config {
	return auth.DevConfig(c.AuthUserClaim, c.AuthGroupsClaim, c.AuthAdminGroup)
}

// runToken is `shop token`: it prints a dev access token for a user, signed
// with the key in SHOP_DATA_DIR (created if absent), which a server with
// the same SHOP_DATA_DIR and SHOP_AUTH=dev accepts.
func runToken(args, environ []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("shop token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: shop token -user NAME [-admin] [-ttl DURATION]")
		fs.PrintDefaults()
	}
	user := fs.String("user", "", "the user the token signs in (required)")
	admin := fs.Bool("admin", false, "put the user in the admin group (SHOP_AUTH_ADMIN_GROUP)")
	ttl := fs.Duration("ttl", time.Hour, "how long the token is valid")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case *user == "":
		return errors.New("-user is required")
	case !text.ValidUserName(*user):
		// The routes refuse any other name, so its token would be of no use.
		return errors.New("-user " + text.UserNameRule)
	case *ttl <= 0:
		return errors.New("-ttl must be positive")
	}
	cfg, err := LoadConfig(environ)
	if err != nil {
		return err
	}
	if cfg.Auth != "dev" {
		return fmt.Errorf("shop token mints dev tokens, which a server with SHOP_AUTH=%s does not accept", cfg.Auth)
	}
	key, err := auth.LoadDevKey(cfg.DataDir)
	if err != nil {
		return fmt.Errorf("dev signing key in SHOP_DATA_DIR: %w", err)
	}
	var groups []string
	if *admin {
		groups = []string{cfg.AuthAdminGroup}
	}
	token, err := key.Mint(cfg.devAuth(), *user, groups, *ttl)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, token)
	return err
}
