package app

import (
	"context"
	"fmt"
	"time"

	"mashang/internal/attach"
)

// AttachmentsJob names the job that prunes unreferenced attachment files.
const AttachmentsJob = "attachments"

// PruneAttachments removes attachment files that no case or inspection
// references (uploads of requests refused after their files were stored,
// and temporary files of interrupted uploads), if older than a day.
func (a *App) PruneAttachments(ctx context.Context) (attach.PruneResult, error) {
	keep := map[string]bool{}
	rows, err := a.DB.Read.QueryContext(ctx, `SELECT sha256 FROM attachments UNION SELECT sha256 FROM inspection_attachments`)
	if err != nil {
		return attach.PruneResult{}, fmt.Errorf("app: referenced attachments: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sha string
		if err := rows.Scan(&sha); err != nil {
			return attach.PruneResult{}, err
		}
		keep[sha] = true
	}
	if err := rows.Err(); err != nil {
		return attach.PruneResult{}, err
	}
	return a.Files.Prune(func(sha string) bool { return keep[sha] }, a.Clock.Now().Add(-24*time.Hour))
}
