package awsbus_test

import (
	"strings"
	"testing"

	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/bus/awsbus"
	"github.com/serverless-shop/shop/platform/bus/bustest"
	"github.com/serverless-shop/shop/platform/testenv"
)

// TestObserverLambda checks the Lambda handler tells its observer of each
// record: a delivery with the event's time, a failed attempt for a handler
// error or a record nobody can read, and a dead letter when the failure was
// on the queue's last receive.
func TestObserverLambda(t *testing.T) {
	obs := bustest.NewObserver()
	b := MustNew(t, testenv.AWSConfig(t, "http://127.0.0.1:1"), awsbus.Options{
		Queues: map[string]string{"ordering": orderQueueURL}, Observer: obs, MaxReceiveCount: 5,
	})
	o := &orders{applied: map[string]bus.Envelope{}}
	bustest.MustSubscribe(t, b, "ordering", []string{"CheckoutBasket"}, o.handle)
	bustest.MustStart(t, b)

	MustPost(t, b.SQSEventHandler(), sqsEvent(
		record{"m1", checkout("c1"), ""}, record{"m2", checkout("fail-2"), ""}, record{"m3", "not an event", ""}))
	_, delivered, failed, dead := obs.Counts("", "ordering")
	if _, _, unknown, _ := obs.Counts("", ""); delivered != 1 || failed != 1 || dead != 0 || unknown != 1 {
		t.Errorf("delivered, failed, dead, unreadable = %d, %d, %d, %d; want 1, 1, 0, 1", delivered, failed, dead, unknown)
	}
	if got, want := obs.EventTimes("ordering"), o.applied["c1"].Time; len(got) != 1 || !got[0].Equal(want) || want.IsZero() {
		t.Errorf("event times = %v, want [%v]", got, want)
	}

	last := strings.ReplaceAll(sqsEvent(record{"m4", checkout("fail-4"), ""}),
		`"ApproximateReceiveCount":"1"`, `"ApproximateReceiveCount":"5"`)
	MustPost(t, b.SQSEventHandler(), last)
	if _, _, failed, dead := obs.Counts("", "ordering"); failed != 2 || dead != 1 {
		t.Errorf("after a failure on the 5th receive: failed, dead = %d, %d; want 2, 1", failed, dead)
	}
}
