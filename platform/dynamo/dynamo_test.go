package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-shop/shop/platform/dynamo"
	"github.com/serverless-shop/shop/platform/errs"
)

func cancelled(codes ...string) error {
	reasons := make([]types.CancellationReason, len(codes))
	for i, c := range codes {
		reasons[i] = types.CancellationReason{Code: aws.String(c)}
	}
	return fmt.Errorf("operation error: %w", &types.TransactionCanceledException{CancellationReasons: reasons})
}

func TestLostRace(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"ConditionalCheckFailed", &types.ConditionalCheckFailedException{}, true},
		{"CancelledForCondition", cancelled("None", "ConditionalCheckFailed"), true},
		{"CancelledForConflict", cancelled("TransactionConflict", "None"), true},
		{"TransactionConflictException", &types.TransactionConflictException{}, true},
		{"CancelledForValidation", cancelled("ValidationError"), false},
		{"Throttled", &types.ProvisionedThroughputExceededException{}, false},
		{"Other", errors.New("connection refused"), false},
		{"Nil", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := dynamo.LostRace(tc.err); got != tc.want {
				t.Fatalf("LostRace(%v) = %v, want %v", tc.err, got, tc.want)
			}
			wrapped := dynamo.Wrap(tc.err, "put thing")
			if got := errors.Is(wrapped, errs.ErrLostRace); got != tc.want {
				t.Fatalf("errors.Is(Wrap(%v), ErrLostRace) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

func TestWrapNamesTheOperation(t *testing.T) {
	err := dynamo.Wrap(&types.ConditionalCheckFailedException{}, "put thing")
	if got, want := err.Error(), "put thing: "+errs.ErrLostRace.Message; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if got := errs.Code(dynamo.Wrap(&types.ResourceNotFoundException{}, "get")); got != errs.Unavailable {
		t.Fatalf("missing table: code %q, want %q", got, errs.Unavailable)
	}
}

// client is a real SDK client for endpoint, retrying as the shop's does by
// default, with static credentials.
func client(endpoint string) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("x", "x", ""),
	})
}

func TestWrapUnreachable(t *testing.T) {
	// A port nothing listens on: the listener is closed before the dial.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	// A DynamoDB that answers 500, and one that never answers.
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Amzn-Errortype", "InternalServerError")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"boom"}`))
	}))
	defer failing.Close()
	release := make(chan struct{})
	silent := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	defer silent.Close()
	defer close(release)

	for _, tc := range []struct {
		name     string
		endpoint string
		ctx      func() (context.Context, context.CancelFunc)
		want     string
	}{
		{"DialRefused", closed, background, errs.Unavailable},
		{"ServerError", failing.URL, background, errs.Unavailable},
		{"Timeout", silent.URL, func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 50*time.Millisecond)
		}, errs.Unavailable},
		// The caller's own cancellation is not an outage: the HTTP layer
		// answers a client that hung up without blaming DynamoDB.
		{"Canceled", silent.URL, func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		}, errs.Internal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := tc.ctx()
			defer cancel()
			_, err := client(tc.endpoint).GetItem(ctx, &dynamodb.GetItemInput{
				TableName: aws.String("t"),
				Key:       map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "1"}},
			})
			if err == nil {
				t.Fatal("GetItem succeeded")
			}
			got := dynamo.Wrap(err, "get thing")
			if errs.Code(got) != tc.want || errors.Is(got, errs.ErrLostRace) {
				t.Fatalf("Wrap(%v): code %q, want %q", err, errs.Code(got), tc.want)
			}
			if tc.want == errs.Internal && !errors.Is(got, context.Canceled) {
				t.Fatalf("Wrap(%v) lost context.Canceled", err)
			}
		})
	}
}

func background() (context.Context, context.CancelFunc) { return context.Background(), func() {} }
