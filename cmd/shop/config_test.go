package main

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestLoadConfigDefaults(t *testing.T) {
	c, err := LoadConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 8080 || c.Store != "embedded" || c.Bus != "local" || c.DataDir != "./data" ||
		c.EventBusName != "SwnEventBus" || c.CheckoutDetailType != "CheckoutBasket" || c.LambdaPassThroughPath != "/events" {
		t.Fatalf("unexpected defaults: %+v", c)
	}
}

func TestLoadConfigNamesTheBadVariable(t *testing.T) {
	for env, name := range map[string]string{
		"PORT=abc":                           "PORT",
		"PORT=70000":                         "PORT",
		"SHOP_STORE=postgres":                "SHOP_STORE",
		"SHOP_LOG_LEVEL=loud":                "SHOP_LOG_LEVEL",
		"SHOP_CREATE_TABLES=maybe":           "SHOP_CREATE_TABLES",
		"SHOP_LOG_FORMAT=xml":                "SHOP_LOG_FORMAT",
		"SHOP_BUS=aws":                       "SHOP_BUS",
		"SHOP_CORS_ORIGINS=shop.example.com": "SHOP_CORS_ORIGINS",
		"SHOP_CORS_ORIGINS=https://shop.example.com/app": "SHOP_CORS_ORIGINS",
		"SHOP_CORS_ORIGINS=*":                            "SHOP_CORS_ORIGINS",
		"SHOP_BODY_TIMEOUT=0s":                           "SHOP_BODY_TIMEOUT",
		"SHOP_BODY_TIMEOUT=soon":                         "SHOP_BODY_TIMEOUT",
	} {
		_, err := LoadConfig([]string{env})
		if err == nil || !strings.Contains(err.Error(), name) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: got %v, want one line naming %s", env, err, name)
		}
	}
}

func TestLoadConfigCORSOrigins(t *testing.T) {
	c, err := LoadConfig([]string{"SHOP_CORS_ORIGINS=https://shop.example.com, http://localhost:5173,"})
	if err != nil || !reflect.DeepEqual(c.CORSOrigins, []string{"https://shop.example.com", "http://localhost:5173"}) {
		t.Fatalf("got %q, %v", c.CORSOrigins, err)
	}
	if c, _ := LoadConfig(nil); len(c.CORSOrigins) != 0 {
		t.Fatalf("default origins %q, want none", c.CORSOrigins)
	}
}

func TestLoadConfigOnLambdaDoesNotPoll(t *testing.T) {
	c, err := LoadConfig([]string{"AWS_LAMBDA_FUNCTION_NAME=shop"})
	if err != nil || c.SQSPoll {
		t.Fatalf("got SQSPoll %v, %v; want false on Lambda", c.SQSPoll, err)
	}
	c, err = LoadConfig([]string{"AWS_LAMBDA_FUNCTION_NAME=shop", "SHOP_SQS_POLL=true"})
	if err != nil || !c.SQSPoll {
		t.Fatalf("got SQSPoll %v, %v; want the explicit true", c.SQSPoll, err)
	}
}

// TestREADMEListsEveryVariable keeps the README's configuration table and
// the Config struct in step, defaults included.
func TestREADMEListsEveryVariable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{} // variable → its README row
	for _, line := range strings.Split(string(readme), "\n") {
		if m := readmeRow.FindStringSubmatch(line); m != nil {
			rows[m[1]] = line
		}
	}
	typ := reflect.TypeFor[Config]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("env"), ",")
		row, ok := rows[name]
		if !ok {
			t.Errorf("README's configuration table does not list %s", name)
			continue
		}
		if def := f.Tag.Get("envDefault"); def != "" && !strings.Contains(row, "`"+def+"`") {
			t.Errorf("README gives %s a default other than %q: %s", name, def, row)
		}
	}
}

var readmeRow = regexp.MustCompile("^\\| `([A-Z_]+)` \\|")

