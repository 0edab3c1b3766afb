package ebtest

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// QueueConfig shapes a test queue.
type QueueConfig struct {
	// VisibilityTimeout, in seconds, is how long a received message stays
	// hidden; keep it short so failed messages come back quickly.
	VisibilityTimeout int
	// MaxReceiveCount is how many receives move a message to the DLQ.
	MaxReceiveCount int
}

// Queue is a queue with its dead-letter queue.
type Queue struct {
	URL    string
	ARN    string
	DLQURL string
}

// MustCreateQueue creates name and name-dlq, the first redriving to the
// second after cfg.MaxReceiveCount receives, and deletes both when the test
// ends.
func MustCreateQueue(tb testing.TB, client *sqs.Client, name string, cfg QueueConfig) Queue {
	tb.Helper()
	dlq := mustCreate(tb, client, name+"-dlq", nil)
	dlqARN := mustARN(tb, client, dlq)
	policy, _ := json.Marshal(map[string]any{"deadLetterTargetArn": dlqARN, "maxReceiveCount": cfg.MaxReceiveCount})
	url := mustCreate(tb, client, name, map[string]string{
		string(sqstypes.QueueAttributeNameVisibilityTimeout): strconv.Itoa(cfg.VisibilityTimeout),
		string(sqstypes.QueueAttributeNameRedrivePolicy):     string(policy),
	})
	return Queue{URL: url, ARN: mustARN(tb, client, url), DLQURL: dlq}
}

func mustCreate(tb testing.TB, client *sqs.Client, name string, attrs map[string]string) string {
	tb.Helper()
	out, err := client.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		tb.Fatalf("CreateQueue %s: %v", name, err)
	}
	tb.Cleanup(func() {
		if _, err := client.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: out.QueueUrl}); err != nil {
			tb.Errorf("DeleteQueue %s: %v", name, err)
		}
	})
	return aws.ToString(out.QueueUrl)
}

func mustARN(tb testing.TB, client *sqs.Client, url string) string {
	tb.Helper()
	out, err := client.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		tb.Fatalf("GetQueueAttributes %s: %v", url, err)
	}
	return out.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
}
