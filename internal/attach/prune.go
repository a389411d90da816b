package attach

// PruneResult says what Prune removed.
type PruneResult struct {
	Blobs     int   `json:"blobs"`     // unreferenced stored content
	Temporary int   `json:"temporary"` // temporary files left by an interrupted upload
	Bytes     int64 `json:"bytes"`     // space given back
	Kept      int   `json:"kept"`      // referenced content left alone
}
