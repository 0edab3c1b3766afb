package main

import (
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
	"github.com/rs/zerolog"

	"github.com/serverless-shop/shop/platform/events"
)

// Config is every setting of the binary, read once from the environment.
// The README's configuration table lists the same variables.
type Config struct {
	Port      int    `env:"PORT" envDefault:"8080"`
	Host      string `env:"SHOP_HOST"`
	Store     string `env:"SHOP_STORE" envDefault:"embedded"`
	Bus       string `env:"SHOP_BUS" envDefault:"local"`
	DataDir   string `env:"SHOP_DATA_DIR" envDefault:"./data"`
	LogLevel  string `env:"SHOP_LOG_LEVEL" envDefault:"info"`
	LogFormat string `env:"SHOP_LOG_FORMAT" envDefault:"json"`
	// LogFlushInterval is how long log lines may wait in a buffer before
	// they are written (a write per request line was a tenth of a read's
	// CPU); 0 writes each line at once, the default on Lambda.
	LogFlushInterval time.Duration `env:"SHOP_LOG_FLUSH_INTERVAL" envDefault:"100ms"`

	ProductTable       string `env:"SHOP_PRODUCT_TABLE" envDefault:"product"`
	BasketTable        string `env:"SHOP_BASKET_TABLE" envDefault:"basket"`
	BasketCatalogTable string `env:"SHOP_BASKET_CATALOG_TABLE" envDefault:"basket-catalog"`
	OrderTable         string `env:"SHOP_ORDER_TABLE" envDefault:"order"`
	OutboxTable        string `env:"SHOP_OUTBOX_TABLE" envDefault:"outbox"`
	CreateTables       bool   `env:"SHOP_CREATE_TABLES" envDefault:"false"`

	// The event names default to platform/events (see LoadConfig), where
	// they are named once for producers, consumers and this config alike.
	EventBusName          string `env:"SHOP_EVENT_BUS_NAME"`
	CheckoutSource        string `env:"SHOP_CHECKOUT_SOURCE"`
	CheckoutDetailType    string `env:"SHOP_CHECKOUT_DETAIL_TYPE"`
	ProductSource         string `env:"SHOP_PRODUCT_SOURCE"`
	OrderQueueURL         string `env:"SHOP_ORDER_QUEUE_URL"`
	BasketQueueURL        string `env:"SHOP_BASKET_QUEUE_URL"`
	SQSPoll               bool   `env:"SHOP_SQS_POLL" envDefault:"true"`
	LambdaPassThroughPath string `env:"AWS_LWA_PASS_THROUGH_PATH" envDefault:"/events"`
	AdminAddr             string `env:"SHOP_ADMIN_ADDR"`

	// CORSOrigins are the origins whose browser front ends may call the
	// API; none by default, so cross-origin calls stay refused.
	CORSOrigins []string `env:"SHOP_CORS_ORIGINS"`
	// BodyTimeout is how long a request body may take to arrive.
	BodyTimeout time.Duration `env:"SHOP_BODY_TIMEOUT" envDefault:"10s"`

	// Auth is dev, oidc or none; LoadConfig resolves "" to dev on the
	// embedded store and local bus, to oidc on AWS.
	Auth            string   `env:"SHOP_AUTH"`
	AuthIssuer      string   `env:"SHOP_AUTH_ISSUER"`
	AuthClientIDs   []string `env:"SHOP_AUTH_CLIENT_IDS"`
	AuthJWKSURL     string   `env:"SHOP_AUTH_JWKS_URL"`
	AuthUserClaim   string   `env:"SHOP_AUTH_USER_CLAIM" envDefault:"username"`
	AuthGroupsClaim string   `env:"SHOP_AUTH_GROUPS_CLAIM" envDefault:"cognito:groups"`
	AuthAdminGroup  string   `env:"SHOP_AUTH_ADMIN_GROUP" envDefault:"admin"`
}

// onAWS reports whether the process uses AWS services, where the API must
// not be left open by default.
func (c Config) onAWS() bool { return c.Store == "dynamodb" || c.Bus == "aws" }

// JWKSURL is where the issuer's signing keys are: SHOP_AUTH_JWKS_URL, or
// the issuer's /.well-known/jwks.json as Cognito serves it.
func (c Config) JWKSURL() string {
	if c.AuthJWKSURL != "" {
		return c.AuthJWKSURL
	}
	return strings.TrimSuffix(c.AuthIssuer, "/") + "/.well-known/jwks.json"
}

