-- +goose Up
-- Inspections (明察暗访): a plan, announced or covert, with its checklist.
CREATE TABLE inspections (
    id          INTEGER PRIMARY KEY,
    title       TEXT NOT NULL,
    covert      BOOLEAN NOT NULL DEFAULT FALSE,
    units       TEXT NOT NULL DEFAULT '[]',  -- JSON array of unit codes
    from_on     TEXT NOT NULL,               -- dates
    to_on       TEXT NOT NULL,
    checklist   TEXT NOT NULL,               -- JSON [{key,label,options}]
    state       TEXT NOT NULL DEFAULT 'planned', -- planned | done
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    done_at     TEXT
);
CREATE INDEX inspections_from ON inspections(from_on, id);

-- One visit on site.
CREATE TABLE inspection_visits (
    id            INTEGER PRIMARY KEY,
    inspection_id INTEGER NOT NULL REFERENCES inspections(id),
    at            TEXT NOT NULL,             -- instant
    place         TEXT NOT NULL,
    unit_id       INTEGER REFERENCES units(id),
    answers       TEXT NOT NULL DEFAULT '{}', -- JSON {key: option}
    notes         TEXT NOT NULL DEFAULT '',
    recorded_by   TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX inspection_visits_inspection ON inspection_visits(inspection_id, id);

-- What a visit found; case_id is the case it opened, if any.
CREATE TABLE inspection_findings (
    id            INTEGER PRIMARY KEY,
    inspection_id INTEGER NOT NULL REFERENCES inspections(id),
    visit_id      INTEGER NOT NULL REFERENCES inspection_visits(id),
    text          TEXT NOT NULL,
    situation     TEXT NOT NULL DEFAULT '',
    unit_id       INTEGER REFERENCES units(id),
    person_id     INTEGER REFERENCES people(id),
    case_id       INTEGER REFERENCES cases(id)
);
CREATE INDEX inspection_findings_visit ON inspection_findings(visit_id, id);
CREATE INDEX inspection_findings_inspection ON inspection_findings(inspection_id, id);

-- Photos and videos of a visit (location metadata kept: inspectors' evidence).
CREATE TABLE inspection_attachments (
    id            INTEGER PRIMARY KEY,
    visit_id      INTEGER NOT NULL REFERENCES inspection_visits(id),
    sha256        TEXT NOT NULL,
    filename      TEXT NOT NULL DEFAULT '',
    content_type  TEXT NOT NULL,
    size          INTEGER NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX inspection_attachments_visit ON inspection_attachments(visit_id);

-- Public texts: exposures of concluded cases (曝光) and exemplars (马上就办典型).
CREATE TABLE publications (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL,              -- exposure | exemplar
    case_id       INTEGER REFERENCES cases(id),
    title         TEXT NOT NULL,
    body          TEXT NOT NULL,
    state         TEXT NOT NULL DEFAULT 'proposed', -- proposed | approved | withdrawn
    proposed_by   TEXT NOT NULL,
    proposed_at   TEXT NOT NULL,
    approved_by   TEXT,
    published_at  TEXT,
    withdrawn_at  TEXT
);
CREATE INDEX publications_state ON publications(state, kind, published_at);
CREATE INDEX publications_case ON publications(case_id);

-- +goose Down
DROP TABLE publications;
DROP TABLE inspection_attachments;
DROP TABLE inspection_findings;
DROP TABLE inspection_visits;
DROP TABLE inspections;
