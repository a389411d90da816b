package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Group commit. Every Batch call waiting at the moment the committer is free
// shares one transaction: each runs in its own savepoint (so one caller's
// failure undoes only its own writes), then one COMMIT, one fsync, makes all
// of them durable together, and only then is each caller answered. With
// synchronous=FULL this turns N fsyncs into one under load while a lone
// request still commits at once (nothing waits for a timer). The requests a
// GroupWriter writes together share no savepoint: when their WriteAll fails
// the whole transaction is undone and run again, each of them written alone
// in its own savepoint; so a transaction that succeeds, by far the usual,
// costs two statements fewer.
//
// One client's failure is its own: a request whose client goes away (its
// context cancelled) before its turn is skipped, and once its turn has come
// its function runs to the end with a context that no client can cancel.
// Cancelling a statement in the middle of the shared transaction would
// break the transaction (SQLite rolls it back when interrupted in a write;
// pgx closes the connection), and with it every other report of the batch.

const maxBatch = 256

// batchTimeout bounds one shared transaction: a database that stops
// answering fails the batch instead of holding every request in it forever.
const batchTimeout = time.Minute

type batchReq struct {
	ctx   context.Context
	fn    func(ctx context.Context, tx *sql.Tx) error
	group GroupWriter // nil: fn alone
	item  any
	done  chan error
}

// GroupWriter writes the requests of one kind that wait at the same moment
// together, with a few multi-row statements for all of them instead of a
// few statements for each: intake's reports, whose round trips to
// PostgreSQL (and statements on SQLite's single writer) bound how many can
// be taken a second.
type GroupWriter interface {
	// WriteAll writes items (those given to BatchGroup, in order) in tx.
	// Like a Batch function it may run more than once (the whole batch
	// retried) and must keep no state from a previous run. When it fails
	// its writes are undone and each item is written alone instead.
	WriteAll(ctx context.Context, tx *sql.Tx, items []any) error
}

type batcher struct {
	db   *DB
	reqs chan batchReq
	quit chan struct{}
	wg   sync.WaitGroup
	once sync.Once
	// mu and closed keep a request from being queued after stop: every
	// request queued before it is committed and answered.
	mu     sync.RWMutex
	closed bool
	// abandoned counts requests whose caller went away while they waited.
	abandoned atomic.Int64
	// grouped counts requests written together by their GroupWriter.
	grouped atomic.Int64
}

func newBatcher(d *DB) *batcher {
	b := &batcher{db: d, reqs: make(chan batchReq, 4*maxBatch), quit: make(chan struct{})}
	b.wg.Add(1)
	go b.loop()
	return b
}

// ErrClosed is returned by Batch after Close.
var ErrClosed = errors.New("store: database is closed")

// Batch runs fn in a transaction shared with the other Batch calls waiting at
// the same moment, inside its own savepoint, and returns after the shared
// transaction has committed (or with fn's own error, its writes undone).
// Like Tx, fn may run more than once when the whole batch is retried, so it
// must not keep state from a previous run.
//
// fn must run its statements with the context it is given, never with ctx:
// that context carries ctx's values but not its cancellation, so that a
// client going away cannot cut a statement of the shared transaction short.
// A request whose ctx ends before its turn is not run (ctx.Err is returned).
func (d *DB) Batch(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	return d.batch.submit(ctx, fn)
}

// BatchGroup is Batch for a request that w can write together with the
// other requests of w waiting at the same moment: item is handed to
// w.WriteAll with theirs. fn writes the item alone, in its own savepoint,
// when the group's WriteAll fails (so that only the item at fault fails).
func (d *DB) BatchGroup(ctx context.Context, w GroupWriter, item any, fn func(ctx context.Context, tx *sql.Tx) error) error {
	return d.batch.enqueue(batchReq{ctx: ctx, fn: fn, group: w, item: item, done: make(chan error, 1)})
}

func (b *batcher) submit(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	return b.enqueue(batchReq{ctx: ctx, fn: fn, done: make(chan error, 1)})
}

func (b *batcher) enqueue(r batchReq) error {
	ctx := r.ctx
	b.mu.RLock()
	if b.closed {
		b.mu.RUnlock()
		return ErrClosed
	}
	select {
	case b.reqs <- r:
		b.mu.RUnlock()
	case <-ctx.Done():
		b.mu.RUnlock()
		return ctx.Err()
	}
	// Once queued the request is answered even if the caller's context ends,
	// so that a report written is never reported as lost.
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		b.abandoned.Add(1)
		return <-r.done
	}
}

