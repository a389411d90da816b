-- +goose Up
-- Both are prefixes of wider indexes that serve the same lookups
-- (cases_person_received, cases_transfer_received): every case insert paid
-- for them twice.
DROP INDEX cases_person;
DROP INDEX cases_transfer_unit;

-- +goose Down
CREATE INDEX cases_person ON cases(person_id);
CREATE INDEX cases_transfer_unit ON cases(transfer_unit_id);
