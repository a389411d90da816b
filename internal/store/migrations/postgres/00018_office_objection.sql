-- +goose Up
-- A case transferred to another office: the office it came from and the
-- last day on which the receiving office may object (5 working days by
-- default; NULL: no objection open). An objection sends it back and clears
-- both.
ALTER TABLE cases ADD COLUMN office_from_id BIGINT;
ALTER TABLE cases ADD COLUMN office_object_by TEXT;
-- The lower office's answer to a supervision (督办): when it answered (NULL:
-- not yet) and what it said (also in the case's history).
ALTER TABLE cases ADD COLUMN supervision_answered_at TEXT;
ALTER TABLE cases ADD COLUMN supervision_answer TEXT;

-- +goose Down
ALTER TABLE cases DROP COLUMN supervision_answer;
ALTER TABLE cases DROP COLUMN supervision_answered_at;
ALTER TABLE cases DROP COLUMN office_object_by;
ALTER TABLE cases DROP COLUMN office_from_id;
