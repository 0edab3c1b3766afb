// Package testenv connects integration tests to the local AWS emulators that
// scripts/test.sh starts (DynamoDB Local, the fauxqs SQS emulator and the
// cognito-local Cognito user pool emulator), and to the Chromium and the
// promtool it installs for the browser and metrics tests.
//
// Outside CI a test whose emulator is not configured is skipped with a reason,
// so `go test ./...` stays usable on a machine without Java or Node. In CI
// (CI=true) the same situation fails the test: a green CI run must never mean
// that the emulator-backed tests silently did not run.
package testenv

import (
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Environment variables set by scripts/test.sh.
const (
	// DynamoDBEndpointEnv names the variable holding the DynamoDB Local URL.
	DynamoDBEndpointEnv = "SHOP_TEST_DYNAMODB_ENDPOINT"
	// SQSEndpointEnv names the variable holding the SQS emulator URL.
	SQSEndpointEnv = "SHOP_TEST_SQS_ENDPOINT"
	// CognitoEndpointEnv names the variable holding the cognito-local URL.
	CognitoEndpointEnv = "SHOP_TEST_COGNITO_ENDPOINT"
	// ChromiumEnv names the variable holding the path of Debian's chromium.
	ChromiumEnv = "SHOP_TEST_CHROMIUM"
	// PromtoolEnv names the variable holding the path of Prometheus's
	// promtool (Debian's prometheus package).
	PromtoolEnv = "SHOP_TEST_PROMTOOL"
)

// Region is the AWS region every emulator-backed client uses.
const Region = "us-east-1"

// DynamoDBEndpoint returns the DynamoDB Local endpoint, or skips the test
// (fails it when CI=true) if SHOP_TEST_DYNAMODB_ENDPOINT is unset.
func DynamoDBEndpoint(tb testing.TB) string {
	tb.Helper()
	return endpoint(tb, DynamoDBEndpointEnv, "DynamoDB Local")
}

// SQSEndpoint returns the SQS emulator endpoint, or skips the test (fails it
// when CI=true) if SHOP_TEST_SQS_ENDPOINT is unset.
func SQSEndpoint(tb testing.TB) string {
	tb.Helper()
	return endpoint(tb, SQSEndpointEnv, "the SQS emulator")
}

// CognitoEndpoint returns the cognito-local endpoint, or skips the test
// (fails it when CI=true) if SHOP_TEST_COGNITO_ENDPOINT is unset.
func CognitoEndpoint(tb testing.TB) string {
	tb.Helper()
	return endpoint(tb, CognitoEndpointEnv, "the cognito-local emulator")
}

// Chromium returns the path of the Chromium binary for browser tests, or
// skips the test (fails it when CI=true) if SHOP_TEST_CHROMIUM is unset.
func Chromium(tb testing.TB) string {
	tb.Helper()
	return endpoint(tb, ChromiumEnv, "a Chromium browser (Debian's chromium package)")
}

// Promtool returns the path of promtool, to check a scrape of /metrics, or
// skips the test (fails it when CI=true) if SHOP_TEST_PROMTOOL is unset.
func Promtool(tb testing.TB) string {
	tb.Helper()
	return endpoint(tb, PromtoolEnv, "promtool (Debian's prometheus package)")
}

func endpoint(tb testing.TB, env, what string) string {
	tb.Helper()
	v := strings.TrimSpace(os.Getenv(env))
	if v == "" {
		msg := env + " is not set: this test needs " + what + "; run it through scripts/test.sh, which starts the emulators and sets it"
		if InCI() {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	return v
}

// InCI reports whether the CI environment variable is set to a true value;
// in CI, missing emulators are a failure rather than a skip.
func InCI() bool {
	ci, err := strconv.ParseBool(os.Getenv("CI"))
	return err == nil && ci
}

// AWSConfig returns an aws.Config aimed at an emulator: region us-east-1,
// static dummy credentials and BaseEndpoint set to endpoint.
//
// It is built by hand rather than with config.LoadDefaultConfig so that a
// developer's shared AWS files, profile or AWS_ENDPOINT_URL_* variables can
// never redirect a test to a real account.
func AWSConfig(tb testing.TB, endpoint string) aws.Config {
	tb.Helper()
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme == "" || u.Host == "" {
		tb.Fatalf("testenv: endpoint %q is not an absolute URL (err: %v)", endpoint, err)
	}
	return aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(endpoint),
		Retryer:      emulatorRetryer,
	}
}

// emulatorRetryer retries transient errors quickly and without the standard
// retryer's client-side token bucket: many parallel tests against one local
// emulator would otherwise drain the bucket and fail with "retry quota
// exceeded" instead of reporting the real error.
func emulatorRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = 5
		o.MaxBackoff = 200 * time.Millisecond
		o.RateLimiter = ratelimit.None
	})
}

// maxNameLen keeps names valid as SQS queue names (80 characters) even after
// a caller appends ".fifo".
const maxNameLen = 75

// UniqueName returns a name for a per-test table or queue: prefix, the test's
// name and a random suffix, using only characters that DynamoDB table names
// and SQS queue names both accept ([A-Za-z0-9_-]), at most 75 characters.
func UniqueName(tb testing.TB, prefix string) string {
	tb.Helper()
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		tb.Fatalf("testenv: random suffix: %v", err)
	}
	suffix := "-" + hex.EncodeToString(b[:])
	name := sanitize(prefix) + "-" + sanitize(tb.Name())
	if room := maxNameLen - len(suffix); len(name) > room {
		name = name[:room]
	}
	return name + suffix
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		default:
			return '_'
		}
	}, s)
}
