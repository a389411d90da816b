-- +goose Up
-- The list orders that still read every matching case, answered from
-- index entries alone (the first page of 50 at a million cases):
-- * a date range by deadline: the range's received dates with the state
--   and the deadline beside them, so that the range's entries are sorted
--   without reading a case (a month held 85,000 cases);
-- * the cases due soon newest first: the deadline index carries the time
--   received, so that a few days' deadlines are sorted on it;
-- * an assignee's cases newest first with a due filter: the assignee's
--   index carries the deadline, so that the walk past the recent cases
--   that are not overdue reads no case;
-- * a liaison's cases (transferred to its unit) by deadline, one range
--   per unit of its subtree.
DROP INDEX cases_deadline;
CREATE INDEX cases_deadline ON cases(deadline, id, received_at);
DROP INDEX cases_assignee_received;
CREATE INDEX cases_assignee_received ON cases(assignee_id, received_at, id, deadline) WHERE assignee_id IS NOT NULL;
CREATE INDEX cases_received_on_deadline ON cases(received_on, state, deadline, id);
CREATE INDEX cases_transfer_deadline ON cases(transfer_unit_id, deadline, id) WHERE transfer_unit_id IS NOT NULL;

-- +goose Down
DROP INDEX cases_transfer_deadline;
DROP INDEX cases_received_on_deadline;
DROP INDEX cases_assignee_received;
CREATE INDEX cases_assignee_received ON cases(assignee_id, received_at, id) WHERE assignee_id IS NOT NULL;
DROP INDEX cases_deadline;
CREATE INDEX cases_deadline ON cases(deadline, id);
