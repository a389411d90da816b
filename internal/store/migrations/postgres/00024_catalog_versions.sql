-- +goose Up
-- Catalogue versions an admin loaded (the embedded one ships in the binary):
-- the document as loaded, checked by catalog.Parse. A version is never
-- replaced: cases and decisions keep the version they were judged under.
CREATE TABLE catalog_versions (
    version   TEXT PRIMARY KEY,
    data      TEXT NOT NULL,
    loaded_at TEXT NOT NULL,
    loaded_by TEXT NOT NULL
);

-- +goose Down
DROP TABLE catalog_versions;
