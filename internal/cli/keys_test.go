package cli_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mashang/internal/auth"
	"mashang/internal/config"
	"mashang/internal/web/webtest"

	"github.com/pquerna/otp/totp"
	"golang.org/x/mod/sumdb/note"
)

// `keys rotate identity` re-encrypts every reporter identity and TOTP
// secret under a new key: afterwards a server on the same data with the
// new key file reveals the reporter and accepts the TOTP code, repeat
// reporters still match by phone, the old key opens nothing, and the log
// records the rotation.
func TestKeysRotateIdentity(t *testing.T) {
	engines(t, func(t *testing.T, dbURL string) {
		o := newOffice(t, dbURL)
		ctx := context.Background()
		if _, err := o.h.App.Auth.AddUser(ctx, auth.System("test"), "sun", "test password 123", auth.Clerk, ""); err != nil {
			t.Fatal(err)
		}
		uri, err := o.h.App.Auth.EnrolTOTP(ctx, auth.System("test"), "sun")
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(uri)
		secret := u.Query().Get("secret")
		oldKey, _ := os.ReadFile(o.h.App.Config.IdentityKeyFile)
		var oldSealed []byte
		var receipt string
		o.h.App.DB.Read.QueryRow(`SELECT receipt, identity FROM cases WHERE id = $1`, o.named).Scan(&receipt, &oldSealed)

		code, out, stderr := run(t, o.env, "", "keys", "rotate", "identity")
		if code != 0 || !strings.Contains(out, "1 reporter identities and 1 TOTP secrets re-encrypted") {
			t.Fatalf("rotate: %d %s %s", code, out, stderr)
		}
		newKey, _ := os.ReadFile(o.h.App.Config.IdentityKeyFile)
		if string(newKey) == string(oldKey) {
			t.Fatal("the key file did not change")
		}
		if st, _ := os.Stat(o.h.App.Config.IdentityKeyFile); st.Mode().Perm() != 0o600 {
			t.Fatalf("new key file mode %v", st.Mode())
		}
		if _, err := os.Stat(o.h.App.Config.IdentityKeyFile + ".new"); err == nil {
			t.Fatal("the pending key file was left behind")
		}
		var sealed []byte
		o.h.App.DB.Read.QueryRow(`SELECT identity FROM cases WHERE id = $1`, o.named).Scan(&sealed)
		if _, err := o.h.App.Vault.OpenIdentity(sealed, "case:"+receipt+":identity"); err == nil {
			t.Fatal("the old key still opens the identity")
		}
		// A server restarted on the same data with the new key.
		h2 := webtest.New(t, dbURL, func(c *config.Config) {
			c.DataDir = o.h.App.Config.DataDir
			c.IdentityKeyFile = o.h.App.Config.IdentityKeyFile
			c.LogKeyFile = o.h.App.Config.LogKeyFile
		})
		r := h2.Must(200, "POST", fmt.Sprintf("/api/v1/cases/%d/reporter/reveal", o.named), h2.TokenFor("zhou_director", auth.Director, ""), map[string]any{"reason": "轮换后核对"})
		if webtest.Str(r.JSON, "identity.name") != secretName || webtest.Str(r.JSON, "identity.phone") != secretPhone {
			t.Fatalf("reveal after rotation: %s", r.Raw)
		}
		var phoneHash string
		h2.App.DB.Read.QueryRow(`SELECT phone_hash FROM cases WHERE id = $1`, o.named).Scan(&phoneHash)
		if phoneHash != h2.App.Vault.PhoneHash("139 1234 5678") {
			t.Fatal("the phone lookup hash was not recomputed with the new key")
		}
		otp, _ := totp.GenerateCode(secret, h2.Clock.Now())
		h2.Must(201, "POST", "/api/v1/auth/token", "", map[string]any{"username": "sun", "password": "test password 123", "otp": otp})
		if code, out, stderr := run(t, o.env, "", "audit", "verify"); code != 0 {
			t.Fatalf("verify after rotation: %d %s %s", code, out, stderr)
		}
		var n int
		h2.App.DB.Read.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE action = 'keys.rotate_identity'`).Scan(&n)
		if n != 1 {
			t.Fatalf("%d rotation entries", n)
		}
		if code, _, stderr := run(t, o.env, "", "keys", "rotate", "other"); code != 2 || !strings.Contains(stderr, "identity or log") {
			t.Fatalf("unknown key kind: %d %s", code, stderr)
		}
	})
}

// `keys rotate log` records the rotation in the log and signs a handover
// checkpoint with both keys; the server signs with the new key from then
// on; a witness that knew only the old key follows the handover; verify
// still checks every checkpoint, old and new.
func TestKeysRotateLog(t *testing.T) {
	engines(t, func(t *testing.T, dbURL string) {
		o := newOffice(t, dbURL)
		state := filepath.Join(t.TempDir(), "witness.json")
		_, oldKey, _ := run(t, o.env, "", "audit", "key")
		oldKey = strings.TrimSpace(oldKey)
		if code, _, stderr := run(t, nil, "", "audit", "witness", "--url", o.h.URL, "--state", state, "--key", oldKey); code != 0 {
			t.Fatal(stderr)
		}
		code, out, stderr := run(t, o.env, "", "keys", "rotate", "log")
		if code != 0 || !strings.Contains(out, "log key rotated") {
			t.Fatalf("rotate: %d %s %s", code, out, stderr)
		}
		_, newKey, _ := run(t, o.env, "", "audit", "key")
		newKey = strings.TrimSpace(newKey)
		if newKey == oldKey || !strings.Contains(out, newKey) {
			t.Fatalf("new key %q, old %q, printed %q", newKey, oldKey, out)
		}
		if strings.Split(newKey, "+")[0] != strings.Split(oldKey, "+")[0] {
			t.Fatal("the log's name changed with its key")
		}
		o.goOn(t)
		cp := o.get(t, "/public/log/checkpoint")
		nv, _ := note.NewVerifier(newKey)
		ov, _ := note.NewVerifier(oldKey)
		if _, err := note.Open([]byte(cp), note.VerifierList(nv)); err != nil {
			t.Fatalf("the server did not sign with the new key: %v", err)
		}
		if _, err := note.Open([]byte(cp), note.VerifierList(ov)); err == nil {
			t.Fatal("the old key still signs")
		}
		code, out, stderr = run(t, nil, "", "audit", "witness", "--url", o.h.URL, "--state", state)
		if code != 0 || !strings.Contains(out, "handover") || !strings.Contains(out, newKey) {
			t.Fatalf("witness across the rotation: %d %s %s", code, out, stderr)
		}
		b, _ := os.ReadFile(state)
		if !strings.Contains(string(b), newKey) {
			t.Fatalf("the witness kept the old key: %s", b)
		}
		if code, out, stderr := run(t, o.env, "", "audit", "verify"); code != 0 || !strings.Contains(out, "signed checkpoints verified") {
			t.Fatalf("verify after rotation: %d %s %s", code, out, stderr)
		}
		var n int
		o.h.App.DB.Read.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE action = 'log.key_rotate' AND data LIKE $1`, "%"+newKey+"%").Scan(&n)
		if n != 1 {
			t.Fatal("the rotation is not in the log")
		}
	})
}
