package main

import (
	"context"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
)

// awsIdleConnsPerHost is how many idle connections the AWS clients keep to
// one endpoint (DynamoDB, SQS, EventBridge). The SDK keeps 10, but every
// request in flight holds a connection during each call it makes, and the
// background workers add theirs (the local bus runs 64 handlers per
// subscription, the relays and SQS pollers one each): at 32 concurrent
// requests the process had more connections in use than it could park,
// closed the surplus at each lull and dialled again at the next burst, about 20 re-dials per
// 1,000 GET /product/{id} and 140 per 1,000 POST /product on DynamoDB
// Local (issue 12); on AWS each re-dial is a TCP and TLS handshake. 256
// covers a few hundred concurrent requests plus the background workers;
// an idle connection costs one descriptor and is closed after the SDK's
// 90 s idle timeout, and Lambda, one request at a time, never fills it.
const awsIdleConnsPerHost = 256

// awsHTTPClient is the HTTP client the AWS configs carry. The SDK gives each
// service client a copy of it with a transport of its own (it adds its
// defaults mode's timeouts to a BuildableClient), so the pool is per
// service client and endpoint: the one DynamoDB client every store and
// relay shares, the bus's SQS and EventBridge clients.
func awsHTTPClient() *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConnsPerHost = awsIdleConnsPerHost
		// The total must not cap the per-host figure.
		t.MaxIdleConns = awsIdleConnsPerHost
	})
}

// loadAWSConfig is config.LoadDefaultConfig with the shared HTTP client.
func loadAWSConfig(ctx context.Context) (aws.Config, error) {
	return config.LoadDefaultConfig(ctx, config.WithHTTPClient(awsHTTPClient()))
}
