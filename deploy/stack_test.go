package main_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	deploy "github.com/serverless-shop/shop/deploy"
)

// Synthesis starts the jsii runtime and takes seconds, so each compute mode is
// synthesised once and shared by the tests below.
var synthesised = map[deploy.Compute]*synth{}

type synth struct {
	stack    *deploy.ShopStack
	template assertions.Template
	json     map[string]any
}

// MustSynth returns the stack and template for one compute mode. The Lambda
// stack builds its image from the repository's Dockerfile, as `go run .`
// does; the Fargate stack takes an existing ECR image, so both image sources
// are covered.
func MustSynth(tb testing.TB, compute deploy.Compute) *synth {
	tb.Helper()
	if s, ok := synthesised[compute]; ok {
		return s
	}
	props := &deploy.ShopStackProps{Compute: compute}
	if compute == deploy.ComputeFargate {
		props.Image = deploy.ImageSource{RepositoryName: "shop", Tag: "v1"}
	}
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(tb.TempDir())})
	stack, err := deploy.NewShopStack(app, "Test", props)
	if err != nil {
		tb.Fatalf("NewShopStack: %v", err)
	}
	s := mustTemplate(tb, stack)
	synthesised[compute] = s
	return s
}

// mustTemplate synthesises stack.
func mustTemplate(tb testing.TB, stack *deploy.ShopStack) *synth {
	tb.Helper()
	s := &synth{stack: stack}
	mustCDK(tb, func() { s.template = assertions.Template_FromStack(stack.Stack, nil) })
	s.json = normalise(tb, s.template.ToJSON())
	return s
}

// mustCDK turns a failed CDK assertion (a panic carrying the JavaScript
// error) into a test failure.
func mustCDK(tb testing.TB, f func()) {
	tb.Helper()
	defer func() {
		tb.Helper()
		if r := recover(); r != nil {
			tb.Fatalf("%v", r)
		}
	}()
	f()
}

// normalise turns a jsii value into plain JSON types, so it compares with
// reflect.DeepEqual against the template.
func normalise(tb testing.TB, v any) map[string]any {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		tb.Fatal(err)
	}
	return out
}

// ref is the CloudFormation reference the stack resolves a token to, e.g.
// {"Ref": "ProductTable…"}.
func ref(tb testing.TB, s *synth, token *string) map[string]any {
	tb.Helper()
	var out any
	mustCDK(tb, func() { out = s.stack.Resolve(token) })
	return normalise(tb, out)
}

// resources returns the template's resources of one type, by logical ID.
func resources(s *synth, typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range s.json["Resources"].(map[string]any) {
		r := r.(map[string]any)
		if r["Type"] == typ {
			props, _ := r["Properties"].(map[string]any) // absent when empty
			if props == nil {
				props = map[string]any{}
			}
			out[id] = props
		}
	}
	return out
}

func TestTables(t *testing.T) {
	s := MustSynth(t, deploy.ComputeLambda)
	hash := func(n string) map[string]any { return map[string]any{"AttributeName": n, "KeyType": "HASH"} }
	rng := func(n string) map[string]any { return map[string]any{"AttributeName": n, "KeyType": "RANGE"} }
	gsi := func(name, pk, sk string) map[string]any {
		return map[string]any{
			"IndexName":  name,
			"KeySchema":  []any{hash(pk), rng(sk)},
			"Projection": map[string]any{"ProjectionType": "ALL"},
		}
	}
	for _, tc := range []struct {
		name  string
		table *string
		keys  []any
		gsis  []any
		ttl   string
	}{
		{"Product", s.stack.ProductTable.TableName(), []any{hash("id")}, []any{gsi("category-index", "category", "id")}, ""},
		{"Basket", s.stack.BasketTable.TableName(), []any{hash("userName")}, nil, "expiresAt"},
		{"BasketCatalog", s.stack.BasketCatalogTable.TableName(), []any{hash("productId")}, nil, ""},
		{"Order", s.stack.OrderTable.TableName(), []any{hash("userName"), rng("orderDate")}, nil, ""},
		{"Outbox", s.stack.OutboxTable.TableName(), []any{hash("stream"), rng("id")}, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := ref(t, s, tc.table)["Ref"].(string)
			got, ok := resources(s, "AWS::DynamoDB::Table")[id]
			if !ok {
				t.Fatalf("no table %s in the template", id)
			}
			if !reflect.DeepEqual(got["KeySchema"], tc.keys) {
				t.Errorf("KeySchema: got %v, want %v", got["KeySchema"], tc.keys)
			}
			if got["BillingMode"] != "PAY_PER_REQUEST" {
				t.Errorf("BillingMode: got %v, want PAY_PER_REQUEST", got["BillingMode"])
			}
			pitr := got["PointInTimeRecoverySpecification"].(map[string]any)
			if pitr["PointInTimeRecoveryEnabled"] != true {
				t.Errorf("point-in-time recovery: got %v, want enabled", pitr)
			}
			gotGSIs, _ := got["GlobalSecondaryIndexes"].([]any)
			if len(gotGSIs) != len(tc.gsis) || (len(tc.gsis) > 0 && !reflect.DeepEqual(gotGSIs, tc.gsis)) {
				t.Errorf("GlobalSecondaryIndexes: got %v, want %v", gotGSIs, tc.gsis)
			}
			// Every key attribute, table or index, is a string.
			for _, d := range got["AttributeDefinitions"].([]any) {
				if typ := d.(map[string]any)["AttributeType"]; typ != "S" {
					t.Errorf("attribute %v: got type %v, want S", d, typ)
				}
			}
			if tc.ttl == "" {
				if got["TimeToLiveSpecification"] != nil {
					t.Errorf("unexpected TTL %v", got["TimeToLiveSpecification"])
				}
				return
			}
			want := map[string]any{"AttributeName": tc.ttl, "Enabled": true}
			if !reflect.DeepEqual(got["TimeToLiveSpecification"], want) {
				t.Errorf("TTL: got %v, want %v", got["TimeToLiveSpecification"], want)
			}
		})
	}
}

