package web

import (
	"sync"

	"github.com/longbridgeapp/opencc"
)

// traditional converts messages written in Simplified Chinese to Traditional
// for zh-TW callers. It uses OpenCC's s2tw (characters and Taiwan variants,
// no phrase rewriting): phrase conversion (s2twp) turns 代码 "code" into
// 程式碼 "program code", wrong for a unit's code. The converter is built on
// first use and its results are cached; messages are a small, fixed set.
type traditional struct {
	once  sync.Once
	cc    *opencc.OpenCC
	mu    sync.Mutex
	cache map[string]string
}

func (t *traditional) convert(s string) string {
	t.once.Do(func() {
		cc, err := opencc.New("s2tw")
		if err == nil {
			t.cc = cc
		}
		t.cache = map[string]string{}
	})
	if t.cc == nil {
		return s
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if v, ok := t.cache[s]; ok {
		return v
	}
	v, err := t.cc.Convert(s)
	if err != nil {
		return s
	}
	if len(t.cache) < 10000 {
		t.cache[s] = v
	}
	return v
}
