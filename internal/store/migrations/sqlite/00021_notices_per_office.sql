-- +goose Up
-- Formal notices numbered per office and year: the counters and numbers
-- name the case's office by its code (those numbered before belong to the
-- first office). Each number is kept as printed, with the office's prefix
-- at the time, so a later change of prefix never changes an issued number
-- ('' before: printed with the prefix in force). A letter report's notices
-- go by post: they wait in the print queue until someone marks them posted.
UPDATE notice_counters SET office = (SELECT code FROM offices WHERE id = 1) WHERE office = '';
UPDATE notice_numbers SET office = (SELECT code FROM offices WHERE id = 1) WHERE office = '';
ALTER TABLE notice_numbers ADD COLUMN number TEXT NOT NULL DEFAULT '';
ALTER TABLE notice_numbers ADD COLUMN post BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE notice_numbers ADD COLUMN posted_at TEXT;
ALTER TABLE notice_numbers ADD COLUMN posted_by TEXT;
CREATE INDEX notice_numbers_to_post ON notice_numbers(event_id) WHERE post AND posted_at IS NULL;

-- +goose Down
DROP INDEX notice_numbers_to_post;
ALTER TABLE notice_numbers DROP COLUMN posted_by;
ALTER TABLE notice_numbers DROP COLUMN posted_at;
ALTER TABLE notice_numbers DROP COLUMN post;
ALTER TABLE notice_numbers DROP COLUMN number;