func TestRules(t *testing.T) {
	for _, compute := range []deploy.Compute{deploy.ComputeLambda, deploy.ComputeFargate} {
		t.Run(string(compute), func(t *testing.T) {
			s := MustSynth(t, compute)
			bus := ref(t, s, s.stack.Bus.EventBusName())
			mustCDK(t, func() {
				s.template.HasResourceProperties(jsii.String("AWS::Events::EventBus"), map[string]any{"Name": "SwnEventBus"})
			})
			for _, tc := range []struct {
				name    string
				pattern map[string]any
				queue   *string
			}{
				{"Checkout", map[string]any{
					"source":      []any{"com.swn.basket.checkoutbasket"},
					"detail-type": []any{"CheckoutBasket"},
				}, s.stack.OrderQueue.QueueArn()},
				{"Product", map[string]any{
					"source":      []any{"com.swn.product"},
					"detail-type": []any{"ProductCreated", "ProductUpdated", "ProductDeleted"},
				}, s.stack.BasketQueue.QueueArn()},
			} {
				t.Run(tc.name, func(t *testing.T) {
					mustCDK(t, func() {
						s.template.HasResourceProperties(jsii.String("AWS::Events::Rule"), map[string]any{
							"EventBusName": bus,
							"EventPattern": assertions.Match_ObjectEquals(&tc.pattern),
							"Targets": []any{assertions.Match_ObjectLike(&map[string]any{
								"Arn": ref(t, s, tc.queue),
								// Undeliverable events are kept, not dropped.
								"DeadLetterConfig": map[string]any{"Arn": ref(t, s, s.stack.DeliveryDLQ.QueueArn())},
							})},
						})
					})
				})
			}
			mustCDK(t, func() { s.template.ResourceCountIs(jsii.String("AWS::Events::Rule"), jsii.Number(2)) })
		})
	}
}

func TestQueuesHaveDeadLetterQueues(t *testing.T) {
	s := MustSynth(t, deploy.ComputeLambda)
	queues := resources(s, "AWS::SQS::Queue")
	for name, q := range map[string]*string{
		"Order":  s.stack.OrderQueue.QueueUrl(),
		"Basket": s.stack.BasketQueue.QueueUrl(),
	} {
		t.Run(name, func(t *testing.T) {
			got := queues[ref(t, s, q)["Ref"].(string)]
			if got == nil {
				t.Fatal("queue not in the template")
			}
			// Visibility must outlast six Lambda timeouts (30 s).
			if v, _ := got["VisibilityTimeout"].(float64); v < 6*30 {
				t.Errorf("VisibilityTimeout: got %v, want >= 180", got["VisibilityTimeout"])
			}
			redrive, _ := got["RedrivePolicy"].(map[string]any)
			if redrive["maxReceiveCount"] != float64(5) {
				t.Errorf("maxReceiveCount: got %v, want 5", redrive["maxReceiveCount"])
			}
			target, _ := redrive["deadLetterTargetArn"].(map[string]any)
			getAtt, _ := target["Fn::GetAtt"].([]any)
			if len(getAtt) != 2 || getAtt[1] != "Arn" {
				t.Fatalf("deadLetterTargetArn: got %v, want the ARN of a queue in the stack", target)
			}
			dlq, ok := queues[getAtt[0].(string)]
			if !ok {
				t.Fatalf("dead-letter queue %v is not a queue in the stack", getAtt[0])
			}
			if dlq["RedrivePolicy"] != nil {
				t.Errorf("the dead-letter queue itself redrives: %v", dlq["RedrivePolicy"])
			}
		})
	}
	if got := len(queues); got != 5 {
		t.Errorf("queues: got %d, want 5 (two consumer queues, their DLQs, the rules' delivery DLQ)", got)
	}
}

