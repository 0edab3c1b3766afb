package main

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecspatterns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudwatch"
	"github.com/aws/jsii-runtime-go"
)

// Alarm thresholds.
const (
	// serverErrorPercent is the share of requests answered 5xx, over
	// serverErrorWindow, above which the service is failing its users.
	serverErrorPercent = 1
	serverErrorWindow  = 5 // minutes
	// orderAgeSeconds is how long a checkout may wait for the ordering
	// module before someone should look: consumers normally take well
	// under a second, so a minute means they are stuck or failing.
	orderAgeSeconds = 60
)

// graphPeriod is the resolution of the dashboard's graphs.
var graphPeriod = awscdk.Duration_Minutes(jsii.Number(1))

// frontDoor is what monitoring watches of a compute mode: the traffic of
// whatever answers HTTP (the HTTP API or the ALB) and the widgets of what
// runs the server.
type frontDoor struct {
	// name labels the traffic widgets: "HTTP API" or "ALB".
	name string
	// requests and serverErrors are counts (Sum); serverErrors may be a
	// math expression over several metrics.
	requests, serverErrors awscloudwatch.IMetric
	// latency is the response time at one percentile statistic ("p50").
	latency func(stat string) awscloudwatch.IMetric
	// compute graphs what runs the server (function or tasks).
	compute []awscloudwatch.IWidget
	// function is the Lambda function, nil on Fargate.
	function awslambda.IFunction
}

func sum(m awscloudwatch.Metric, label string) awscloudwatch.IMetric {
	return m.With(&awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Label: jsii.String(label), Period: graphPeriod})
}

func maximum(m awscloudwatch.Metric, label string) awscloudwatch.IMetric {
	return m.With(&awscloudwatch.MetricOptions{Statistic: jsii.String("Maximum"), Label: jsii.String(label), Period: graphPeriod})
}

func graph(title string, metrics ...awscloudwatch.IMetric) awscloudwatch.IWidget {
	return awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
		Title: jsii.String(title), Left: &metrics, Width: jsii.Number(8), Height: jsii.Number(6),
	})
}

// opts graphs a metric at one statistic, labelled with it.
func opts(stat string) *awscloudwatch.MetricOptions {
	return &awscloudwatch.MetricOptions{Statistic: jsii.String(stat), Label: jsii.String(stat), Period: graphPeriod}
}

var percentiles = []string{"p50", "p90", "p99"}

func percentileGraph(title string, at func(stat string) awscloudwatch.IMetric) awscloudwatch.IWidget {
	var ms []awscloudwatch.IMetric
	for _, p := range percentiles {
		ms = append(ms, at(p))
	}
	return graph(title, ms...)
}

// lambdaFrontDoor watches the HTTP API and the function behind it.
func lambdaFrontDoor(api awsapigatewayv2.HttpApi, fn awslambda.IFunction) frontDoor {
	return frontDoor{
		name:         "HTTP API",
		requests:     sum(api.MetricCount(nil), "requests"),
		serverErrors: sum(api.MetricServerError(nil), "5xx"),
		latency:      func(stat string) awscloudwatch.IMetric { return api.MetricLatency(opts(stat)) },
		compute: []awscloudwatch.IWidget{
			graph("Function errors and throttles", sum(fn.MetricErrors(nil), "errors"), sum(fn.MetricThrottles(nil), "throttles")),
			percentileGraph("Function duration (ms)", func(stat string) awscloudwatch.IMetric { return fn.MetricDuration(opts(stat)) }),
			graph("Function invocations", sum(fn.MetricInvocations(nil), "invocations")),
		},
		function: fn,
	}
}

// fargateFrontDoor watches the ALB and the service's tasks. A 5xx is one the
// targets answered or one the ALB made itself (502/503/504 when no task
// answers), so both count against the error rate.
func fargateFrontDoor(svc awsecspatterns.ApplicationLoadBalancedFargateService) frontDoor {
	alb := svc.LoadBalancer().Metrics()
	return frontDoor{
		name:     "ALB",
		requests: sum(alb.RequestCount(nil), "requests"),
		// FILL: the ALB publishes its 5xx counts only when they are not zero.
		serverErrors: awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
			Expression: jsii.String("FILL(target, 0) + FILL(elb, 0)"),
			UsingMetrics: &map[string]awscloudwatch.IMetric{
				"target": sum(alb.HttpCodeTarget(awselasticloadbalancingv2.HttpCodeTarget_TARGET_5XX_COUNT, nil), "target 5xx"),
				"elb":    sum(alb.HttpCodeElb(awselasticloadbalancingv2.HttpCodeElb_ELB_5XX_COUNT, nil), "ALB 5xx"),
			},
			Label:  jsii.String("5xx"),
			Period: graphPeriod,
		}),
		latency: func(stat string) awscloudwatch.IMetric { return alb.TargetResponseTime(opts(stat)) },
		compute: []awscloudwatch.IWidget{
			graph("Service CPU (%)", svc.Service().MetricCpuUtilization(opts("Average")), svc.Service().MetricCpuUtilization(opts("Maximum"))),
			graph("Service memory (%)", svc.Service().MetricMemoryUtilization(opts("Average")), svc.Service().MetricMemoryUtilization(opts("Maximum"))),
		},
	}
}

// labelledQueue is a queue as the dashboard and the alarms name it; id
// prefixes the construct ids of its alarms.
type labelledQueue struct {
	id, label string
	queue     awssqs.IQueue
}

