-- +goose Up
-- Formal notices (internal/letters): the acceptance, refusal, transfer and
-- reply letters (受理告知书, 不予受理告知书, 转送告知书, 处理意见书) are numbered
-- per office, kind and year when the action is taken, in its transaction:
-- notice_counters hands out the numbers (one row per office, kind and year,
-- whose update serialises concurrent actions), notice_numbers keeps each
-- letter's number against the history line it prints.
CREATE TABLE notice_counters (
    office  TEXT NOT NULL DEFAULT '',
    kind    TEXT NOT NULL,
    year    INTEGER NOT NULL,
    seq     INTEGER NOT NULL,
    PRIMARY KEY (office, kind, year)
);
CREATE TABLE notice_numbers (
    event_id   INTEGER PRIMARY KEY REFERENCES case_events(id),
    case_id    INTEGER NOT NULL REFERENCES cases(id),
    office     TEXT NOT NULL DEFAULT '',
    kind       TEXT NOT NULL,
    year       INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    issued_on  TEXT NOT NULL,
    UNIQUE (office, kind, year, seq)
);
CREATE INDEX notice_numbers_case ON notice_numbers(case_id, event_id);

-- +goose Down
DROP TABLE notice_numbers;
DROP TABLE notice_counters;
