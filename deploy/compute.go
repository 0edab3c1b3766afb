package main

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2authorizers"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecr"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecrassets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecspatterns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"
)

// PassThroughPath is where the Lambda Web Adapter POSTs non-HTTP events (the
// SQS batches). It must never be reachable from the internet: anyone who
// could POST there could forge events.
const PassThroughPath = "/events"

// publicPaths are the HTTP API paths anyone may GET without a token: the
// catalog, the probes, and the API's contract and reference page (the
// server's public operations in api/openapi.yaml). On Lambda every other
// route, and every other method on these, needs a token from the user pool.
var publicPaths = []string{"/product", "/product/{id}", "/healthz", "/readyz",
	"/openapi.yaml", "/openapi.json", "/docs", "/docs/{asset}"}

// sqsBatchSize is the number of messages per Lambda invocation; partial
// failures are reported per message, so a larger batch costs no redelivery.
const sqsBatchSize = 10

// DefaultImageDirectory is the nearest folder at or above the working
// directory that holds a Dockerfile: the repository root when run from
// deploy/, as both `go run .` and `go test` are.
func DefaultImageDirectory() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "Dockerfile")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no Dockerfile at or above the working directory; set ImageSource.Directory")
		}
		dir = parent
	}
}

// The image is built for arm64 (Graviton: cheaper per GB-second on Lambda and
// per vCPU on Fargate); the Dockerfile cross-compiles, so building it on an
// x86_64 machine needs no emulation for the Go step.
var (
	imagePlatform = awsecrassets.Platform_LINUX_ARM64
	lambdaArch    = awslambda.Architecture_ARM_64
)

func (s *ShopStack) repository(img ImageSource) (awsecr.IRepository, string) {
	tag := img.Tag
	if tag == "" {
		tag = "latest"
	}
	return awsecr.Repository_FromRepositoryName(s.Stack, jsii.String("ImageRepository"), jsii.String(img.RepositoryName)), tag
}

// grantData gives the server exactly what it uses: read/write on its
// tables and the outbox (and their indexes) and PutEvents on its own bus.
func (s *ShopStack) grantData(grantee awsiam.IGrantable) {
	for _, t := range []interface {
		GrantReadWriteData(awsiam.IGrantable) awsiam.Grant
	}{s.ProductTable, s.BasketTable, s.BasketCatalogTable, s.OrderTable, s.OutboxTable} {
		t.GrantReadWriteData(grantee)
	}
	s.Bus.GrantPutEventsTo(grantee, nil)
}