func TestEventSourceMappings(t *testing.T) {
	s := MustSynth(t, deploy.ComputeLambda)
	mappings := resources(s, "AWS::Lambda::EventSourceMapping")
	var sources []string
	for id, m := range mappings {
		if got, want := m["FunctionResponseTypes"], []any{"ReportBatchItemFailures"}; !reflect.DeepEqual(got, want) {
			t.Errorf("%s FunctionResponseTypes: got %v, want %v", id, got, want)
		}
		if got := m["BatchSize"]; got != float64(10) {
			t.Errorf("%s BatchSize: got %v, want 10", id, got)
		}
		b, _ := json.Marshal(m["EventSourceArn"])
		sources = append(sources, string(b))
	}
	var want []string
	for _, q := range []*string{s.stack.OrderQueue.QueueArn(), s.stack.BasketQueue.QueueArn()} {
		b, _ := json.Marshal(ref(t, s, q))
		want = append(want, string(b))
	}
	sort.Strings(sources)
	sort.Strings(want)
	if !reflect.DeepEqual(sources, want) {
		t.Errorf("event sources: got %v, want %v", sources, want)
	}

	// On Fargate the server polls; a mapping there would steal its messages.
	if got := len(resources(MustSynth(t, deploy.ComputeFargate), "AWS::Lambda::EventSourceMapping")); got != 0 {
		t.Errorf("fargate stack has %d event source mappings, want 0", got)
	}
}

func TestFunction(t *testing.T) {
	s := MustSynth(t, deploy.ComputeLambda)
	fns := resources(s, "AWS::Lambda::Function")
	if len(fns) != 1 {
		t.Fatalf("functions: got %d, want 1", len(fns))
	}
	for _, fn := range fns {
		if fn["PackageType"] != "Image" || fn["MemorySize"] != float64(512) || fn["Timeout"] != float64(30) {
			t.Errorf("function: got PackageType %v, MemorySize %v, Timeout %v; want Image, 512, 30",
				fn["PackageType"], fn["MemorySize"], fn["Timeout"])
		}
		vars := fn["Environment"].(map[string]any)["Variables"].(map[string]any)
		checkEnvironment(t, s, vars, map[string]string{
			"SHOP_STORE":                   "dynamodb",
			"SHOP_BUS":                     "aws",
			"SHOP_SQS_POLL":                "false",
			"SHOP_EVENT_BUS_NAME":          "SwnEventBus",
			"AWS_LWA_PASS_THROUGH_PATH":    "/events",
			"AWS_LWA_READINESS_CHECK_PATH": "/readyz",
			"AWS_LWA_ERROR_STATUS_CODES":   "500-599",
		})
		// X-Ray active tracing: Lambda samples and records each invocation.
		if got, want := fn["TracingConfig"], map[string]any{"Mode": "Active"}; !reflect.DeepEqual(got, want) {
			t.Errorf("TracingConfig: got %v, want %v", got, want)
		}
	}
	policies, _ := json.Marshal(resources(s, "AWS::IAM::Policy"))
	for _, action := range []string{"xray:PutTraceSegments", "xray:PutTelemetryRecords"} {
		if !strings.Contains(string(policies), `"`+action+`"`) {
			t.Errorf("no IAM policy allows %s", action)
		}
	}
}

