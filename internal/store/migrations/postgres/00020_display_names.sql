-- +goose Up
-- A staff member's name as colleagues know it (张丽), shown in histories,
-- assignee columns and pickers instead of the username; '' shows the
-- username.
ALTER TABLE users ADD COLUMN display_name TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE users DROP COLUMN display_name;
