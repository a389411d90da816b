-- +goose Up
-- Case handling (issue 5): the state machine's bookkeeping, deadlines beyond
-- accept_by/finish_by, the reporter's review requests and rating.
ALTER TABLE cases ADD COLUMN base_finish_by TEXT;              -- finish_by before any extension
ALTER TABLE cases ADD COLUMN extension_days INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN extension_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN transferred_on TEXT;              -- date the case went to transfer_unit_id
ALTER TABLE cases ADD COLUMN return_by TEXT;                   -- last day the receiving unit may send it back
ALTER TABLE cases ADD COLUMN concluded_on TEXT;
ALTER TABLE cases ADD COLUMN replied BOOLEAN NOT NULL DEFAULT FALSE; -- a reply was given in the current round
ALTER TABLE cases ADD COLUMN replied_on TEXT;                  -- date of the latest formal reply
ALTER TABLE cases ADD COLUMN review_request_by TEXT;           -- the reporter may ask for review until then
ALTER TABLE cases ADD COLUMN review_count INTEGER NOT NULL DEFAULT 0; -- 1: 复查 asked, 2: 复核 asked
ALTER TABLE cases ADD COLUMN review_requested_on TEXT;
ALTER TABLE cases ADD COLUMN review_by TEXT;                   -- the office answers the review by then
ALTER TABLE cases ADD COLUMN closed_at TEXT;
ALTER TABLE cases ADD COLUMN rating TEXT NOT NULL DEFAULT '';  -- satisfied | basically_satisfied | dissatisfied
ALTER TABLE cases ADD COLUMN rated_at TEXT;
ALTER TABLE cases ADD COLUMN due_run TEXT;                    -- the sweep run that last changed due_status
CREATE INDEX cases_due_run ON cases(due_run);
CREATE INDEX cases_merged_into ON cases(merged_into);
CREATE INDEX cases_transfer_unit ON cases(transfer_unit_id);

-- The people a conclusion names (decisions may be made only for them).
CREATE TABLE case_people (
    case_id    INTEGER NOT NULL REFERENCES cases(id),
    person_id  INTEGER NOT NULL REFERENCES people(id),
    PRIMARY KEY (case_id, person_id)
);
CREATE INDEX case_people_person ON case_people(person_id);

-- Supervision (督办) notices raised by the sweep: once per case, kind and deadline.
CREATE TABLE notices (
    id        INTEGER PRIMARY KEY,
    case_id   INTEGER NOT NULL REFERENCES cases(id),
    kind      TEXT NOT NULL,              -- due_soon | overdue
    to_role   TEXT NOT NULL,              -- director | leader
    deadline  TEXT NOT NULL,              -- the deadline date the notice is about
    at        TEXT NOT NULL,
    read_at   TEXT,
    UNIQUE (case_id, kind, deadline)
);
CREATE INDEX notices_role ON notices(to_role, id);

-- Leases of named jobs, so that one instance runs a job at a time.
CREATE TABLE jobs_leases (
    name    TEXT PRIMARY KEY,
    holder  TEXT NOT NULL,
    until   TEXT NOT NULL
);

-- +goose Down
DROP TABLE jobs_leases;
DROP TABLE notices;
DROP TABLE case_people;
DROP INDEX cases_transfer_unit;
DROP INDEX cases_merged_into;
DROP INDEX cases_due_run;
