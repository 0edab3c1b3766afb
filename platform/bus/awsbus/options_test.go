package awsbus_test

import (
	"testing"
	"time"

	"github.com/serverless-shop/shop/platform/bus/awsbus"
)

func TestOptions(t *testing.T) {
	t.Run("SetDefaults", func(t *testing.T) {
		var o awsbus.Options
		o.SetDefaults()
		if o.EventBusName != "SwnEventBus" || o.WaitTimeSeconds != 20 || o.MaxMessages != 10 || o.Poll {
			t.Errorf("got %+v, want bus SwnEventBus, 20s long polls of 10 messages, no polling", o)
		}
		if err := o.Validate(); err != nil {
			t.Errorf("defaults: Validate = %v, want nil", err)
		}
	})

	for name, mutate := range map[string]func(*awsbus.Options){
		"WaitTooLong":     func(o *awsbus.Options) { o.WaitTimeSeconds = 21 },
		"TooManyPerPoll":  func(o *awsbus.Options) { o.MaxMessages = 11 },
		"NegativeTimeout": func(o *awsbus.Options) { o.HandlerTimeout = -time.Second },
		"RelativeQueue":   func(o *awsbus.Options) { o.Queues = map[string]string{"ordering": "order-queue"} },
		"EmptyName":       func(o *awsbus.Options) { o.Queues = map[string]string{"": orderQueueURL} },
		"SharedQueue":     func(o *awsbus.Options) { o.Queues = map[string]string{"a": orderQueueURL, "b": orderQueueURL} },
	} {
		t.Run("Invalid/"+name, func(t *testing.T) {
			var o awsbus.Options
			o.SetDefaults()
			mutate(&o)
			if err := o.Validate(); err == nil {
				t.Errorf("Validate = nil, want an error")
			}
		})
	}
}
