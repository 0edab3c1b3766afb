package dynamo_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
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
