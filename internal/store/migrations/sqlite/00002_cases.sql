-- +goose Up
-- Imported working-day calendars (the embedded years live in the binary).
CREATE TABLE calendar_years (
    year        INTEGER PRIMARY KEY,
    data        TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    imported_by TEXT NOT NULL
);

-- A case: one report and everything the office does with it.
CREATE TABLE cases (
    id                INTEGER PRIMARY KEY,
    receipt           TEXT NOT NULL UNIQUE,
    key_hash          BLOB NOT NULL,
    channel           TEXT NOT NULL,
    state             TEXT NOT NULL DEFAULT 'registered',
    received_at       TEXT NOT NULL,            -- instant, UTC
    received_on       TEXT NOT NULL,            -- date in the office's zone
    content           TEXT NOT NULL,
    situation         TEXT NOT NULL DEFAULT '', -- catalogue code, '' unknown
    category          TEXT NOT NULL DEFAULT '', -- U1..P3, '' unknown
    catalog_version   TEXT NOT NULL DEFAULT '',
    unit_id           INTEGER REFERENCES units(id),
    person_id         INTEGER REFERENCES people(id),
    anonymous         BOOLEAN NOT NULL DEFAULT TRUE,
    identity          BLOB,                     -- sealed reporter identity (name, phone, e-mail, id number)
    identity_mask     TEXT NOT NULL DEFAULT '', -- masked form for staff lists (JSON)
    phone_hash        TEXT,                     -- keyed hash, to see repeat reporters
    email_hash        TEXT,
    message_id        TEXT UNIQUE,              -- e-mail Message-ID: the same mail twice is one case
    accept_by         TEXT,                     -- dates
    finish_by         TEXT,
    provisional       BOOLEAN NOT NULL DEFAULT FALSE,
    accepted_on       TEXT,
    due_status        TEXT NOT NULL DEFAULT 'on_time',
    assignee_id       INTEGER REFERENCES users(id),
    transfer_unit_id  INTEGER REFERENCES units(id),
    finding           TEXT NOT NULL DEFAULT '',
    merged_into       INTEGER REFERENCES cases(id),
    created_by        TEXT NOT NULL DEFAULT '',
    version           INTEGER NOT NULL DEFAULT 1,
    updated_at        TEXT NOT NULL
);
CREATE INDEX cases_received ON cases(received_at, id);
CREATE INDEX cases_state_received ON cases(state, received_at, id);
CREATE INDEX cases_unit ON cases(unit_id, received_at, id);
CREATE INDEX cases_person ON cases(person_id);
CREATE INDEX cases_phone_hash ON cases(phone_hash);
CREATE INDEX cases_due ON cases(due_status, finish_by);

-- What happened to a case, in order: the history and the reporter's timeline.
CREATE TABLE case_events (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases(id),
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    data        TEXT NOT NULL DEFAULT '{}',
    public      BOOLEAN NOT NULL DEFAULT FALSE  -- shown to the reporter (in plain words, without staff names)
);
CREATE INDEX case_events_case ON case_events(case_id, id);

-- Messages between the office and the reporter.
CREATE TABLE messages (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases(id),
    at          TEXT NOT NULL,
    direction   TEXT NOT NULL,                  -- 'to_reporter' | 'from_reporter'
    author      TEXT NOT NULL DEFAULT '',       -- staff actor for to_reporter; never shown to the reporter
    body        TEXT NOT NULL
);
CREATE INDEX messages_case ON messages(case_id, id);

-- Files: content-addressed blobs under the data directory.
CREATE TABLE attachments (
    id            INTEGER PRIMARY KEY,
    case_id       INTEGER NOT NULL REFERENCES cases(id),
    sha256        TEXT NOT NULL,
    filename      TEXT NOT NULL DEFAULT '',
    content_type  TEXT NOT NULL,
    size          INTEGER NOT NULL,
    source        TEXT NOT NULL,                -- reporter | staff | email | inspection
    created_at    TEXT NOT NULL
);
CREATE INDEX attachments_case ON attachments(case_id);

-- +goose Down
DROP TABLE attachments;
DROP TABLE messages;
DROP TABLE case_events;
DROP TABLE cases;
DROP TABLE calendar_years;
