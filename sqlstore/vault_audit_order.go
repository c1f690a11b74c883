package sqlstore

import (
	"context"

	"anxin"
)

// FindOrderAudit returns the audit events of one order after afterSeq, oldest
// first, at most limit (default 100, at most 1000): every seal, decrypt,
// waybill and grant that named it. Roles: auditor, privacy. Invalid for a
// malformed order id; an order with no events is an empty list, not
// NotFound, so the answer says nothing about whether the order exists.
func (s *VaultService) FindOrderAudit(ctx context.Context, orderID string, afterSeq int64, limit int) ([]*anxin.AuditEvent, error) {
	if err := anxin.Authorize(ctx, anxin.ActionReadAudit); err != nil {
		return nil, err
	}
	if err := anxin.ValidateID("order_id", orderID); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	return s.db.auditRows(ctx, `WHERE order_id = ? AND seq > ? ORDER BY seq LIMIT ?`, orderID, afterSeq, limit)
}
