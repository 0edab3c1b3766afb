package main_test

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	deploy "github.com/serverless-shop/shop/deploy"
)

var computes = []deploy.Compute{deploy.ComputeLambda, deploy.ComputeFargate}

const testAlarmEmail = "ops@example.com"

var withAlarmEmail = map[deploy.Compute]*synth{}

// MustSynthWithAlarmEmail returns the stack for one compute mode built the
// way `cdk deploy -c alarmEmail=…` builds it: from context values, through
// deploy.StackFromContext. Both modes take an ECR image, to synthesise fast.
func MustSynthWithAlarmEmail(tb testing.TB, compute deploy.Compute) *synth {
	tb.Helper()
	if s, ok := withAlarmEmail[compute]; ok {
		return s
	}
	ctx := map[string]any{"compute": string(compute), "alarmEmail": testAlarmEmail, "imageRepository": "shop"}
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(tb.TempDir()), Context: &ctx})
	name, props, err := deploy.StackFromContext(app)
	if err != nil {
		tb.Fatalf("StackFromContext: %v", err)
	}
	stack, err := deploy.NewShopStack(app, name, props)
	if err != nil {
		tb.Fatalf("NewShopStack: %v", err)
	}
	s := mustTemplate(tb, stack)
	withAlarmEmail[compute] = s
	return s
}

func TestAlarmEmailSetting(t *testing.T) {
	for _, tc := range []struct {
		name, context, env, want string
	}{
		{"Context", testAlarmEmail, "", testAlarmEmail},
		{"Environment", "", "env@example.com", "env@example.com"},
		{"ContextWins", testAlarmEmail, "env@example.com", testAlarmEmail},
		{"None", "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("DEPLOY_ALARM_EMAIL", tc.env)
			ctx := map[string]any{}
			if tc.context != "" {
				ctx["alarmEmail"] = tc.context
			}
			app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir()), Context: &ctx})
			_, props, err := deploy.StackFromContext(app)
			if err != nil {
				t.Fatal(err)
			}
			if props.AlarmEmail != tc.want {
				t.Errorf("AlarmEmail: got %q, want %q", props.AlarmEmail, tc.want)
			}
		})
	}
	for _, bad := range []string{"ops", "Ops <ops@example.com>", "ops@example.com, dev@example.com"} {
		app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
		if _, err := deploy.NewShopStack(app, "Bad", &deploy.ShopStackProps{AlarmEmail: bad}); err == nil {
			t.Errorf("NewShopStack with AlarmEmail %q: got no error", bad)
		}
	}
}

func TestAlarmSubscription(t *testing.T) {
	for _, compute := range computes {
		t.Run(string(compute), func(t *testing.T) {
			if got := resources(MustSynth(t, compute), "AWS::SNS::Subscription"); len(got) != 0 {
				t.Errorf("without alarmEmail: got subscriptions %v, want none", got)
			}
			s := MustSynthWithAlarmEmail(t, compute)
			subs := resources(s, "AWS::SNS::Subscription")
			want := map[string]any{"Protocol": "email", "Endpoint": testAlarmEmail, "TopicArn": ref(t, s, s.stack.AlarmTopic.TopicArn())}
			for _, got := range subs {
				if !reflect.DeepEqual(got, want) {
					t.Errorf("subscription: got %v, want %v", got, want)
				}
			}
			if len(subs) != 1 {
				t.Errorf("with alarmEmail: got %d subscriptions, want 1", len(subs))
			}
		})
	}
}

