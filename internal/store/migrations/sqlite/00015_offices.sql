-- +goose Up
-- Offices (整肃办) in levels: each covers a jurisdiction, the subtree of a
-- unit of kind province, city or county (NULL: every unit — the one office
-- of a single-office deployment, made here, covers everything until an
-- admin names its jurisdiction). The office above is the office whose
-- jurisdiction holds this one's; path is the materialised path of office
-- ids, '/1/3/', so that an office and those below it are path LIKE '/1/%'.
CREATE TABLE offices (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    unit_id     INTEGER UNIQUE REFERENCES units(id),
    parent_id   INTEGER REFERENCES offices(id),
    path        TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX offices_path ON offices(path);
INSERT INTO offices (id, code, name, unit_id, parent_id, path, created_at, updated_at)
VALUES (1, 'main', '整肃办', NULL, NULL, '/1/', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z');

-- Per-office settings, one JSON value per key; a key an office leaves unset
-- is inherited from the office above (package office).
CREATE TABLE office_settings (
    office_id   INTEGER NOT NULL REFERENCES offices(id),
    key         TEXT NOT NULL,
    value       TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (office_id, key)
);

-- Staff belong to an office; cases belong to the office whose jurisdiction
-- holds their unit. Everything there is, and whatever is written without
-- naming an office, belongs to the one office made above. (SQLite adds a
-- column with a REFERENCES clause only with a NULL default: the office ids
-- are checked by the code that writes them.)
ALTER TABLE users ADD COLUMN office_id INTEGER NOT NULL DEFAULT 1;
ALTER TABLE cases ADD COLUMN office_id INTEGER NOT NULL DEFAULT 1;
-- The time limits a case is counted by, fixed when it is registered: its
-- office's limits then, as JSON in the limits file's shape ('': the
-- server's limits, as for every case registered before offices).
ALTER TABLE cases ADD COLUMN time_limits TEXT NOT NULL DEFAULT '';
-- Lists filter by office first (a county's queue among a city's cases).
CREATE INDEX cases_office_received ON cases(office_id, received_at, id);

-- Statistics scan a lower office's cases by day and office: the covering
-- index learns the column.
DROP INDEX cases_stats;
CREATE INDEX cases_stats ON cases(received_on, office_id, unit_id, channel, category, state, finding, accept_by, accepted_on, finish_by, concluded_on, rating);

-- +goose Down
DROP INDEX cases_stats;
CREATE INDEX cases_stats ON cases(received_on, unit_id, channel, category, state, finding, accept_by, accepted_on, finish_by, concluded_on, rating);
DROP INDEX cases_office_received;
ALTER TABLE cases DROP COLUMN time_limits;
ALTER TABLE cases DROP COLUMN office_id;
ALTER TABLE users DROP COLUMN office_id;
DROP TABLE office_settings;
DROP TABLE offices;
