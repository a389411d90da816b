-- +goose Up
-- The audit log as a Merkle tree (see package audit): each entry keeps the
-- tree hashes it completes, the head keeps the hashes of the complete
-- subtrees that make up the whole tree (32 bytes each, largest first).
ALTER TABLE audit_log ADD COLUMN tree BLOB;
ALTER TABLE audit_head ADD COLUMN tree BLOB;

-- Signed checkpoints of the tree (signed notes in the checkpoint format),
-- newest last.
CREATE TABLE audit_checkpoints (
    id INTEGER PRIMARY KEY,
    size        BIGINT NOT NULL,
    root        TEXT NOT NULL,   -- base64 tree hash
    at          TEXT NOT NULL,   -- instant, UTC
    note        TEXT NOT NULL    -- the signed note as served
);
CREATE INDEX audit_checkpoints_size ON audit_checkpoints(size, id);

-- The log's signing keys (public halves), each recorded by an entry.
CREATE TABLE audit_keys (
    verifier    TEXT PRIMARY KEY, -- signed-note verifier key NAME+HASH+BASE64
    seq         BIGINT NOT NULL,  -- the log.key or log.key_rotate entry
    created_at  TEXT NOT NULL
);

-- +goose Down
DROP TABLE audit_keys;
DROP TABLE audit_checkpoints;
ALTER TABLE audit_head DROP COLUMN tree;
ALTER TABLE audit_log DROP COLUMN tree;