func TestAlarms(t *testing.T) {
	for _, compute := range computes {
		t.Run(string(compute), func(t *testing.T) {
			s := MustSynth(t, compute)
			topic := ref(t, s, s.stack.AlarmTopic.TopicArn())
			all := resources(s, "AWS::CloudWatch::Alarm")
			for id, a := range all {
				for name, want := range map[string]any{
					"AlarmActions":      []any{topic},
					"OKActions":         []any{topic},
					"EvaluationPeriods": float64(1),
					"TreatMissingData":  "notBreaching",
				} {
					if got := a[name]; !reflect.DeepEqual(got, want) {
						t.Errorf("%s %s: got %v, want %v", id, name, got, want)
					}
				}
			}

			wantCount := 0
			check := func(name string, a map[string]any, want map[string]any) {
				t.Helper()
				wantCount++
				for k, w := range want {
					if got := a[k]; !reflect.DeepEqual(got, w) {
						t.Errorf("%s alarm %s: got %v, want %v", name, k, got, w)
					}
				}
			}
			for _, id := range deadLetterQueueIDs(t, s) {
				// Any message at all in a dead-letter queue.
				check(id, mustAlarmOn(t, s, "AWS/SQS", "ApproximateNumberOfMessagesVisible", getAtt(id, "QueueName")), map[string]any{
					"Statistic": "Maximum", "Period": float64(60),
					"ComparisonOperator": "GreaterThanOrEqualToThreshold", "Threshold": float64(1),
				})
			}
			check("order queue age", mustAlarmOn(t, s, "AWS/SQS", "ApproximateAgeOfOldestMessage", ref(t, s, s.stack.OrderQueue.QueueName())), map[string]any{
				"Statistic": "Maximum", "Period": float64(60),
				"ComparisonOperator": "GreaterThanThreshold", "Threshold": float64(60),
			})
			if compute == deploy.ComputeLambda {
				check("throttles", mustAlarmOn(t, s, "AWS/Lambda", "Throttles", ref(t, s, s.stack.Function.FunctionName())), map[string]any{
					"Statistic": "Sum", "Period": float64(60),
					"ComparisonOperator": "GreaterThanThreshold", "Threshold": float64(0),
				})
			}
			t.Run("ServerErrorRate", func(t *testing.T) { checkErrorRateAlarm(t, s, compute) })
			wantCount++
			if len(all) != wantCount {
				t.Errorf("alarms: got %d, want %d", len(all), wantCount)
			}
		})
	}
}

// checkErrorRateAlarm asserts the 5xx alarm: 100 × 5xx / requests above 1
// over one 5-minute period, counted at the HTTP API or the ALB.
func checkErrorRateAlarm(t *testing.T, s *synth, compute deploy.Compute) {
	var alarm map[string]any
	for _, a := range resources(s, "AWS::CloudWatch::Alarm") {
		if a["Metrics"] != nil {
			if alarm != nil {
				t.Fatal("more than one metric-math alarm")
			}
			alarm = a
		}
	}
	if alarm == nil {
		t.Fatal("no metric-math alarm")
	}
	if alarm["ComparisonOperator"] != "GreaterThanThreshold" || alarm["Threshold"] != float64(1) {
		t.Errorf("got %v %v, want GreaterThanThreshold 1", alarm["ComparisonOperator"], alarm["Threshold"])
	}
	byID := map[string]map[string]any{}
	var returned []string
	for _, m := range alarm["Metrics"].([]any) {
		m := m.(map[string]any)
		byID[m["Id"].(string)] = m
		if m["ReturnData"] == true {
			returned = append(returned, m["Id"].(string))
		}
	}
	if len(returned) != 1 || byID[returned[0]]["Expression"] != "100 * errors / requests" {
		t.Fatalf("returned: got %v (%v), want one expression 100 * errors / requests", returned, alarm["Metrics"])
	}
	// stat asserts that id is the Sum of one metric over 300 s.
	stat := func(id, namespace, name, dims string) {
		t.Helper()
		ms, _ := byID[id]["MetricStat"].(map[string]any)
		if ms == nil || ms["Period"] != float64(300) || ms["Stat"] != "Sum" {
			t.Errorf("%s: got %v, want Sum over 300 s", id, byID[id])
			return
		}
		metric := ms["Metric"].(map[string]any)
		got := dashboardMetric{metric["Namespace"].(string), metric["MetricName"].(string), alarmDimensions(t, metric["Dimensions"]), "Sum"}
		if want := (dashboardMetric{namespace, name, dims, "Sum"}); got != want {
			t.Errorf("%s: got %v, want %v", id, got, want)
		}
	}
	switch compute {
	case deploy.ComputeLambda:
		api := "ApiId=" + tokenText(t, map[string]any{"Ref": onlyResource(t, s, "AWS::ApiGatewayV2::Api")})
		stat("errors", "AWS/ApiGateway", "5xx", api)
		stat("requests", "AWS/ApiGateway", "Count", api)
	case deploy.ComputeFargate:
		alb := "LoadBalancer=" + tokenText(t, getAtt(onlyResource(t, s, "AWS::ElasticLoadBalancingV2::LoadBalancer"), "LoadBalancerFullName"))
		// The ALB's own 5xx (no healthy task) count as well as the tasks'.
		if got := byID["errors"]["Expression"]; got != "FILL(target, 0) + FILL(elb, 0)" {
			t.Errorf("errors: got %v, want the sum of target and ALB 5xx", got)
		}
		stat("target", "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", alb)
		stat("elb", "AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", alb)
		stat("requests", "AWS/ApplicationELB", "RequestCount", alb)
	}
}

