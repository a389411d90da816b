-- +goose Up
-- Attachment content kept in the database, so that every instance of a
-- deployment on one PostgreSQL reads what any of them stored (the
-- attachments option; SQLite keeps the files in the data directory and
-- leaves these tables empty). A blob is named by the SHA-256 of its content
-- and split in chunks of chunk_size bytes (the last one shorter), numbered
-- from 0. stored_at: when it was last stored (a second upload of the same
-- content renews it), so that pruning spares a blob a request is about to
-- reference.
CREATE TABLE attachment_blobs (
    sha256      TEXT PRIMARY KEY,
    size        INTEGER NOT NULL,
    chunk_size  INTEGER NOT NULL,
    stored_at   TEXT NOT NULL
);
CREATE INDEX attachment_blobs_stored ON attachment_blobs(stored_at);
CREATE TABLE attachment_chunks (
    sha256  TEXT NOT NULL,
    n       INTEGER NOT NULL,
    data    BLOB NOT NULL,
    PRIMARY KEY (sha256, n)
);

-- +goose Down
DROP TABLE attachment_chunks;
DROP TABLE attachment_blobs;
