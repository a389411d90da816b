package intake

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"mashang/internal/docket"
	"mashang/internal/identity"
)

// Reseal re-encrypts every reporter identity under next (key rotation), and
// recomputes the keyed phone and e-mail hashes with next, inside tx, through
// the case record's owner. It returns how many cases it changed. An identity
// that old cannot open stops it: nothing is half rotated.
func Reseal(ctx context.Context, tx *sql.Tx, rec *docket.Store, old, next *identity.Vault, now time.Time) (int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, receipt, identity FROM cases WHERE identity IS NOT NULL ORDER BY id`)
	if err != nil {
		return 0, fmt.Errorf("intake: read identities: %w", err)
	}
	type sealed struct {
		id      int64
		receipt string
		ct      []byte
	}
	var all []sealed
	for rows.Next() {
		var s sealed
		if err := rows.Scan(&s.id, &s.receipt, &s.ct); err != nil {
			rows.Close()
			return 0, fmt.Errorf("intake: read identities: %w", err)
		}
		if len(s.ct) > 0 {
			all = append(all, s)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("intake: read identities: %w", err)
	}
	for _, s := range all {
		aad := IdentityAAD(s.receipt)
		id, err := old.OpenIdentity(s.ct, aad)
		if err != nil {
			return 0, fmt.Errorf("intake: open the identity of case %d with the current key: %w", s.id, err)
		}
		ct, err := next.SealIdentity(id, aad)
		if err != nil {
			return 0, err
		}
		if err := rec.Update(ctx, tx, s.id, 0, new(docket.Change).Resealed(ct, next.PhoneHash(id.Phone), next.EmailHash(id.Email)), now); err != nil {
			return 0, fmt.Errorf("intake: reseal case %d: %w", s.id, err)
		}
	}
	return int64(len(all)), nil
}