func TestLoadConfigAuth(t *testing.T) {
	for _, c := range []struct {
		name string
		env  []string
		auth string // the resolved SHOP_AUTH, or "" when LoadConfig must fail
		err  string // what the one-line error names
	}{
		{"EmbeddedIsDev", nil, "dev", ""},
		{"DynamoDBWantsAnIssuer", []string{"SHOP_STORE=dynamodb"}, "", "SHOP_AUTH_ISSUER"},
		{"AWSBusWantsAnIssuer", []string{"SHOP_STORE=dynamodb", "SHOP_BUS=aws"}, "", "SHOP_AUTH_ISSUER"},
		{"IssuerWantsClients", []string{"SHOP_STORE=dynamodb", "SHOP_AUTH_ISSUER=https://cognito-idp.us-east-1.amazonaws.com/p"}, "", "SHOP_AUTH_CLIENT_IDS"},
		{"BlankClients", []string{"SHOP_AUTH=oidc", "SHOP_AUTH_ISSUER=https://i.test/p", "SHOP_AUTH_CLIENT_IDS= , "}, "", "SHOP_AUTH_CLIENT_IDS"},
		{"IssuerNotAURL", []string{"SHOP_AUTH=oidc", "SHOP_AUTH_ISSUER=pool-1", "SHOP_AUTH_CLIENT_IDS=c"}, "", "SHOP_AUTH_ISSUER"},
		{"OIDC", []string{"SHOP_STORE=dynamodb", "SHOP_AUTH_ISSUER=https://i.test/p", "SHOP_AUTH_CLIENT_IDS=a, b"}, "oidc", ""},
		{"ExplicitlyOpen", []string{"SHOP_STORE=dynamodb", "SHOP_AUTH=none"}, "none", ""},
		{"DevOnDynamoDB", []string{"SHOP_STORE=dynamodb", "SHOP_AUTH=dev"}, "dev", ""},
		{"Unknown", []string{"SHOP_AUTH=basic"}, "", "SHOP_AUTH"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := LoadConfig(c.env)
			if c.auth == "" {
				if err == nil || !strings.Contains(err.Error(), c.err) || strings.Contains(err.Error(), "\n") {
					t.Fatalf("got %v, want one line naming %s", err, c.err)
				}
				return
			}
			if err != nil || cfg.Auth != c.auth {
				t.Fatalf("got SHOP_AUTH %q, %v; want %q", cfg.Auth, err, c.auth)
			}
		})
	}
	cfg, _ := LoadConfig([]string{"SHOP_AUTH=oidc", "SHOP_AUTH_ISSUER=https://i.test/p/", "SHOP_AUTH_CLIENT_IDS=a, b,"})
	if got := cfg.JWKSURL(); got != "https://i.test/p/.well-known/jwks.json" {
		t.Errorf("JWKS URL %q", got)
	}
	if !reflect.DeepEqual(cfg.AuthClientIDs, []string{"a", "b"}) {
		t.Errorf("client ids %q, want [a b]", cfg.AuthClientIDs)
	}
}

// TestLoadConfigOnLambdaLogsAtOnce: a frozen or ended Lambda process would
// hold buffered log lines back, so there each line is written at once
// unless SHOP_LOG_FLUSH_INTERVAL says otherwise; elsewhere lines wait up to
// 100 ms.
func TestLoadConfigOnLambdaLogsAtOnce(t *testing.T) {
	for _, c := range []struct {
		env  []string
		want time.Duration
	}{
		{nil, 100 * time.Millisecond},
		{[]string{"AWS_LAMBDA_FUNCTION_NAME=shop"}, 0},
		{[]string{"AWS_LAMBDA_FUNCTION_NAME=shop", "SHOP_LOG_FLUSH_INTERVAL=50ms"}, 50 * time.Millisecond},
	} {
		cfg, err := LoadConfig(c.env)
		if err != nil || cfg.LogFlushInterval != c.want {
			t.Errorf("%v: got LogFlushInterval %v, %v; want %v", c.env, cfg.LogFlushInterval, err, c.want)
		}
	}
}