func TestDashboard(t *testing.T) {
	for _, compute := range computes {
		t.Run(string(compute), func(t *testing.T) {
			s := MustSynth(t, compute)
			got, alarms := dashboard(t, s)
			var want []dashboardMetric
			add := func(namespace, dims string, stats []string, names ...string) {
				for _, n := range names {
					for _, st := range stats {
						want = append(want, dashboardMetric{namespace, n, dims, st})
					}
				}
			}
			sum, max, avg, pct := []string{"Sum"}, []string{"Maximum"}, []string{"Average"}, []string{"p50", "p90", "p99"}
			for _, q := range []*string{s.stack.OrderQueue.QueueName(), s.stack.BasketQueue.QueueName()} {
				add("AWS/SQS", "QueueName="+tokenText(t, ref(t, s, q)), max, "ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage")
			}
			for _, id := range deadLetterQueueIDs(t, s) {
				add("AWS/SQS", "QueueName="+tokenText(t, getAtt(id, "QueueName")), max, "ApproximateNumberOfMessagesVisible")
			}
			switch compute {
			case deploy.ComputeLambda:
				api := "ApiId=" + tokenText(t, map[string]any{"Ref": onlyResource(t, s, "AWS::ApiGatewayV2::Api")})
				add("AWS/ApiGateway", api, sum, "Count", "5xx")
				add("AWS/ApiGateway", api, pct, "Latency")
				fn := "FunctionName=" + tokenText(t, ref(t, s, s.stack.Function.FunctionName()))
				add("AWS/Lambda", fn, sum, "Errors", "Throttles")
				add("AWS/Lambda", fn, pct, "Duration")
			case deploy.ComputeFargate:
				alb := "LoadBalancer=" + tokenText(t, getAtt(onlyResource(t, s, "AWS::ElasticLoadBalancingV2::LoadBalancer"), "LoadBalancerFullName"))
				add("AWS/ApplicationELB", alb, sum, "RequestCount", "HTTPCode_Target_5XX_Count", "HTTPCode_ELB_5XX_Count")
				add("AWS/ApplicationELB", alb, pct, "TargetResponseTime")
				svc := "ClusterName=" + tokenText(t, map[string]any{"Ref": onlyResource(t, s, "AWS::ECS::Cluster")}) +
					";ServiceName=" + tokenText(t, getAtt(onlyResource(t, s, "AWS::ECS::Service"), "Name"))
				add("AWS/ECS", svc, avg, "CPUUtilization", "MemoryUtilization")
			}
			for _, w := range want {
				if !got[w] {
					t.Errorf("dashboard lacks %v", w)
				}
			}
			// Its alarm widget shows every alarm.
			for id := range resources(s, "AWS::CloudWatch::Alarm") {
				if !alarms[tokenText(t, getAtt(id, "Arn"))] {
					t.Errorf("the alarm widget lacks %s", id)
				}
			}
		})
	}
}

// dashboardMetric is one metric graphed on the dashboard: Dimensions are
// name=value pairs joined by ";", in the order the dashboard lists them.
type dashboardMetric struct{ Namespace, Name, Dimensions, Stat string }

// dashboard returns the metrics graphed on the stack's one dashboard and
// the alarms its alarm widgets show. References in the body are rendered
// with tokenText.
func dashboard(tb testing.TB, s *synth) (map[dashboardMetric]bool, map[string]bool) {
	tb.Helper()
	var body strings.Builder
	dash := resources(s, "AWS::CloudWatch::Dashboard")[onlyResource(tb, s, "AWS::CloudWatch::Dashboard")]
	switch b := dash["DashboardBody"].(type) {
	case string:
		body.WriteString(b)
	case map[string]any:
		for _, part := range b["Fn::Join"].([]any)[1].([]any) {
			if str, ok := part.(string); ok {
				body.WriteString(str)
			} else {
				body.WriteString(tokenText(tb, part))
			}
		}
	}
	var parsed struct {
		Widgets []struct {
			Properties struct {
				Metrics [][]any  `json:"metrics"`
				Alarms  []string `json:"alarms"`
			} `json:"properties"`
		} `json:"widgets"`
	}
	if err := json.Unmarshal([]byte(body.String()), &parsed); err != nil {
		tb.Fatalf("dashboard body: %v\n%s", err, body.String())
	}
	metrics, alarms := map[dashboardMetric]bool{}, map[string]bool{}
	for _, w := range parsed.Widgets {
		for _, a := range w.Properties.Alarms {
			alarms[a] = true
		}
		for _, line := range w.Properties.Metrics {
			namespace, ok := line[0].(string)
			if !ok {
				continue // a math expression, over metrics listed on their own lines
			}
			m := dashboardMetric{Namespace: namespace, Name: line[1].(string), Stat: "Average"}
			rest := line[2:]
			if opts, ok := rest[len(rest)-1].(map[string]any); ok {
				if st, ok := opts["stat"].(string); ok {
					m.Stat = st
				}
				rest = rest[:len(rest)-1]
			}
			var dims []string
			for i := 0; i+1 < len(rest); i += 2 {
				dims = append(dims, rest[i].(string)+"="+rest[i+1].(string))
			}
			m.Dimensions = strings.Join(dims, ";")
			metrics[m] = true
		}
	}
	return metrics, alarms
}