func (s *ShopStack) addLambda(props *ShopStackProps) frontDoor {
	var code awslambda.DockerImageCode
	if props.Image.RepositoryName != "" {
		repo, tag := s.repository(props.Image)
		code = awslambda.DockerImageCode_FromEcr(repo, &awslambda.EcrImageCodeProps{TagOrDigest: jsii.String(tag)})
	} else {
		code = awslambda.DockerImageCode_FromImageAsset(jsii.String(props.Image.Directory), &awslambda.AssetImageCodeProps{
			Platform: imagePlatform(),
		})
	}

	env := map[string]*string{}
	for k, v := range s.Environment {
		env[k] = jsii.String(v)
	}
	// SQS arrives as invocations (event source mappings below), which the
	// adapter forwards to the pass-through path, so the server must not poll.
	env["SHOP_SQS_POLL"] = jsii.String("false")
	// Lambda's filesystem is read-only outside /tmp.
	env["SHOP_DATA_DIR"] = jsii.String("/tmp/shop")
	env["AWS_LWA_PASS_THROUGH_PATH"] = jsii.String(PassThroughPath)
	env["AWS_LWA_READINESS_CHECK_PATH"] = jsii.String("/readyz")
	// A 5xx from the server fails the invocation, so an SQS batch the server
	// could not handle as a whole is retried (and eventually dead-lettered)
	// instead of being deleted as if processed.
	env["AWS_LWA_ERROR_STATUS_CODES"] = jsii.String("500-599")

	logs := awslogs.NewLogGroup(s.Stack, jsii.String("FunctionLogs"), &awslogs.LogGroupProps{
		Retention:     awslogs.RetentionDays_ONE_MONTH,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	fn := awslambda.NewDockerImageFunction(s.Stack, jsii.String("Function"), &awslambda.DockerImageFunctionProps{
		Code:         code,
		Architecture: lambdaArch(),
		MemorySize:   jsii.Number(512),
		Timeout:      awscdk.Duration_Seconds(jsii.Number(handlerTimeoutSeconds)),
		Environment:  &env,
		LogGroup:     logs,
		Description:  jsii.String("shop modular monolith behind the Lambda Web Adapter"),
		// Lambda records each invocation in X-Ray; the request's
		// X-Amzn-Trace-Id (and the trace id in the adapter's
		// x-amzn-lambda-context header) let the server's spans join it.
		Tracing: awslambda.Tracing_ACTIVE,
	})
	s.Function = fn
	s.grantData(fn)
	// The event sources grant the function receive/delete on their queues.
	for _, q := range []awslambdaeventsources.SqsEventSource{
		awslambdaeventsources.NewSqsEventSource(s.OrderQueue, &awslambdaeventsources.SqsEventSourceProps{
			BatchSize: jsii.Number(sqsBatchSize), ReportBatchItemFailures: jsii.Bool(true),
		}),
		awslambdaeventsources.NewSqsEventSource(s.BasketQueue, &awslambdaeventsources.SqsEventSourceProps{
			BatchSize: jsii.Number(sqsBatchSize), ReportBatchItemFailures: jsii.Bool(true),
		}),
	} {
		fn.AddEventSource(q)
	}

	integration := awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String("Server"), fn, nil)
	// API Gateway checks the token before invoking the function, so an
	// anonymous call to a private route costs no invocation. For access
	// tokens, which carry no aud, it matches the audience against client_id.
	jwt := awsapigatewayv2authorizers.NewHttpJwtAuthorizer(jsii.String("UserPoolAuthorizer"), jsii.String(s.Issuer),
		&awsapigatewayv2authorizers.HttpJwtAuthorizerProps{
			JwtAudience: &[]*string{s.UserPoolClient.UserPoolClientId()},
		})
	api := awsapigatewayv2.NewHttpApi(s.Stack, jsii.String("HttpApi"), &awsapigatewayv2.HttpApiProps{
		Description:        jsii.String("shop HTTP API: every route goes to the function"),
		DefaultIntegration: integration,
		// Applies to $default and to every route added without an
		// authorizer of its own, so a forgotten route is closed, not open.
		DefaultAuthorizer: jwt,
	})
	// Only GET: API Gateway matches the method too, so HEAD, OPTIONS, PUT or
	// DELETE on these paths fall to $default and need a token.
	for _, path := range publicPaths {
		api.AddRoutes(&awsapigatewayv2.AddRoutesOptions{
			Path:        jsii.String(path),
			Methods:     &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod_GET},
			Integration: integration,
			Authorizer:  awsapigatewayv2.NewHttpNoneAuthorizer(),
		})
	}
	// The adapter forwards HTTP requests to their own path, so a public
	// request to /events would reach the SQS handler. IAM auth with no
	// principal granted execute-api:Invoke closes it.
	for _, path := range []string{PassThroughPath, PassThroughPath + "/{proxy+}"} {
		api.AddRoutes(&awsapigatewayv2.AddRoutesOptions{
			Path:        jsii.String(path),
			Methods:     &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod_ANY},
			Integration: integration,
			Authorizer:  awsapigatewayv2authorizers.NewHttpIamAuthorizer(),
		})
	}
	awscdk.NewCfnOutput(s.Stack, jsii.String("ApiUrl"), &awscdk.CfnOutputProps{
		Value:       api.ApiEndpoint(),
		Description: jsii.String("Base URL of the shop API"),
	})
	return lambdaFrontDoor(api, fn)
}

