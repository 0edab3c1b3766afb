package basket

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/rs/zerolog"

	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/errs"
	"github.com/serverless-shop/shop/platform/money"
)

// HandleProductEvent keeps the catalog read model up to date from a product
// event. It is idempotent and ignores other detail types. An event it
// cannot read is returned as an errs.Invalid error rather than dropped:
// redelivering it cannot help, but the bus then dead-letters it (locally)
// or reports it in batchItemFailures (on Lambda), where an operator sees
// and can replay it, as ordering does with a malformed checkout.
func (s *Service) HandleProductEvent(ctx context.Context, e bus.Envelope) error {
	switch e.DetailType {
	case productCreated, productUpdated, productDeleted:
	default:
		return nil
	}
	p, err := decodeProductEvent(e)
	if err != nil {
		zerolog.Ctx(ctx).Error().Err(err).Str("event_id", e.ID).Str("detail_type", e.DetailType).
			Msg("malformed product event")
		return fmt.Errorf("product event %s: %w", e.ID, err)
	}
	if _, err := s.store.PutProduct(ctx, p); err != nil {
		return fmt.Errorf("put catalog entry %s v%d: %w", p.ProductID, p.Version, err)
	}
	return nil
}

// decodeProductEvent reads a product event's detail into a catalog entry,
// or returns an errs.Invalid error saying why it cannot.
func decodeProductEvent(e bus.Envelope) (*Product, error) {
	var d productEvent
	if err := json.Unmarshal(e.Detail, &d); err != nil {
		return nil, errs.Errorf(errs.Invalid, "decode product detail: %v", err)
	}
	deleted := d.Deleted || e.DetailType == productDeleted
	// A deletion needs no price, but one it carries is held to the bounds.
	price, err := money.Parse(d.Price)
	if deleted && err != nil {
		price, err = 0, nil
	} else if err == nil {
		price, err = d.unitPrice()
	}
	if d.ProductID == "" || d.Version < 1 || err != nil || price < 0 {
		return nil, errs.Errorf(errs.Invalid, "invalid product detail: productId %q, version %d, price %q",
			d.ProductID, d.Version, d.Price)
	}
	return &Product{ProductID: d.ProductID, Name: d.Name, Price: price, Version: d.Version, Deleted: deleted}, nil
}
