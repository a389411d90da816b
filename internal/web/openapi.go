package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"sort"
)

// The OpenAPI document is assembled from fragments in openapi/: base.json
// holds the info, security schemes and shared schemas; every other file adds
// "paths" and "components.schemas" for one part of the API. A test checks
// that the document and the registered routes list the same endpoints.
//
//go:embed openapi/*.json
var openapiFiles embed.FS

// OpenAPIDocument merges the fragments into one document.
func OpenAPIDocument() ([]byte, error) {
	var doc map[string]any
	base, err := openapiFiles.ReadFile("openapi/base.json")
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(base, &doc); err != nil {
		return nil, fmt.Errorf("openapi/base.json: %w", err)
	}
	paths := obj(doc, "paths")
	schemas := obj(obj(doc, "components"), "schemas")
	names, _ := fs.Glob(openapiFiles, "openapi/*.json")
	sort.Strings(names)
	for _, n := range names {
		if n == "openapi/base.json" {
			continue
		}
		b, _ := openapiFiles.ReadFile(n)
		var frag map[string]any
		if err := json.Unmarshal(b, &frag); err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		for p, ops := range obj(frag, "paths") {
			dst := obj(paths, p)
			for m, op := range ops.(map[string]any) {
				if _, dup := dst[m]; dup {
					return nil, fmt.Errorf("%s: %s %s described twice", n, m, p)
				}
				dst[m] = op
			}
		}
		for k, v := range obj(obj(frag, "components"), "schemas") {
			if _, dup := schemas[k]; dup {
				return nil, fmt.Errorf("%s: schema %s defined twice", n, k)
			}
			schemas[k] = v
		}
	}
	return json.Marshal(doc)
}

func obj(m map[string]any, k string) map[string]any {
	if v, ok := m[k].(map[string]any); ok {
		return v
	}
	v := map[string]any{}
	m[k] = v
	return v
}

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) error {
	b, err := OpenAPIDocument()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
	return nil
}