func (s *ShopStack) addFargate(props *ShopStackProps) frontDoor {
	var image awsecs.ContainerImage
	if props.Image.RepositoryName != "" {
		repo, tag := s.repository(props.Image)
		image = awsecs.ContainerImage_FromEcrRepository(repo, jsii.String(tag))
	} else {
		image = awsecs.ContainerImage_FromAsset(jsii.String(props.Image.Directory), &awsecs.AssetImageProps{
			Platform: imagePlatform(),
		})
	}
	env := map[string]*string{}
	for k, v := range s.Environment {
		env[k] = jsii.String(v)
	}
	// No Lambda here: the adapter extension never starts, and the server
	// long-polls its queues itself.
	env["SHOP_SQS_POLL"] = jsii.String("true")

	// Public subnets only: tasks get public IPs to reach ECR and the AWS APIs,
	// which saves NAT gateways; the security group still admits only the ALB.
	vpc := awsec2.NewVpc(s.Stack, jsii.String("Vpc"), &awsec2.VpcProps{
		MaxAzs:      jsii.Number(2),
		NatGateways: jsii.Number(0),
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{{
			Name: jsii.String("public"), SubnetType: awsec2.SubnetType_PUBLIC, CidrMask: jsii.Number(24),
		}},
	})
	desired := props.DesiredCount
	if desired <= 0 {
		desired = 1
	}
	svc := awsecspatterns.NewApplicationLoadBalancedFargateService(s.Stack, jsii.String("Service"), &awsecspatterns.ApplicationLoadBalancedFargateServiceProps{
		Vpc:            vpc,
		Cpu:            jsii.Number(512),
		MemoryLimitMiB: jsii.Number(1024),
		DesiredCount:   jsii.Number(float64(desired)),
		// Start the new task before stopping the old one, so a one-task
		// service stays up through a deployment.
		MinHealthyPercent: jsii.Number(100),
		MaxHealthyPercent: jsii.Number(200),
		RuntimePlatform: &awsecs.RuntimePlatform{
			CpuArchitecture:       awsecs.CpuArchitecture_ARM64(),
			OperatingSystemFamily: awsecs.OperatingSystemFamily_LINUX(),
		},
		AssignPublicIp:     jsii.Bool(true),
		TaskSubnets:        &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PUBLIC},
		PublicLoadBalancer: jsii.Bool(true),
		CircuitBreaker:     &awsecs.DeploymentCircuitBreaker{Rollback: jsii.Bool(true)},
		TaskImageOptions: &awsecspatterns.ApplicationLoadBalancedTaskImageOptions{
			Image:         image,
			ContainerPort: jsii.Number(8080),
			Environment:   &env,
		},
	})
	svc.TargetGroup().ConfigureHealthCheck(&awselasticloadbalancingv2.HealthCheck{
		Path: jsii.String("/readyz"),
	})
	// Keep the pass-through path off the internet here too.
	svc.Listener().AddAction(jsii.String("BlockPassThrough"), &awselasticloadbalancingv2.AddApplicationActionProps{
		Priority: jsii.Number(1),
		Conditions: &[]awselasticloadbalancingv2.ListenerCondition{
			awselasticloadbalancingv2.ListenerCondition_PathPatterns(jsii.Strings(PassThroughPath, PassThroughPath+"/*")),
		},
		Action: awselasticloadbalancingv2.ListenerAction_FixedResponse(jsii.Number(404), nil),
	})

	role := svc.TaskDefinition().TaskRole()
	s.grantData(role)
	s.OrderQueue.GrantConsumeMessages(role)
	s.BasketQueue.GrantConsumeMessages(role)
	awscdk.NewCfnOutput(s.Stack, jsii.String("ApiUrl"), &awscdk.CfnOutputProps{
		Value:       jsii.String("http://" + *svc.LoadBalancer().LoadBalancerDnsName()),
		Description: jsii.String("Base URL of the shop API"),
	})
	return fargateFrontDoor(svc)
}
