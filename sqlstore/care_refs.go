package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"

	"anxin"
)

// checkTicketRefs verifies that every record a new ticket names (order,
// claim, listing) exists and belongs to the ticket's merchant, and fills
// the merchant from the references when the request named none. A merchant
// caller gets the same answer for another merchant's record as for a
// missing one, so tickets cannot be used to probe other shops' ids.
func checkTicketRefs(ctx context.Context, tx *Tx, n *anxin.NewTicket) error {
	for _, ref := range []struct{ field, id, query string }{
		{"order_id", n.OrderID, `SELECT merchant_id FROM orders WHERE id = ?`},
		{"claim_id", n.ClaimID, `SELECT merchant_id FROM claims WHERE id = ?`},
		{"listing_id", n.ListingID, `SELECT merchant_id FROM listings WHERE id = ?`},
	} {
		if ref.id == "" {
			continue
		}
		var owner string
		err := tx.QueryRowContext(ctx, ref.query, ref.id).Scan(&owner)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		switch {
		case n.MerchantID != "" && (err != nil || owner != n.MerchantID):
			return anxin.Errorf(anxin.Invalid, "%s %s is not a record of merchant %s.", ref.field, ref.id, n.MerchantID)
		case err != nil:
			return anxin.Errorf(anxin.Invalid, "%s %s does not exist.", ref.field, ref.id)
		case n.MerchantID == "":
			n.MerchantID = owner
		}
	}
	return nil
}

// replayedTicket returns the id of the ticket a previous request opened
// under the same idempotency key and caller, "" if there is none, and
// Conflict if that request differed from n.
func replayedTicket(ctx context.Context, tx *Tx, scope, key, request string) (string, error) {
	var id, prev string
	err := tx.QueryRowContext(ctx, `SELECT ticket_id, request FROM care_ticket_keys WHERE scope = ? AND idem_key = ?`, scope, key).Scan(&id, &prev)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if prev != request {
		return "", anxin.Errorf(anxin.Conflict, "The Idempotency-Key %s was already used for a different ticket.", key)
	}
	return id, nil
}

func rememberTicketKey(ctx context.Context, tx *Tx, scope, key, request, ticketID string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO care_ticket_keys (scope, idem_key, request, ticket_id, created_at) VALUES (?, ?, ?, ?, ?)`,
		scope, key, request, ticketID, ms(tx.Now))
	return err
}

// ticketRequestHash fingerprints a new ticket as requested (before the
// references fill in a merchant), for the idempotency check.
func ticketRequestHash(n *anxin.NewTicket) string {
	b, _ := json.Marshal(n)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
