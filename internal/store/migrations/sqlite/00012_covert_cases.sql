-- +goose Up
-- A case opened from the finding of a covert inspection names the plan
-- while the plan is not done: until then it is known only to those who may
-- see covert plans, and no figure counts it (internal/access). Marking the
-- plan done clears the column, and the case joins the office's queue.
ALTER TABLE cases ADD COLUMN covert_plan_id INTEGER REFERENCES inspections(id);
CREATE INDEX cases_covert_plan ON cases(covert_plan_id);

-- The statistics' day cache leaves those cases out: a day is recomputed
-- when one of its cases is unveiled.
DROP TRIGGER cases_stats_update;
-- +goose StatementBegin
CREATE TRIGGER cases_stats_update AFTER UPDATE OF state, finding, channel, category, unit_id, accepted_on, accept_by, finish_by, concluded_on, rating, received_on, covert_plan_id ON cases BEGIN
    INSERT OR IGNORE INTO stats_dirty (day) VALUES (NEW.received_on);
    INSERT OR IGNORE INTO stats_dirty (day) VALUES (OLD.received_on);
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER cases_stats_update;
-- +goose StatementBegin
CREATE TRIGGER cases_stats_update AFTER UPDATE OF state, finding, channel, category, unit_id, accepted_on, accept_by, finish_by, concluded_on, rating, received_on ON cases BEGIN
    INSERT OR IGNORE INTO stats_dirty (day) VALUES (NEW.received_on);
    INSERT OR IGNORE INTO stats_dirty (day) VALUES (OLD.received_on);
END;
-- +goose StatementEnd
DROP INDEX cases_covert_plan;
ALTER TABLE cases DROP COLUMN covert_plan_id;
