package mailin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
)

// Sink receives parsed mail and stores it as a report.
//
// Deliver must return nil only once the report (with its attachments) is
// durably stored: the SMTP server answers 250 and the IMAP poller marks the
// message \Seen only after that, and neither does so on an error, so the
// message is offered again later (the sending server retries after 451; the
// poller fetches unseen mail again on its next poll).
//
// Deliver must therefore be idempotent by Message.MessageID: a message
// delivered again after a crash, a lost 250 or a failed \Seen, or sent twice
// with the same Message-ID, must end up stored once, and the repeat must
// return nil. Parse guarantees MessageID is never empty (it is
// "sha256:<hex>" of the raw message when the header is missing), so
// callers that build a Message themselves must derive one the same way.
//
// Deliver should not return an error for mail it finds odd (empty,
// Malformed, huge text): such mail is still a report and must be stored,
// otherwise it would be offered again forever. An error means "could not
// store now, try again later". raw is the message as received; a sink may
// keep it. Implementations must be safe for concurrent use.
//
// A sink that refuses a message for now because of the intake's flood limits
// returns an error wrapping ErrTryLater: the SMTP server answers 451 (the
// sending server retries later) and the IMAP poller leaves the message
// unseen for a later poll and goes on with the next one.
type Sink interface {
	Deliver(ctx context.Context, m Message, raw []byte) error
}

// ErrTryLater marks a Deliver error as the intake's limits deferring the
// message, not a failure of the store.
var ErrTryLater = errors.New("mailin: intake limits: try again later")

// logID is a short, non-reversible tag of a MessageID for logs: Message-IDs
// often carry the sender's domain or even address, which must not be
// logged.
func logID(messageID string) string {
	sum := sha256.Sum256([]byte(messageID))
	return hex.EncodeToString(sum[:6])
}
