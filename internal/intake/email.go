package intake

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"

	"mashang/internal/docket"
	"mashang/internal/identity"
	"mashang/internal/mailin"
)

// emptyMailNote is the content of a case made from a mail without subject or text.
const emptyMailNote = "（这封邮件没有主题和正文，请查看附件。）\n(This e-mail has no subject and no text; see its attachments.)"

const truncatedNote = "\n\n（正文过长，已截断；全文见附件 message.txt。）\n(The text was too long and is cut here; the whole text is in the attachment message.txt.)"

// SubmitEmail stores a received e-mail as a case on channel "email": the
// subject and text as content (a note when both are empty; over-long text
// is cut and kept whole as the attachment message.txt), the attachments
// (stored and fsynced first; JPEG location stripped), the sender's address
// (and display name) sealed as the reporter's identity. It is idempotent by
// m.MessageID (derived from raw when empty): a second call with the same
// Message-ID returns the first case's id and receipt and no error. A
// returned nil error means the case is durably stored. Odd mail is never
// refused; an error means "could not store now, try again".
func (s *Service) SubmitEmail(ctx context.Context, m mailin.Message, raw []byte) (caseID int64, receiptCode string, err error) {
	mid := m.MessageID
	if mid == "" {
		sum := sha256.Sum256(bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n")))
		mid = "sha256:" + hex.EncodeToString(sum[:])
	}
	if len(mid) > 1000 || !utf8.ValidString(mid) {
		sum := sha256.Sum256([]byte(mid))
		mid = "sha256:" + hex.EncodeToString(sum[:])
	}
	if r, ok, err := s.byMessageID(ctx, mid); err != nil || ok {
		return r.CaseID, r.Receipt, err
	}

	subject := clean(m.Subject)
	text := clean(m.Text)
	content := strings.TrimSpace(subject + "\n\n" + text)
	if content == "" {
		content = emptyMailNote
	}
	var files []File
	put := func(name, ctype string, data []byte) error {
		limit := int64(len(data)) + 1
		b, err := s.d.Files.Put(ctx, bytes.NewReader(data), limit)
		if err != nil {
			return fmt.Errorf("intake: store e-mail attachment: %w", err)
		}
		files = append(files, File{Blob: b, Filename: cleanName(name), Source: SourceEmail})
		return nil
	}
	if utf8.RuneCountInString(content) > MaxContentRunes {
		if err := put("message.txt", "text/plain", []byte(content)); err != nil {
			return 0, "", err
		}
		content = string([]rune(content)[:MaxContentRunes-utf8.RuneCountInString(truncatedNote)]) + truncatedNote
	}
	var dropped []string
	var total int64
	kept := 0
	for _, a := range m.Attachments {
		size := int64(len(a.Data))
		// The raw message of one that could not be read is the evidence:
		// it is kept whole (a message is at most the intake's limit).
		if !(m.Malformed && a.Filename == mailin.OriginalFilename) {
			if s.d.AttachFileMax > 0 && size > s.d.AttachFileMax || s.d.AttachMaxFiles > 0 && kept >= s.d.AttachMaxFiles ||
				s.d.AttachReportMax > 0 && total+size > s.d.AttachReportMax {
				dropped = append(dropped, fmt.Sprintf("%s (%d bytes)", cleanName(a.Filename), size))
				continue
			}
			kept++
			total += size
		}
		if err := put(a.Filename, a.ContentType, a.Data); err != nil {
			return 0, "", err
		}
	}
	if len(dropped) > 0 {
		note := fmt.Sprintf("\n\n（以下附件超出附件限制（每个 %d 字节、共 %d 字节、最多 %d 个），未保存：%s）\n(These attachments were over the limits and were not kept: %s)",
			s.d.AttachFileMax, s.d.AttachReportMax, s.d.AttachMaxFiles, strings.Join(dropped, "、"), strings.Join(dropped, ", "))
		if utf8.RuneCountInString(content)+utf8.RuneCountInString(note) <= MaxContentRunes {
			content += note
		}
	}
	id := identity.Identity{Name: clean(m.FromName), Email: strings.TrimSpace(clean(m.From))}
	if id.Email != "" && !plausibleEmail(id.Email) {
		// Keep what the sender gave, sealed, without failing the mail.
		id.Name = strings.TrimSpace(id.Name + " <" + id.Email + ">")
		id.Email = ""
	}
	id.Name = truncRunes(id.Name, 100)
	if utf8.RuneCountInString(id.Email) > 254 {
		id.Name, id.Email = truncRunes(id.Email, 100), ""
	}
	r, err := s.Submit(ctx, Submission{
		Channel:   docket.Email,
		Content:   content,
		Reporter:  id,
		Files:     files,
		MessageID: mid,
		Actor:     ActorEmail,
	})
	if isFlood(err) {
		return 0, "", fmt.Errorf("%w: %w", mailin.ErrTryLater, err)
	}
	if err != nil {
		return 0, "", err
	}
	return r.CaseID, r.Receipt, nil
}

// Deliver implements mailin.Sink with SubmitEmail.
func (s *Service) Deliver(ctx context.Context, m mailin.Message, raw []byte) error {
	_, _, err := s.SubmitEmail(ctx, m, raw)
	return err
}

var _ mailin.Sink = (*Service)(nil)

// clean makes text safe to store: valid UTF-8 without NUL.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.ReplaceAll(s, "\x00", "")
}

func cleanName(s string) string {
	s = clean(s)
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	return truncRunes(strings.TrimSpace(s), 255)
}

func truncRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