// tokenText renders a CloudFormation reference as text that can stand
// inside a JSON string: {Ref:Id} or {GetAtt:Id.Attribute}.
func tokenText(tb testing.TB, v any) string {
	tb.Helper()
	if m, ok := v.(map[string]any); ok {
		if id, ok := m["Ref"].(string); ok {
			return "{Ref:" + id + "}"
		}
		if g, ok := m["Fn::GetAtt"].([]any); ok && len(g) == 2 {
			return "{GetAtt:" + g[0].(string) + "." + g[1].(string) + "}"
		}
	}
	tb.Fatalf("not a reference: %v", v)
	return ""
}

func getAtt(id, attribute string) map[string]any {
	return map[string]any{"Fn::GetAtt": []any{id, attribute}}
}

// alarmDimensions renders an alarm's Dimensions as dashboardMetric does.
func alarmDimensions(tb testing.TB, v any) string {
	tb.Helper()
	var dims []string
	for _, d := range v.([]any) {
		d := d.(map[string]any)
		dims = append(dims, d["Name"].(string)+"="+tokenText(tb, d["Value"]))
	}
	return strings.Join(dims, ";")
}

// mustAlarmOn returns the one alarm on a metric of the resource whose
// reference is the metric's only dimension value.
func mustAlarmOn(tb testing.TB, s *synth, namespace, name string, dimension any) map[string]any {
	tb.Helper()
	var found []map[string]any
	for _, a := range resources(s, "AWS::CloudWatch::Alarm") {
		dims, _ := a["Dimensions"].([]any)
		if a["Namespace"] == namespace && a["MetricName"] == name && len(dims) == 1 &&
			reflect.DeepEqual(dims[0].(map[string]any)["Value"], dimension) {
			found = append(found, a)
		}
	}
	if len(found) != 1 {
		tb.Fatalf("alarms on %s %s of %v: got %d, want 1", namespace, name, dimension, len(found))
	}
	return found[0]
}

// onlyResource returns the logical ID of the template's one resource of typ.
func onlyResource(tb testing.TB, s *synth, typ string) string {
	tb.Helper()
	rs := resources(s, typ)
	if len(rs) != 1 {
		tb.Fatalf("%s: got %d, want 1", typ, len(rs))
	}
	for id := range rs {
		return id
	}
	return ""
}

// deadLetterQueueIDs are the logical IDs of every queue the template uses
// as a dead-letter queue: a queue's redrive target or a rule target's.
func deadLetterQueueIDs(tb testing.TB, s *synth) []string {
	tb.Helper()
	set := map[string]bool{}
	arnOf := func(v any) {
		g, _ := v.(map[string]any)["Fn::GetAtt"].([]any)
		if len(g) != 2 || g[1] != "Arn" {
			tb.Fatalf("dead-letter target %v is not a queue in the stack", v)
		}
		set[g[0].(string)] = true
	}
	for _, q := range resources(s, "AWS::SQS::Queue") {
		if r, ok := q["RedrivePolicy"].(map[string]any); ok {
			arnOf(r["deadLetterTargetArn"])
		}
	}
	for _, r := range resources(s, "AWS::Events::Rule") {
		for _, target := range r["Targets"].([]any) {
			if dl, ok := target.(map[string]any)["DeadLetterConfig"].(map[string]any); ok {
				arnOf(dl["Arn"])
			}
		}
	}
	var ids []string
	for id := range set {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	if len(ids) == 0 {
		tb.Fatal("no dead-letter queues in the template")
	}
	return ids
}
