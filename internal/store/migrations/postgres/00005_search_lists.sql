-- +goose Up
-- Full-text search (internal/search). The index is built from the cases and
-- messages tables by search.Index.CatchUp, never by the writers: writers stay
-- fast and the index catches up from a high-water mark per source.

-- Posting lists, one row per token and block of 4096 case ids
-- (block = id >> 12). ids holds the ids' low 12 bits: a sorted array of
-- little-endian uint16 when sparse, a 512-byte bitmap when dense.
CREATE TABLE search_postings (
    token  TEXT COLLATE "C" NOT NULL,
    block  BIGINT NOT NULL,
    ids    BYTEA NOT NULL,
    PRIMARY KEY (token, block)
);

-- How many cases hold each token: the query starts from the rarest.
CREATE TABLE search_terms (
    token  TEXT COLLATE "C" PRIMARY KEY,
    n      BIGINT NOT NULL
);

-- The folded text of each indexed case (content, then messages and replies),
-- for exact verification of candidates.
CREATE TABLE search_docs (
    id      BIGINT PRIMARY KEY,             -- case id
    folded  TEXT NOT NULL,
    msg_mark BIGINT NOT NULL DEFAULT 0          -- the last message id in folded
);

-- High-water marks: the last case id and message id indexed.
CREATE TABLE search_state (
    source  TEXT PRIMARY KEY,               -- 'cases' | 'messages'
    mark    BIGINT NOT NULL
);
INSERT INTO search_state (source, mark) VALUES ('cases', 0), ('messages', 0);

-- The deadline that is running for a case in its state (columns of 00002 and
-- 00004), for the deadline-sorted queue and the due filter; '9999-12-31' when
-- none runs (closed, refused, merged, replied), so that keyset pagination
-- needs no NULL handling. Generated, so no writer has to maintain it.
ALTER TABLE cases ADD COLUMN deadline TEXT GENERATED ALWAYS AS (
    COALESCE(CASE
        WHEN state = 'registered' THEN accept_by
        WHEN state IN ('accepted', 'investigating') THEN finish_by
        WHEN state = 'concluded' AND NOT replied THEN finish_by
        WHEN state = 'transferred' THEN COALESCE(finish_by, accept_by)
        WHEN state = 'review' AND NOT replied THEN review_by
    END, '9999-12-31')) STORED;

CREATE INDEX cases_deadline ON cases(deadline, id);
CREATE INDEX cases_unit_deadline ON cases(unit_id, deadline, id);
CREATE INDEX cases_channel_received ON cases(channel, received_at, id);
CREATE INDEX cases_person_received ON cases(person_id, received_at, id);
CREATE INDEX cases_situation_received ON cases(situation, received_at, id);
CREATE INDEX cases_category_received ON cases(category, received_at, id);
CREATE INDEX cases_assignee_received ON cases(assignee_id, received_at, id);
CREATE INDEX cases_transfer_received ON cases(transfer_unit_id, received_at, id);
-- Statistics scan one period through this covering index.
CREATE INDEX cases_stats ON cases(received_on, unit_id, channel, category, state, finding, accept_by, accepted_on, finish_by, concluded_on, rating);

-- Statistics (internal/stats): one cached aggregate per received day, and the
-- days whose cases changed since (marked by triggers, so no writer has to
-- remember to). GET /api/v1/stats recomputes only the marked days.
CREATE TABLE stats_days (
    day   TEXT PRIMARY KEY,
    data  TEXT NOT NULL
);
CREATE TABLE stats_dirty (
    day   TEXT PRIMARY KEY
);
-- +goose StatementBegin
CREATE FUNCTION cases_stats_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO stats_dirty (day) VALUES (NEW.received_on) ON CONFLICT (day) DO NOTHING;
    IF TG_OP = 'UPDATE' AND OLD.received_on <> NEW.received_on THEN
        INSERT INTO stats_dirty (day) VALUES (OLD.received_on) ON CONFLICT (day) DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER cases_stats_insert AFTER INSERT ON cases FOR EACH ROW EXECUTE FUNCTION cases_stats_dirty();
CREATE TRIGGER cases_stats_update AFTER UPDATE OF state, finding, channel, category, unit_id, accepted_on, accept_by, finish_by, concluded_on, rating, received_on ON cases FOR EACH ROW EXECUTE FUNCTION cases_stats_dirty();

-- +goose Down
DROP TRIGGER cases_stats_update ON cases;
DROP TRIGGER cases_stats_insert ON cases;
DROP FUNCTION cases_stats_dirty();
DROP TABLE stats_dirty;
DROP TABLE stats_days;
DROP INDEX cases_stats;
DROP INDEX cases_transfer_received;
DROP INDEX cases_assignee_received;
DROP INDEX cases_category_received;
DROP INDEX cases_situation_received;
DROP INDEX cases_person_received;
DROP INDEX cases_channel_received;
DROP INDEX cases_unit_deadline;
DROP INDEX cases_deadline;
ALTER TABLE cases DROP COLUMN deadline;
DROP TABLE search_state;
DROP TABLE search_docs;
DROP TABLE search_terms;
DROP TABLE search_postings;
