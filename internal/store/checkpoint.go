package store

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// SQLite's write-ahead log is copied back into the database file
// (checkpointed) beside the writer, not by it. By default SQLite's writer
// checkpoints itself at the end of the commit that makes the log reach
// 1,000 pages: copying the pages and syncing the file twice, while every
// report of the group commit waiting behind it waits too — about a tenth
// of the writer's time under intake's load. Here a connection of its own
// checkpoints every checkpointEvery (PASSIVE: it never blocks the writer
// or a reader), and the writer checkpoints only when the log reaches
// writerCheckpointPages: under a steady load the log cannot start over
// while the writer keeps appending to it, so the writer's own checkpoint
// then finishes the copy (the pages the checkpointer has not copied yet,
// few) and lets the log start over.
const (
	checkpointEvery       = 100 * time.Millisecond
	writerCheckpointPages = 4000
)

// checkpointer runs the PASSIVE checkpoints until stop.
type checkpointer struct {
	db   *sql.DB
	quit chan struct{}
	wg   sync.WaitGroup
	once sync.Once
}

func startCheckpointer(db *sql.DB, d *DB) *checkpointer {
	c := &checkpointer{db: db, quit: make(chan struct{})}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		t := time.NewTicker(checkpointEvery)
		defer t.Stop()
		for {
			select {
			case <-c.quit:
				return
			case <-t.C:
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			if _, err := c.db.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)"); err != nil {
				d.log.Debug("store: checkpoint beside the writer", "err", err)
			}
			cancel()
		}
	}()
	return c
}

// stop ends the checkpoints and closes the checkpointer's connection.
func (c *checkpointer) stop() {
	c.once.Do(func() {
		close(c.quit)
		c.wg.Wait()
		c.db.Close()
	})
}
