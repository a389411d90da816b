-- +goose Up
-- Supervision (督办) by the office above: the deadline it set for the
-- case's office to answer by, and which office set it (NULL: none). The
-- instructions are in the case's history; the notice goes to the case's
-- office's director.
ALTER TABLE cases ADD COLUMN supervision_deadline TEXT;
ALTER TABLE cases ADD COLUMN supervision_office_id INTEGER;

-- +goose Down
ALTER TABLE cases DROP COLUMN supervision_office_id;
ALTER TABLE cases DROP COLUMN supervision_deadline;
