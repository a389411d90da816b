package app

import (
	"context"
	"database/sql"
	"fmt"
	"os"

	"mashang/internal/audit"
	"mashang/internal/auth"
	"mashang/internal/identity"
	"mashang/internal/intake"
)

// IdentityRotation says what a rotation of the identity key changed.
type IdentityRotation struct {
	Cases int64 // reporter identities re-encrypted (and their lookup hashes recomputed)
	Users int64 // TOTP secrets re-encrypted
}

// RotateIdentityKey re-encrypts every reporter identity and TOTP secret
// under a new identity key, in one transaction recorded in the audit log,
// then replaces the key file. The new key is written to KEYFILE.new first:
// should the process die between the commit and the rename, that file holds
// the key the data now needs. Run it with the server stopped: a running
// server keeps sealing with the key it loaded.
func (a *App) RotateIdentityKey(ctx context.Context, actor string) (IdentityRotation, error) {
	var res IdentityRotation
	key, err := identity.NewKey()
	if err != nil {
		return res, err
	}
	next, err := identity.NewVault(key)
	if err != nil {
		return res, err
	}
	path := a.Config.IdentityKeyFile
	pending := path + ".new"
	if err := identity.WriteKeyFile(pending, key, true); err != nil {
		return res, err
	}
	err = a.DB.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if res.Cases, err = intake.Reseal(ctx, tx, a.Record, a.Vault, next, a.Clock.Now()); err != nil {
			return err
		}
		if res.Users, err = auth.ResealSecrets(ctx, tx, a.Vault, next); err != nil {
			return err
		}
		return audit.Append(ctx, tx, a.Clock.Now(), audit.Record{Actor: actor, Action: "keys.rotate_identity", Subject: "keys:identity",
			Data: map[string]int64{"cases": res.Cases, "users": res.Users}})
	})
	if err != nil {
		os.Remove(pending)
		return IdentityRotation{}, err
	}
	if err := os.Rename(pending, path); err != nil {
		return res, fmt.Errorf("app: the identities are re-encrypted but the new key could not replace %s (it is in %s: move it there by hand): %w", path, pending, err)
	}
	a.Vault = next
	return res, nil
}