func TestHTTPAPI(t *testing.T) {
	s := MustSynth(t, deploy.ComputeLambda)
	authorizers := resources(s, "AWS::ApiGatewayV2::Authorizer")
	if len(authorizers) != 1 {
		t.Fatalf("authorizers: got %d, want 1", len(authorizers))
	}
	var jwtID string
	for id, a := range authorizers {
		jwtID = id
		for name, want := range map[string]any{
			"AuthorizerType": "JWT",
			"IdentitySource": []any{"$request.header.Authorization"},
			// API Gateway matches access tokens' client_id against Audience.
			"JwtConfiguration": map[string]any{
				"Issuer":   wantIssuer(t, s),
				"Audience": []any{ref(t, s, s.stack.UserPoolClient.UserPoolClientId())},
			},
		} {
			if got := a[name]; !reflect.DeepEqual(got, want) {
				t.Errorf("authorizer %s: got %v, want %v", name, got, want)
			}
		}
	}

	type auth struct{ Type, Authorizer string }
	routes := map[string]auth{}
	for _, r := range resources(s, "AWS::ApiGatewayV2::Route") {
		a := auth{Type: r["AuthorizationType"].(string)}
		if id, ok := r["AuthorizerId"].(map[string]any); ok {
			a.Authorizer, _ = id["Ref"].(string)
		}
		routes[r["RouteKey"].(string)] = a
	}
	public, token, iam := auth{"NONE", ""}, auth{"JWT", jwtID}, auth{"AWS_IAM", ""}
	want := map[string]auth{
		// Reading the catalog and the probes needs no token, for GET only.
		"GET /product":      public,
		"GET /product/{id}": public,
		"GET /healthz":      public,
		"GET /readyz":       public,
		// The contract and its reference page, likewise.
		"GET /openapi.yaml": public,
		"GET /openapi.json": public,
		"GET /docs":         public,
		"GET /docs/{asset}": public,
		// Everything else, other methods on the paths above included, falls
		// to $default: API Gateway rejects it without a valid token before
		// the function runs.
		"$default": token,
		// The adapter's pass-through path, which only IAM-signed callers
		// (none are granted) may use.
		"ANY /events":          iam,
		"ANY /events/{proxy+}": iam,
	}
	if !reflect.DeepEqual(routes, want) {
		t.Errorf("routes: got %v, want %v", routes, want)
	}
	mustCDK(t, func() { s.template.HasOutput(jsii.String("ApiUrl"), map[string]any{}) })
}

func TestIdentity(t *testing.T) {
	for _, compute := range []deploy.Compute{deploy.ComputeLambda, deploy.ComputeFargate} {
		t.Run(string(compute), func(t *testing.T) {
			s := MustSynth(t, compute)
			pool := ref(t, s, s.stack.UserPool.UserPoolId())
			client := ref(t, s, s.stack.UserPoolClient.UserPoolClientId())

			t.Run("UserPool", func(t *testing.T) {
				mustCDK(t, func() {
					s.template.ResourceCountIs(jsii.String("AWS::Cognito::UserPool"), jsii.Number(1))
					s.template.HasResourceProperties(jsii.String("AWS::Cognito::UserPool"), map[string]any{
						"UsernameAttributes":    []any{"email"},
						"AdminCreateUserConfig": map[string]any{"AllowAdminCreateUserOnly": true},
					})
				})
			})
			t.Run("Client", func(t *testing.T) {
				clients := resources(s, "AWS::Cognito::UserPoolClient")
				if len(clients) != 1 {
					t.Fatalf("clients: got %d, want 1", len(clients))
				}
				got := clients[client["Ref"].(string)]
				if got == nil {
					t.Fatalf("client %v not in the template", client)
				}
				if !reflect.DeepEqual(got["UserPoolId"], any(pool)) {
					t.Errorf("UserPoolId: got %v, want %v", got["UserPoolId"], pool)
				}
				flows := map[any]bool{}
				for _, f := range got["ExplicitAuthFlows"].([]any) {
					flows[f] = true
				}
				for _, f := range []string{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH"} {
					if !flows[f] {
						t.Errorf("ExplicitAuthFlows: got %v, want %s among them", got["ExplicitAuthFlows"], f)
					}
				}
				// A CLI or browser client cannot keep a secret.
				if got["GenerateSecret"] == true {
					t.Error("GenerateSecret: got true, want a public client")
				}
			})
			t.Run("AdminGroup", func(t *testing.T) {
				mustCDK(t, func() {
					s.template.HasResourceProperties(jsii.String("AWS::Cognito::UserPoolGroup"), map[string]any{
						"GroupName":  "admin",
						"UserPoolId": pool,
					})
				})
			})
			t.Run("Outputs", func(t *testing.T) {
				mustCDK(t, func() {
					s.template.HasOutput(jsii.String("UserPoolId"), map[string]any{"Value": pool})
					s.template.HasOutput(jsii.String("UserPoolClientId"), map[string]any{"Value": client})
				})
			})
		})
	}
}

