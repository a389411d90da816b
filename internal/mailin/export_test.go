package mailin

import "testing"

// Exported for the integration tests in package mailin_test, which wire
// the real intake service behind the SMTP server and the IMAP poller.

// TestDovecot is the throwaway Dovecot of the tests.
type TestDovecot = testDovecot

// StartDovecot starts one for t.
func StartDovecot(t *testing.T) *TestDovecot { return startDovecot(t) }

// URL is the mailbox's imap:// URL.
func (d *testDovecot) URL() string { return d.url() }

// Password of the test mailbox.
func (d *testDovecot) Password() string { return d.password }

// Append puts fixture files into INBOX, unseen.
func (d *testDovecot) Append(t *testing.T, files ...string) { d.appendFixtures(t, files...) }

// Counts returns INBOX's total and unseen message counts.
func (d *testDovecot) Counts(t *testing.T) (total, unseen int) { return d.counts(t) }

// AppendRaw puts messages into INBOX, unseen.
func (d *testDovecot) AppendRaw(t *testing.T, msgs ...[]byte) { d.appendRaw(t, msgs...) }

// SetFullParse replaces the parser's full parse (to force a slow one) and
// its number of slots.
func (p *Parser) SetFullParse(f func([]byte) Message, slots int) {
	p.full, p.slots = f, make(chan struct{}, slots)
}

// DeepMessage is deepMessage for the integration tests.
func DeepMessage(depth int, closed bool) []byte { return deepMessage(depth, closed) }
