-- +goose Up
-- Accountability decisions: one person, one case, one or more sanctions.
CREATE TABLE decisions (
    id               INTEGER PRIMARY KEY,
    case_id          INTEGER NOT NULL REFERENCES cases(id),
    person_id        INTEGER NOT NULL REFERENCES people(id),
    situation        TEXT NOT NULL,              -- catalogue code, e.g. P1.2 or U2.1
    catalog_version  TEXT NOT NULL,              -- the catalogue the situation was judged under
    unit_id          INTEGER REFERENCES units(id), -- unit situations (U1-U3): the unit held accountable
    responsibility   TEXT NOT NULL DEFAULT '',   -- unit situations: 'leader' (责任领导) | 'direct' (直接责任人)
    sanctions        TEXT NOT NULL,              -- JSON array of sanction codes
    decided_on       TEXT NOT NULL,              -- date
    effective_on     TEXT,                       -- date; NULL: decided_on
    probation_years  INTEGER NOT NULL DEFAULT 0, -- party_probation: 1 or 2
    rule_set         TEXT NOT NULL,              -- rule set the decision was made under
    note             TEXT NOT NULL DEFAULT '',
    status           TEXT NOT NULL,              -- 'pending' (awaits approval) | 'in_force' | 'revoked' | 'varied'
    replaces_id      INTEGER REFERENCES decisions(id), -- set on the decision a 'varied' appeal outcome made
    approved_by      TEXT NOT NULL DEFAULT '',
    approved_at      TEXT,
    created_by       TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX decisions_person ON decisions(person_id, status);
CREATE INDEX decisions_case ON decisions(case_id);

-- The cadre's appeals (申诉) against decisions.
CREATE TABLE appeals (
    id               INTEGER PRIMARY KEY,
    decision_id      INTEGER NOT NULL REFERENCES decisions(id),
    filed_on         TEXT NOT NULL,
    reason           TEXT NOT NULL,
    decide_by        TEXT NOT NULL,
    provisional      BOOLEAN NOT NULL DEFAULT FALSE,
    outcome          TEXT NOT NULL DEFAULT '',   -- '' pending | 'upheld' | 'varied' | 'revoked'
    outcome_on       TEXT,
    new_decision_id  INTEGER REFERENCES decisions(id),
    filed_by         TEXT NOT NULL,
    decided_by       TEXT NOT NULL DEFAULT '',
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX appeals_decision ON appeals(decision_id);
CREATE INDEX appeals_open ON appeals(outcome, decide_by);

-- Cases the two-complaints rule opened, and the pair of cases behind each.
CREATE TABLE rule_case_links (
    rule_case_id     INTEGER NOT NULL REFERENCES cases(id),
    first_case_id    INTEGER NOT NULL REFERENCES cases(id),
    second_case_id   INTEGER NOT NULL REFERENCES cases(id),
    person_id        INTEGER NOT NULL REFERENCES people(id),
    created_at       TEXT NOT NULL,
    withdrawn_at     TEXT,                       -- set while a revised conclusion no longer supports the pair
    -- never two rule cases for the same pair (per person: a pair of cases naming two people concerns both)
    UNIQUE (first_case_id, second_case_id, person_id)
);
CREATE INDEX rule_case_links_second ON rule_case_links(second_case_id);
CREATE INDEX rule_case_links_person ON rule_case_links(person_id);
CREATE INDEX rule_case_links_rule ON rule_case_links(rule_case_id);

-- The jurisdiction's accountability settings (one row).
CREATE TABLE accountability_settings (
    id                 INTEGER PRIMARY KEY CHECK (id = 1),
    decision_approval  BOOLEAN NOT NULL DEFAULT FALSE, -- a leader approves a decision before it counts
    updated_by         TEXT NOT NULL DEFAULT '',
    updated_at         TEXT NOT NULL DEFAULT ''
);
INSERT INTO accountability_settings (id, decision_approval) VALUES (1, FALSE);

-- +goose Down
DROP TABLE accountability_settings;
DROP TABLE rule_case_links;
DROP TABLE appeals;
DROP TABLE decisions;