// wantIssuer is the iss claim of the stack's user pool tokens, as the
// template builds it from the region and the pool's id.
func wantIssuer(tb testing.TB, s *synth) map[string]any {
	tb.Helper()
	return map[string]any{"Fn::Join": []any{"", []any{
		"https://cognito-idp.", map[string]any{"Ref": "AWS::Region"},
		".amazonaws.com/", ref(tb, s, s.stack.UserPool.UserPoolId()),
	}}}
}

func TestFargate(t *testing.T) {
	s := MustSynth(t, deploy.ComputeFargate)
	tasks := resources(s, "AWS::ECS::TaskDefinition")
	if len(tasks) != 1 {
		t.Fatalf("task definitions: got %d, want 1", len(tasks))
	}
	for _, task := range tasks {
		containers := task["ContainerDefinitions"].([]any)
		if len(containers) != 1 {
			t.Fatalf("containers: got %d, want 1", len(containers))
		}
		vars := map[string]any{}
		for _, kv := range containers[0].(map[string]any)["Environment"].([]any) {
			kv := kv.(map[string]any)
			vars[kv["Name"].(string)] = kv["Value"]
		}
		checkEnvironment(t, s, vars, map[string]string{
			"SHOP_STORE":          "dynamodb",
			"SHOP_BUS":            "aws",
			"SHOP_SQS_POLL":       "true",
			"SHOP_EVENT_BUS_NAME": "SwnEventBus",
		})
	}
	if got := len(resources(s, "AWS::Lambda::Function")); got != 0 {
		t.Errorf("lambda functions in the fargate stack: got %d, want 0", got)
	}
	mustCDK(t, func() {
		s.template.HasResourceProperties(jsii.String("AWS::ElasticLoadBalancingV2::TargetGroup"), map[string]any{
			"HealthCheckPath": "/readyz",
		})
		s.template.HasResourceProperties(jsii.String("AWS::ElasticLoadBalancingV2::ListenerRule"), map[string]any{
			"Actions": []any{assertions.Match_ObjectLike(&map[string]any{
				"Type":                "fixed-response",
				"FixedResponseConfig": map[string]any{"StatusCode": "404"},
			})},
			"Conditions": []any{map[string]any{
				"Field":             "path-pattern",
				"PathPatternConfig": map[string]any{"Values": []any{"/events", "/events/*"}},
			}},
		})
		s.template.HasOutput(jsii.String("ApiUrl"), map[string]any{})
	})
	// The task polls both queues itself.
	policies, _ := json.Marshal(resources(s, "AWS::IAM::Policy"))
	for _, action := range []string{"sqs:ReceiveMessage", "sqs:DeleteMessage", "events:PutEvents", "dynamodb:PutItem"} {
		if !strings.Contains(string(policies), `"`+action+`"`) {
			t.Errorf("no IAM policy allows %s", action)
		}
	}
}

// checkEnvironment asserts that the server's environment uses only names the
// binary (or, for AWS_LWA_*, the Lambda Web Adapter) reads, that it verifies
// tokens from the stack's user pool, that every table and queue the binary
// can be pointed at is set to the stack's own, and that fixed holds.
func checkEnvironment(t *testing.T, s *synth, vars map[string]any, fixed map[string]string) {
	t.Helper()
	read := binaryEnvNames(t)
	for name := range vars {
		if !read[name] && !strings.HasPrefix(name, "AWS_LWA_") {
			t.Errorf("the stack sets %s, which the binary does not read", name)
		}
	}
	for name, want := range fixed {
		if got := vars[name]; got != want {
			t.Errorf("%s: got %v, want %q", name, got, want)
		}
	}
	// Both compute modes check the pool's tokens themselves; on Fargate
	// nothing in front of the server does.
	for name, want := range map[string]any{
		"SHOP_AUTH":             "oidc",
		"SHOP_AUTH_ISSUER":      wantIssuer(t, s),
		"SHOP_AUTH_CLIENT_IDS":  ref(t, s, s.stack.UserPoolClient.UserPoolClientId()),
		"SHOP_AUTH_ADMIN_GROUP": "admin",
	} {
		if got := vars[name]; !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %v, want %v", name, got, want)
		}
	}
	st := s.stack
	for name, token := range map[string]*string{
		"SHOP_PRODUCT_TABLE":        st.ProductTable.TableName(),
		"SHOP_BASKET_TABLE":         st.BasketTable.TableName(),
		"SHOP_BASKET_CATALOG_TABLE": st.BasketCatalogTable.TableName(),
		"SHOP_ORDER_TABLE":          st.OrderTable.TableName(),
		"SHOP_OUTBOX_TABLE":         st.OutboxTable.TableName(),
		"SHOP_ORDER_QUEUE_URL":      st.OrderQueue.QueueUrl(),
		"SHOP_BASKET_QUEUE_URL":     st.BasketQueue.QueueUrl(),
	} {
		if !read[name] {
			continue // the binary has no such setting (yet); nothing to point
		}
		if got, want := vars[name], ref(t, s, token); !reflect.DeepEqual(got, any(want)) {
			t.Errorf("%s: got %v, want %v", name, got, want)
		}
	}
	// A table or queue setting the stack leaves unset would silently fall
	// back to a default name that does not exist in the account.
	for name := range read {
		if (strings.HasSuffix(name, "_TABLE") || strings.HasSuffix(name, "_QUEUE_URL")) && vars[name] == nil {
			t.Errorf("the binary reads %s but the stack does not set it", name)
		}
	}
}

