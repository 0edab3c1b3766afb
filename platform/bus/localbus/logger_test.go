package localbus_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/bus/bustest"
	"github.com/serverless-shop/shop/platform/bus/localbus"
	"github.com/serverless-shop/shop/platform/testenv"
)

// TestHandlerLoggerFromContext: a handler logs through zerolog.Ctx, and the
// line carries the bus's logger and the subscription and event.
func TestHandlerLoggerFromContext(t *testing.T) {
	var logs testenv.LogBuffer
	b := MustOpen(t, filepath.Join(t.TempDir(), "bus.db"), localbus.WithLogger(zerolog.New(&logs).With().Str("bus", "local").Logger()))
	done := make(chan struct{})
	bustest.MustSubscribe(t, b, "sub", []string{"T"}, func(ctx context.Context, _ bus.Envelope) error {
		zerolog.Ctx(ctx).Info().Msg("handled")
		close(done)
		return nil
	})
	bustest.MustStart(t, b)
	e := bustest.NewEvent(t, "s", "T", 1)
	bustest.MustPublish(t, b, e)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("handler never called")
	}
	logs.MustHaveFields(t, "handled", map[string]string{"bus": "local", "subscription": "sub", "event_id": e.ID, "detail_type": "T"})
}
