package auth

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// LoginSession is Login for the staff pages: the same checks, limits and
// TOTP, and the token it returns is stored with kind "session" (it lives in
// an HttpOnly cookie, never in a script or a header an integration sets).
func (s *Service) LoginSession(ctx context.Context, username, password, code, addr string) (string, time.Time, error) {
	tok, exp, err := s.Login(ctx, username, password, code, addr)
	if err != nil {
		return "", time.Time{}, err
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE auth_tokens SET kind = 'session' WHERE token_hash = $1`, TokenHash(tok))
		return err
	})
	if err != nil {
		return "", time.Time{}, fmt.Errorf("auth: mark session token: %w", err)
	}
	return tok, exp, nil
}