// deadLetterQueues are every dead-letter queue in the stack: the consumer
// queues' and the one the rules deliver to when they cannot reach a queue.
func (s *ShopStack) deadLetterQueues() []labelledQueue {
	return []labelledQueue{
		{"OrderDlq", "order DLQ", s.OrderQueue.DeadLetterQueue().Queue},
		{"BasketDlq", "basket DLQ", s.BasketQueue.DeadLetterQueue().Queue},
		{"EventDeliveryDlq", "event delivery DLQ", s.DeliveryDLQ},
	}
}

// addMonitoring defines the alarm topic (with an e-mail subscription when
// email is set), the alarms and the dashboard.
func (s *ShopStack) addMonitoring(door frontDoor, email string) {
	s.AlarmTopic = awssns.NewTopic(s.Stack, jsii.String("AlarmTopic"), &awssns.TopicProps{
		DisplayName: jsii.String("shop alarms"),
		EnforceSSL:  jsii.Bool(true),
	})
	if email != "" {
		s.AlarmTopic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(email), nil))
	}
	action := awscloudwatchactions.NewSnsAction(s.AlarmTopic)
	var alarms []interfacesawscloudwatch.IAlarmRef
	alarm := func(id, description string, metric awscloudwatch.IMetric, op awscloudwatch.ComparisonOperator, threshold float64) {
		a := awscloudwatch.NewAlarm(s.Stack, jsii.String(id), &awscloudwatch.AlarmProps{
			AlarmDescription:   jsii.String(description),
			Metric:             metric,
			ComparisonOperator: op,
			Threshold:          jsii.Number(threshold),
			EvaluationPeriods:  jsii.Number(1),
			// No traffic, an empty queue or an idle function publishes
			// nothing; that is not a failure.
			TreatMissingData: awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
		// Recovery is announced too, so an e-mailed alarm is not left open.
		a.AddAlarmAction(action)
		a.AddOkAction(action)
		alarms = append(alarms, a)
	}

	minute := awscdk.Duration_Minutes(jsii.Number(1))
	for _, q := range s.deadLetterQueues() {
		// Every message here is one a consumer or a rule gave up on.
		alarm(q.id+"Alarm", "A message is waiting in the "+q.label+": inspect it, fix the cause, redrive it.",
			q.queue.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Statistic: jsii.String("Maximum"), Period: minute}),
			awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD, 1)
	}
	window := awscdk.Duration_Minutes(jsii.Number(serverErrorWindow))
	alarm("ServerErrorRateAlarm", fmt.Sprintf("More than %d %% of the %s's requests were answered 5xx over %d minutes.", serverErrorPercent, door.name, serverErrorWindow),
		awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
			Expression:   jsii.String("100 * errors / requests"),
			UsingMetrics: &map[string]awscloudwatch.IMetric{"errors": door.serverErrors, "requests": door.requests},
			Label:        jsii.String("5xx (% of requests)"),
			Period:       window,
		}),
		awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD, serverErrorPercent)
	alarm("OrderQueueAgeAlarm", fmt.Sprintf("A checkout has waited more than %d s for the ordering module.", orderAgeSeconds),
		s.OrderQueue.MetricApproximateAgeOfOldestMessage(&awscloudwatch.MetricOptions{Statistic: jsii.String("Maximum"), Period: minute}),
		awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD, orderAgeSeconds)
	if door.function != nil {
		alarm("FunctionThrottleAlarm", "The function was throttled: requests or SQS batches were refused for want of concurrency.",
			door.function.MetricThrottles(&awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: minute}),
			awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD, 0)
	}

	s.Dashboard = awscloudwatch.NewDashboard(s.Stack, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		// Dashboard names are per account, not per region.
		DashboardName: jsii.String(*s.Stack.StackName() + "-" + *s.Stack.Region()),
		Widgets:       s.widgets(door, alarms),
	})
}

// widgets lays the dashboard out in rows: traffic and alarms, queues, compute.
func (s *ShopStack) widgets(door frontDoor, alarms []interfacesawscloudwatch.IAlarmRef) *[]*[]awscloudwatch.IWidget {
	var depth, age, dead []awscloudwatch.IMetric
	for _, q := range []labelledQueue{{"OrderQueue", "order", s.OrderQueue}, {"BasketQueue", "basket", s.BasketQueue}} {
		depth = append(depth, maximum(q.queue.MetricApproximateNumberOfMessagesVisible(nil), q.label))
		age = append(age, maximum(q.queue.MetricApproximateAgeOfOldestMessage(nil), q.label))
	}
	for _, q := range s.deadLetterQueues() {
		dead = append(dead, maximum(q.queue.MetricApproximateNumberOfMessagesVisible(nil), q.label))
	}
	rows := [][]awscloudwatch.IWidget{
		{
			graph(door.name+" requests and 5xx", door.requests, door.serverErrors),
			percentileGraph(door.name+" latency", door.latency),
			awscloudwatch.NewAlarmStatusWidget(&awscloudwatch.AlarmStatusWidgetProps{
				Title: jsii.String("Alarms"), Alarms: &alarms, Width: jsii.Number(8), Height: jsii.Number(6),
			}),
		},
		{
			graph("Queue depth (visible messages)", depth...),
			graph("Age of oldest message (s)", age...),
			graph("Dead-letter queue depth", dead...),
		},
		door.compute,
	}
	out := make([]*[]awscloudwatch.IWidget, len(rows))
	for i := range rows {
		out[i] = &rows[i]
	}
	return &out
}