// configMDNames are the variables listed in the project's configuration
// table, used when the binary's source is not beside this module.
var configMDNames = []string{
	"PORT", "SHOP_STORE", "SHOP_BUS", "SHOP_DATA_DIR", "SHOP_LOG_LEVEL", "SHOP_LOG_FORMAT",
	"SHOP_PRODUCT_TABLE", "SHOP_BASKET_TABLE", "SHOP_BASKET_CATALOG_TABLE", "SHOP_ORDER_TABLE",
	"SHOP_CREATE_TABLES", "SHOP_EVENT_BUS_NAME", "SHOP_CHECKOUT_SOURCE", "SHOP_CHECKOUT_DETAIL_TYPE",
	"SHOP_PRODUCT_SOURCE", "SHOP_ORDER_QUEUE_URL", "SHOP_BASKET_QUEUE_URL", "SHOP_SQS_POLL",
	"AWS_LWA_PASS_THROUGH_PATH", "SHOP_ADMIN_ADDR",
	"SHOP_AUTH", "SHOP_AUTH_ISSUER", "SHOP_AUTH_CLIENT_IDS", "SHOP_AUTH_JWKS_URL",
	"SHOP_AUTH_USER_CLAIM", "SHOP_AUTH_GROUPS_CLAIM", "SHOP_AUTH_ADMIN_GROUP",
}

var envTag = regexp.MustCompile(`\benv:"([^",]+)`)

// binaryEnvNames returns the environment variable names the binary reads:
// the caarlos0/env tags in ../cmd/shop, or configMDNames without that source.
func binaryEnvNames(tb testing.TB) map[string]bool {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join("..", "cmd", "shop", "*.go"))
	if err != nil {
		tb.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		if strings.Contains(string(src), "envPrefix:") {
			tb.Fatalf("%s uses envPrefix, which this test's tag parser does not follow: teach binaryEnvNames", f)
		}
		for _, m := range envTag.FindAllStringSubmatch(string(src), -1) {
			names[m[1]] = true
		}
	}
	if len(names) == 0 {
		tb.Logf("no env tags in ../cmd/shop; checking against the documented names")
		for _, n := range configMDNames {
			names[n] = true
		}
	}
	return names
}

func TestParseCompute(t *testing.T) {
	for in, want := range map[string]deploy.Compute{"": deploy.ComputeLambda, "lambda": deploy.ComputeLambda, "fargate": deploy.ComputeFargate} {
		if got, err := deploy.ParseCompute(in); err != nil || got != want {
			t.Errorf("ParseCompute(%q): got %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := deploy.ParseCompute("ec2"); err == nil {
		t.Error("ParseCompute(\"ec2\"): got no error")
	}
}

func TestDefaultImageDirectory(t *testing.T) {
	dir, err := deploy.DefaultImageDirectory()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"Dockerfile", "go.mod"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s in %s: %v", f, dir, err)
		}
	}
	if got, want := filepath.Base(dir), filepath.Base(filepath.Dir(mustGetwd(t))); got != want {
		t.Errorf("got %s, want the repository root %s", dir, want)
	}
}

func mustGetwd(tb testing.TB) string {
	tb.Helper()
	wd, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	return wd
}