// LoadConfig parses and validates the configuration from environ
// (os.Environ's form). Its error names the offending variable.
func LoadConfig(environ []string) (Config, error) {
	// A struct tag cannot name a constant, so these defaults are set before
	// parsing, which leaves a field alone when its variable is unset.
	c := Config{EventBusName: events.EventBusName, CheckoutSource: events.CheckoutSource,
		CheckoutDetailType: events.CheckoutBasket, ProductSource: events.ProductSource}
	vars := env.ToMap(environ)
	err := env.ParseWithOptions(&c, env.Options{Environment: vars})
	if err != nil {
		var pe env.ParseError
		if errors.As(err, &pe) {
			return c, fmt.Errorf("invalid %s: %v", envName(pe.Name), pe.Err)
		}
		return c, err
	}
	// On Lambda the process is frozen between invocations and SQS batches
	// arrive through the Web Adapter, so pollers are off unless asked for.
	if _, set := vars["SHOP_SQS_POLL"]; !set && vars["AWS_LAMBDA_FUNCTION_NAME"] != "" {
		c.SQSPoll = false
	}
	// A frozen or ended Lambda process would hold buffered lines back.
	if _, set := vars["SHOP_LOG_FLUSH_INTERVAL"]; !set && vars["AWS_LAMBDA_FUNCTION_NAME"] != "" {
		c.LogFlushInterval = 0
	}
	if c.Auth == "" {
		c.Auth = "dev"
		if c.onAWS() {
			c.Auth = "oidc"
		}
	}
	c.AuthClientIDs = nonEmpty(c.AuthClientIDs)
	c.CORSOrigins = nonEmpty(c.CORSOrigins)
	return c, c.Validate()
}

// Validate checks the values the types alone cannot.
func (c Config) Validate() error {
	oneOf := func(name, v string, allowed ...string) error {
		for _, a := range allowed {
			if v == a {
				return nil
			}
		}
		return fmt.Errorf("invalid %s %q: must be one of %s", name, v, strings.Join(allowed, ", "))
	}
	if c.Port < 0 || c.Port > 65535 {
		return fmt.Errorf("invalid PORT %d: must be from 0 to 65535", c.Port)
	}
	if _, err := zerolog.ParseLevel(c.LogLevel); err != nil || c.LogLevel == "" {
		return fmt.Errorf("invalid SHOP_LOG_LEVEL %q: must be one of trace, debug, info, warn, error", c.LogLevel)
	}
	if c.Bus == "aws" && c.Store == "embedded" {
		return errors.New("invalid SHOP_BUS \"aws\": requires SHOP_STORE=dynamodb")
	}
	if c.LambdaPassThroughPath == "" || c.LambdaPassThroughPath[0] != '/' {
		return fmt.Errorf("invalid AWS_LWA_PASS_THROUGH_PATH %q: must start with /", c.LambdaPassThroughPath)
	}
	if c.BodyTimeout <= 0 {
		return fmt.Errorf("invalid SHOP_BODY_TIMEOUT %s: must be positive", c.BodyTimeout)
	}
	for _, o := range c.CORSOrigins {
		// An origin is exactly scheme://host[:port], as browsers send it.
		if u, err := url.Parse(o); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
			u.String() != u.Scheme+"://"+u.Host {
			return fmt.Errorf("invalid SHOP_CORS_ORIGINS entry %q: must be an origin such as https://shop.example.com", o)
		}
	}
	for _, err := range []error{
		oneOf("SHOP_STORE", c.Store, "embedded", "dynamodb"),
		oneOf("SHOP_BUS", c.Bus, "local", "aws"),
		oneOf("SHOP_LOG_FORMAT", c.LogFormat, "json", "console"),
		oneOf("SHOP_AUTH", c.Auth, "dev", "oidc", "none"),
		c.validateAuth(),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

func (c Config) validateAuth() error {
	for name, v := range map[string]string{"SHOP_AUTH_USER_CLAIM": c.AuthUserClaim,
		"SHOP_AUTH_GROUPS_CLAIM": c.AuthGroupsClaim, "SHOP_AUTH_ADMIN_GROUP": c.AuthAdminGroup} {
		if v == "" {
			return fmt.Errorf("invalid %s: must not be empty", name)
		}
	}
	if c.Auth != "oidc" {
		return nil
	}
	const open = " (or set SHOP_AUTH=none to leave the API open)"
	if c.AuthIssuer == "" {
		return errors.New("SHOP_AUTH_ISSUER is required with SHOP_AUTH=oidc, the default on AWS" + open)
	}
	if u, err := url.Parse(c.AuthIssuer); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("invalid SHOP_AUTH_ISSUER %q: must be an http(s) URL", c.AuthIssuer)
	}
	if len(c.AuthClientIDs) == 0 {
		return errors.New("SHOP_AUTH_CLIENT_IDS is required with SHOP_AUTH=oidc: the app clients whose tokens are accepted" + open)
	}
	if u, err := url.Parse(c.JWKSURL()); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("invalid SHOP_AUTH_JWKS_URL %q: must be an http(s) URL", c.AuthJWKSURL)
	}
	return nil
}

// nonEmpty drops blank entries of a comma-separated list.
func nonEmpty(vs []string) []string {
	out := vs[:0]
	for _, v := range vs {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func envName(field string) string {
	f, ok := reflect.TypeFor[Config]().FieldByName(field)
	if !ok {
		return field
	}
	name, _, _ := strings.Cut(f.Tag.Get("env"), ",")
	return name
}
