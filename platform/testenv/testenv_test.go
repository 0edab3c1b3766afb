package testenv_test

import (
	"context"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/serverless-shop/shop/platform/testenv"
)

// TestDynamoDBEndpoint proves DynamoDB Local answers aws-sdk-go-v2 with the
// configuration testenv hands out.
func TestDynamoDBEndpoint(t *testing.T) {
	t.Parallel()
	cfg := testenv.AWSConfig(t, testenv.DynamoDBEndpoint(t))
	client := dynamodb.NewFromConfig(cfg)
	ctx := t.Context()

	if _, err := client.ListTables(ctx, &dynamodb.ListTablesInput{}); err != nil {
		t.Fatalf("ListTables: %v", err)
	}

	table := testenv.UniqueName(t, "tbl")
	_, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
	})
	if err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	testenv.DeleteTablesAtCleanup(t, client, table)

	// ListTables answers 100 names a page, and the other packages' tests
	// share the emulator: read every page.
	var names []string
	for p := dynamodb.NewListTablesPaginator(client, &dynamodb.ListTablesInput{}); p.HasMorePages(); {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListTables: %v", err)
		}
		names = append(names, out.TableNames...)
	}
	if !slices.Contains(names, table) {
		t.Fatalf("ListTables = %v, want it to contain %q", names, table)
	}
}

// TestSQSEndpoint proves the SQS emulator speaks the JSON protocol of
// aws-sdk-go-v2 for the calls the bus adapter relies on.
func TestSQSEndpoint(t *testing.T) {
	t.Parallel()
	cfg := testenv.AWSConfig(t, testenv.SQSEndpoint(t))
	client := sqs.NewFromConfig(cfg)
	ctx := t.Context()

	created, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(testenv.UniqueName(t, "q"))})
	if err != nil {
		t.Fatalf("CreateQueue: %v", err)
	}
	queueURL := created.QueueUrl
	t.Cleanup(func() {
		if _, err := client.DeleteQueue(context.WithoutCancel(ctx), &sqs.DeleteQueueInput{QueueUrl: queueURL}); err != nil {
			t.Errorf("DeleteQueue: %v", err)
		}
	})

	const body = `{"hello":"world"}`
	if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: queueURL, MessageBody: aws.String(body)}); err != nil {
		t.Fatalf("SendMessage: %v", err)
	}

	// Long-poll until the message shows up; the deadline only bounds a broken
	// emulator, it is not an assertion about speed.
	recvCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var got *sqs.ReceiveMessageOutput
	for got == nil || len(got.Messages) == 0 {
		got, err = client.ReceiveMessage(recvCtx, &sqs.ReceiveMessageInput{
			QueueUrl:            queueURL,
			MaxNumberOfMessages: 1,
			WaitTimeSeconds:     1,
		})
		if err != nil {
			t.Fatalf("ReceiveMessage: %v", err)
		}
	}
	msg := got.Messages[0]
	if got, want := aws.ToString(msg.Body), body; got != want {
		t.Fatalf("message body = %q, want %q", got, want)
	}

	if _, err := client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: queueURL, ReceiptHandle: msg.ReceiptHandle}); err != nil {
		t.Fatalf("DeleteMessage: %v", err)
	}
	attrs, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       queueURL,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible},
	})
	if err != nil {
		t.Fatalf("GetQueueAttributes: %v", err)
	}
	for _, name := range []string{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"} {
		if got, want := attrs.Attributes[name], "0"; got != want {
			t.Errorf("%s after DeleteMessage = %q, want %q", name, got, want)
		}
	}
}

// TestChromium proves the browser scripts/test.sh provides starts, without
// a display.
func TestChromium(t *testing.T) {
	t.Parallel()
	out, err := exec.CommandContext(t.Context(), testenv.Chromium(t), "--headless", "--no-sandbox", "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("chromium --version: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "Chromium") {
		t.Errorf("chromium --version = %q, want a Chromium", out)
	}
}

// TestPromtool proves the promtool scripts/test.sh provides runs, and
// tells a valid exposition from a broken one.
func TestPromtool(t *testing.T) {
	t.Parallel()
	check := func(text string) error {
		cmd := exec.CommandContext(t.Context(), testenv.Promtool(t), "check", "metrics")
		cmd.Stdin = strings.NewReader(text)
		return cmd.Run()
	}
	if err := check("# HELP up_total Ups.\n# TYPE up_total counter\nup_total 1\n"); err != nil {
		t.Errorf("promtool refused a valid counter: %v", err)
	}
	if err := check("not a metric line {\n"); err == nil {
		t.Error("promtool accepted a broken exposition")
	}
}

func TestUniqueName(t *testing.T) {
	t.Parallel()
	valid := regexp.MustCompile(`^[A-Za-z0-9_-]{3,75}$`)
	t.Run("OK", func(t *testing.T) {
		a, b := testenv.UniqueName(t, "orders"), testenv.UniqueName(t, "orders")
		if a == b {
			t.Fatalf("UniqueName returned %q twice, want distinct names", a)
		}
		for _, n := range []string{a, b} {
			if !valid.MatchString(n) || !strings.HasPrefix(n, "orders-") {
				t.Errorf("UniqueName = %q, want prefix %q and match %v", n, "orders-", valid)
			}
		}
	})
	t.Run("long name with odd characters/"+strings.Repeat("x", 100), func(t *testing.T) {
		if n := testenv.UniqueName(t, "p.q"); !valid.MatchString(n) {
			t.Errorf("UniqueName = %q, want match %v", n, valid)
		}
	})
}
