package mailin

import (
	"context"
	"errors"
	"sync"
)

// memSink is an in-memory Sink that dedupes by MessageID as the contract
// asks. If failAfter >= 0, every Deliver after failAfter successful
// stores fails, like a store that went away.
type memSink struct {
	mu        sync.Mutex
	calls     int
	stored    map[string]Message
	order     []string
	failAfter int
}

func newMemSink() *memSink { return &memSink{stored: map[string]Message{}, failAfter: -1} }

var errStoreDown = errors.New("store unavailable")

func (s *memSink) Deliver(ctx context.Context, m Message, raw []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.failAfter >= 0 && len(s.order) >= s.failAfter {
		return errStoreDown
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, dup := s.stored[m.MessageID]; dup {
		return nil
	}
	s.stored[m.MessageID] = m
	s.order = append(s.order, m.MessageID)
	return nil
}

func (s *memSink) snapshot() (calls int, stored map[string]Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	stored = make(map[string]Message, len(s.stored))
	for k, v := range s.stored {
		stored[k] = v
	}
	return s.calls, stored
}