// Abandoned counts the group commit's requests whose caller went away
// (its context ended) while they waited for their transaction.
func (d *DB) Abandoned() int64 { return d.batch.abandoned.Load() }

// Grouped counts the group commit's requests written together with
// others by their GroupWriter (not alone by their own function).
func (d *DB) Grouped() int64 { return d.batch.grouped.Load() }

// QueueLen is the number of Batch requests waiting for the committer.
func (d *DB) QueueLen() int { return len(d.batch.reqs) }

// stop lets no more requests in, commits those already queued (a server
// draining its requests on SIGTERM answers each of them truthfully), and
// waits for the committer to finish.
func (b *batcher) stop() {
	b.once.Do(func() {
		b.mu.Lock()
		b.closed = true
		b.mu.Unlock()
		close(b.quit)
	})
	b.wg.Wait()
}

func (b *batcher) loop() {
	defer b.wg.Done()
	for {
		var first batchReq
		select {
		case first = <-b.reqs:
		case <-b.quit:
			b.finish()
			return
		}
		b.run(b.fill([]batchReq{first}))
	}
}

// finish commits what is still queued when the batcher stops.
func (b *batcher) finish() {
	for {
		group := b.fill(nil)
		if len(group) == 0 {
			return
		}
		b.run(group)
	}
}

// fill adds the requests waiting now to group, up to maxBatch.
func (b *batcher) fill(group []batchReq) []batchReq {
	for len(group) < maxBatch {
		select {
		case r := <-b.reqs:
			group = append(group, r)
		default:
			return group
		}
	}
	return group
}

// errGroupFailed ends a shared transaction whose GroupWriter failed: it is
// undone and run again with each of that writer's items written alone.
var errGroupFailed = errors.New("store: a group write failed")

func (b *batcher) run(group []batchReq) {
	results := make([]error, len(group))
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	var grouped int64
	// The writers whose WriteAll failed in an earlier run of the
	// transaction: their items are written alone.
	var failed []GroupWriter
	var err error
	for {
		err = b.db.Tx(ctx, func(tx *sql.Tx) error {
			grouped = 0
			alone := make([]bool, len(group))
			var writers []GroupWriter
			for i, r := range group {
				results[i] = nil
				switch {
				case r.ctx.Err() != nil:
					results[i] = r.ctx.Err()
				case r.group == nil || slices.Contains(failed, r.group):
					alone[i] = true
				case !slices.Contains(writers, r.group):
					writers = append(writers, r.group)
				}
			}
			for _, w := range writers {
				var items []any
				var idx []int
				for i, r := range group {
					if r.group == w && results[i] == nil {
						items, idx = append(items, r.item), append(idx, i)
					}
				}
				// No savepoint around the group (two round trips saved in
				// every shared transaction): a group that fails undoes the
				// whole transaction, which runs again without it.
				if werr := w.WriteAll(ctx, tx, items); werr != nil {
					b.db.log.Debug("group commit: writing a group together failed; each is written alone", "items", len(items), "err", werr)
					failed = append(failed, w)
					return errGroupFailed
				}
				grouped += int64(len(idx))
			}
			for i, r := range group {
				if !alone[i] {
					continue
				}
				if r.ctx.Err() != nil { // gone while the ones before it ran
					results[i] = r.ctx.Err()
					continue
				}
				if _, err := tx.ExecContext(ctx, "SAVEPOINT batch_item"); err != nil {
					return fmt.Errorf("store: savepoint: %w", err)
				}
				if ferr := r.fn(detached{Context: ctx, values: r.ctx}, tx); ferr != nil {
					if _, err := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT batch_item"); err != nil {
						return fmt.Errorf("store: rollback to savepoint: %w", err)
					}
					results[i] = ferr
				}
				if _, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT batch_item"); err != nil {
					return fmt.Errorf("store: release savepoint: %w", err)
				}
			}
			return nil
		})
		if !errors.Is(err, errGroupFailed) {
			break
		}
	}
	if err == nil {
		b.grouped.Add(grouped)
	}
	for i, r := range group {
		if err != nil {
			r.done <- err
		} else {
			r.done <- results[i]
		}
	}
}

// detached is the batch's context (its deadline and cancellation) with a
// request's values (request id, principal) for whatever fn logs or reads.
type detached struct {
	context.Context
	values context.Context
}

func (d detached) Value(key any) any { return d.values.Value(key) }
