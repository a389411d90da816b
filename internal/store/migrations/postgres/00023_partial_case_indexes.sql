-- +goose Up
-- The case indexes led by a column that is empty (NULL) in most cases, and
-- in every case when it is registered, hold only the cases where it has a
-- value. Every list, lookup and sweep reads them by a value (= or IN), which
-- implies the column is not NULL, so each still serves what it served; but
-- registering a report no longer writes an entry into each of them. Intake
-- wrote 27 index entries a case, each of these ten costing its page in every
-- group commit (SQLite writes every page a commit changes to its log and
-- syncs it; PostgreSQL inserts into every index): a fifth of the log's pages
-- and of the case insert's time.
DROP INDEX cases_unit;
CREATE INDEX cases_unit ON cases(unit_id, received_at, id) WHERE unit_id IS NOT NULL;
DROP INDEX cases_unit_deadline;
CREATE INDEX cases_unit_deadline ON cases(unit_id, deadline, id) WHERE unit_id IS NOT NULL;
DROP INDEX cases_person_received;
CREATE INDEX cases_person_received ON cases(person_id, received_at, id) WHERE person_id IS NOT NULL;
DROP INDEX cases_assignee_received;
CREATE INDEX cases_assignee_received ON cases(assignee_id, received_at, id) WHERE assignee_id IS NOT NULL;
DROP INDEX cases_assignee_deadline;
CREATE INDEX cases_assignee_deadline ON cases(assignee_id, deadline, id) WHERE assignee_id IS NOT NULL;
DROP INDEX cases_transfer_received;
CREATE INDEX cases_transfer_received ON cases(transfer_unit_id, received_at, id) WHERE transfer_unit_id IS NOT NULL;
DROP INDEX cases_merged_into;
CREATE INDEX cases_merged_into ON cases(merged_into) WHERE merged_into IS NOT NULL;
DROP INDEX cases_due_run;
CREATE INDEX cases_due_run ON cases(due_run) WHERE due_run IS NOT NULL;
DROP INDEX cases_phone_hash;
CREATE INDEX cases_phone_hash ON cases(phone_hash) WHERE phone_hash IS NOT NULL;
DROP INDEX cases_email_hash;
CREATE INDEX cases_email_hash ON cases(email_hash) WHERE email_hash IS NOT NULL;

-- +goose Down
DROP INDEX cases_email_hash;
CREATE INDEX cases_email_hash ON cases(email_hash);
DROP INDEX cases_phone_hash;
CREATE INDEX cases_phone_hash ON cases(phone_hash);
DROP INDEX cases_due_run;
CREATE INDEX cases_due_run ON cases(due_run);
DROP INDEX cases_merged_into;
CREATE INDEX cases_merged_into ON cases(merged_into);
DROP INDEX cases_transfer_received;
CREATE INDEX cases_transfer_received ON cases(transfer_unit_id, received_at, id);
DROP INDEX cases_assignee_deadline;
CREATE INDEX cases_assignee_deadline ON cases(assignee_id, deadline, id);
DROP INDEX cases_assignee_received;
CREATE INDEX cases_assignee_received ON cases(assignee_id, received_at, id);
DROP INDEX cases_person_received;
CREATE INDEX cases_person_received ON cases(person_id, received_at, id);
DROP INDEX cases_unit_deadline;
CREATE INDEX cases_unit_deadline ON cases(unit_id, deadline, id);
DROP INDEX cases_unit;
CREATE INDEX cases_unit ON cases(unit_id, received_at, id);
