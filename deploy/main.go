// Command deploy is the AWS CDK app for the shop: run it (`go run .`) to
// synthesise the CloudFormation template into cdk.out, or let the CDK CLI run
// it (`cdk deploy`, see cdk.json). It is its own Go module so the server never
// depends on the CDK.
//
// Settings come from CDK context (-c key=value) or, failing that, the
// environment:
//
//	compute / DEPLOY_COMPUTE                 lambda (default) or fargate
//	stackName / DEPLOY_STACK_NAME            CloudFormation stack name (ShopStack)
//	imageRepository / DEPLOY_IMAGE_REPOSITORY  use an image already in ECR …
//	imageTag / DEPLOY_IMAGE_TAG              … with this tag (latest)
//	eventBusName / DEPLOY_EVENT_BUS_NAME     EventBridge bus name (SwnEventBus)
//	alarmEmail / DEPLOY_ALARM_EMAIL          e-mail address subscribed to the alarm topic (none)
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "deploy:", err)
		os.Exit(1)
	}
}

func run() error {
	defer jsii.Close()
	appProps := &awscdk.AppProps{}
	// The CDK CLI says where to write through CDK_OUTDIR; run by hand, write
	// where `cdk deploy --app cdk.out` will look instead of a temp folder.
	if os.Getenv("CDK_OUTDIR") == "" {
		appProps.Outdir = jsii.String("cdk.out")
	}
	app := awscdk.NewApp(appProps)

	name, props, err := StackFromContext(app)
	if err != nil {
		return err
	}
	if _, err := NewShopStack(app, name, props); err != nil {
		return err
	}
	app.Synth(nil)
	return nil
}

// StackFromContext reads the stack's name and props from the app's context,
// or the environment, as the package comment lists them.
func StackFromContext(app awscdk.App) (string, *ShopStackProps, error) {
	compute, err := ParseCompute(setting(app, "compute", "DEPLOY_COMPUTE"))
	if err != nil {
		return "", nil, err
	}
	name := setting(app, "stackName", "DEPLOY_STACK_NAME")
	if name == "" {
		name = "ShopStack"
	}
	return name, &ShopStackProps{
		StackProps: awscdk.StackProps{
			// Account and region come from the CLI's profile when deploying;
			// left empty, the template stays environment-agnostic offline.
			Env:         env(),
			Description: jsii.String("shop: product catalog, baskets and ordering (" + string(compute) + ")"),
		},
		Compute: compute,
		Image: ImageSource{
			RepositoryName: setting(app, "imageRepository", "DEPLOY_IMAGE_REPOSITORY"),
			Tag:            setting(app, "imageTag", "DEPLOY_IMAGE_TAG"),
		},
		Names:      Names{EventBus: setting(app, "eventBusName", "DEPLOY_EVENT_BUS_NAME")},
		AlarmEmail: setting(app, "alarmEmail", "DEPLOY_ALARM_EMAIL"),
	}, nil
}

// setting reads a CDK context value, falling back to an environment variable.
func setting(app awscdk.App, contextKey, envVar string) string {
	if v := app.Node().TryGetContext(jsii.String(contextKey)); v != nil {
		if s, ok := v.(string); ok && s != "" {
			return s
		}
	}
	return os.Getenv(envVar)
}

// env pins the stack to the CLI's account and region when the CLI provides
// them, which lets lookups such as availability zones resolve to real values.
func env() *awscdk.Environment {
	account, region := os.Getenv("CDK_DEFAULT_ACCOUNT"), os.Getenv("CDK_DEFAULT_REGION")
	if account == "" || region == "" {
		return nil
	}
	return &awscdk.Environment{Account: jsii.String(account), Region: jsii.String(region)}
}
