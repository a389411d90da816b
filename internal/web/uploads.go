package web

import (
	"context"
	"errors"
	"io"
	"net/http"

	"mashang/internal/attach"
	"mashang/internal/config"
)

// uploadBudget applies the attachment limits of one request — how many
// files, how large each, how large together — to every file stored, for the
// API and the pages alike, and maps the store's errors to 413 problems.
type uploadBudget struct {
	cfg   *config.Config
	store *attach.Store
	// keepMetadata stores files as they are (inspectors' evidence keeps its
	// location); otherwise JPEG location metadata is stripped.
	keepMetadata bool
	n            int
	used         int64
}

func (s *Server) newBudget(keepMetadata bool) *uploadBudget {
	return &uploadBudget{cfg: s.app.Config, store: s.app.Files, keepMetadata: keepMetadata}
}

// put stores one file within what is left of the budget.
func (b *uploadBudget) put(ctx context.Context, r io.Reader) (attach.Blob, error) {
	if b.n >= b.cfg.AttachMaxFiles {
		return attach.Blob{}, errTooManyFiles
	}
	limit, tooLarge := b.cfg.AttachFileMax, errFileTooLarge
	if rest := b.cfg.AttachReportMax - b.used; rest < limit {
		limit, tooLarge = rest, errReportLarge
	}
	if limit <= 0 {
		return attach.Blob{}, errReportLarge
	}
	put := b.store.Put
	if b.keepMetadata {
		put = b.store.PutKeepMetadata
	}
	blob, err := put(ctx, r, limit)
	if err != nil {
		var mbe *http.MaxBytesError
		switch {
		case errors.Is(err, attach.ErrTooLarge):
			return attach.Blob{}, tooLarge
		case errors.As(err, &mbe):
			return attach.Blob{}, errReportLarge
		}
		return attach.Blob{}, err
	}
	b.n++
	b.used += blob.Size
	return blob, nil
}
