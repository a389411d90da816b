-- +goose Up
-- The person concerned as a member of the public named them (free text);
-- person_id is set when the report names a known person.
ALTER TABLE cases ADD COLUMN person_text TEXT NOT NULL DEFAULT '';
-- Repeat reporters by e-mail too.
CREATE INDEX cases_email_hash ON cases(email_hash);

-- +goose Down
DROP INDEX cases_email_hash;
ALTER TABLE cases DROP COLUMN person_text;
