-- +goose Up
-- Only the cases of a covert inspection plan are looked up by their plan, and
-- they are few. Every case outside a plan has covert_plan_id NULL, and the
-- lists of those who may not see covert cases say "covert_plan_id IS NULL":
-- with a full index on the column, SQLite (with no statistics) took that for
-- a selective index, read every case through it and sorted them all for each
-- page, so a director's export of 20,000 cases took three times as long as
-- one of 10,000. A partial index holds the plan's cases alone and cannot be
-- chosen for IS NULL; the lists read their order's index instead.
DROP INDEX cases_covert_plan;
CREATE INDEX cases_covert_plan ON cases(covert_plan_id) WHERE covert_plan_id IS NOT NULL;

-- +goose Down
DROP INDEX cases_covert_plan;
CREATE INDEX cases_covert_plan ON cases(covert_plan_id);
