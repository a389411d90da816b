-- +goose Up
-- Every order of the case lists on every filter the pages and the API
-- offer reads an ordered index range (the first page of 50 in a few
-- milliseconds at a million cases), not a scan of all cases or a sort of
-- all matches:
-- * the due filters (overdue, due soon, on time) newest first: the running
--   cases (a deadline runs), newest first, their deadline beside them;
-- * one state, by deadline (several states read one range each);
-- * one assignee's cases (a handler's own list), by deadline;
-- * one channel's, situation's or category's cases, by deadline (sorting a
--   category's hundred thousand cases took seconds);
-- * the few cases an office above supervises (督办), newest first.
CREATE INDEX cases_running_received ON cases(received_at, id, deadline) WHERE deadline < '9999-12-31';
CREATE INDEX cases_state_deadline ON cases(state, deadline, id);
CREATE INDEX cases_assignee_deadline ON cases(assignee_id, deadline, id);
CREATE INDEX cases_channel_deadline ON cases(channel, deadline, id);
CREATE INDEX cases_situation_deadline ON cases(situation, deadline, id);
CREATE INDEX cases_category_deadline ON cases(category, deadline, id);
CREATE INDEX cases_supervised ON cases(received_at, id) WHERE supervision_deadline IS NOT NULL;

-- +goose Down
DROP INDEX cases_supervised;
DROP INDEX cases_category_deadline;
DROP INDEX cases_situation_deadline;
DROP INDEX cases_channel_deadline;
DROP INDEX cases_assignee_deadline;
DROP INDEX cases_state_deadline;
DROP INDEX cases_running_received;
