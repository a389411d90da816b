-- +goose Up
-- Telling people (internal/notify, internal/callback).
--
-- A reporter who gave a phone or an e-mail address may agree to be told of
-- progress (notify), in the language they wrote in (lang). The address
-- itself stays sealed in cases.identity: the outbox resolves it when it
-- sends, and retention's erasure of the identity ends it.
ALTER TABLE cases ADD COLUMN notify BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE cases ADD COLUMN lang TEXT NOT NULL DEFAULT '';
-- The result of the callback (回访) after the latest reply, for the figures:
-- satisfied | basically_satisfied | dissatisfied | unreachable ('' none).
ALTER TABLE cases ADD COLUMN callback_result TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN callback_at TEXT;

-- Staff contact and how they want to be told.
ALTER TABLE users ADD COLUMN email TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN phone TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN lang TEXT NOT NULL DEFAULT 'zh-CN';
-- digest: e-mail notifications come in one mail a day instead of one each.
ALTER TABLE users ADD COLUMN digest BOOLEAN NOT NULL DEFAULT FALSE;

-- A user's choice per kind of notification: email | sms | none. A kind
-- without a row goes by e-mail.
CREATE TABLE notify_prefs (
    user_id  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind     TEXT NOT NULL,
    channel  TEXT NOT NULL,
    PRIMARY KEY (user_id, kind)
);

-- The outbox: one row per message to send, written in the transaction of
-- the change that causes it. user_id names a staff recipient; NULL means the
-- reporter of case_id. dedupe makes a notification once only (e.g. overdue
-- on one deadline). token goes into the Message-ID, the same on every try.
-- status: pending → sent | failed (tries used up; an admin may retry) |
-- cancelled (no address any more); held waits for the recipient's daily
-- digest, then digested (sent within digest_id).
CREATE TABLE outbox (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL,
    case_id      INTEGER REFERENCES cases(id),
    user_id      INTEGER REFERENCES users(id),
    channel      TEXT NOT NULL,
    dedupe       TEXT UNIQUE,
    data         TEXT NOT NULL DEFAULT '{}',
    token        TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'pending',
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_at      TEXT NOT NULL,
    claimed_by   TEXT NOT NULL DEFAULT '',
    claim_until  TEXT NOT NULL DEFAULT '',
    last_error   TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    sent_at      TEXT,
    digest_id    INTEGER REFERENCES outbox(id)
);
CREATE INDEX outbox_due ON outbox(status, next_at, id);
CREATE INDEX outbox_case ON outbox(case_id);
CREATE INDEX outbox_user ON outbox(user_id, status);

-- The callback list (回访): after each reply to a named reporter with a
-- phone, a call to make by due. round is the case's review round at the
-- reply (0 the first reply, 1 the answer to 复查, 2 to 复核). tries counts
-- the calls; result '' while open.
CREATE TABLE callbacks (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases(id),
    round       INTEGER NOT NULL,
    replied_on  TEXT NOT NULL,
    due         TEXT NOT NULL,
    tries       INTEGER NOT NULL DEFAULT 0,
    result      TEXT NOT NULL DEFAULT '',
    note        TEXT NOT NULL DEFAULT '',
    done_by     TEXT NOT NULL DEFAULT '',
    done_at     TEXT,
    created_at  TEXT NOT NULL,
    UNIQUE (case_id, round)
);
CREATE INDEX callbacks_open ON callbacks(result, due, id);

-- The figures count callbacks: a case's day is recomputed when its callback
-- result changes, and the cached days are recomputed in the new shape.
DROP TRIGGER cases_stats_update;
-- +goose StatementBegin
CREATE TRIGGER cases_stats_update AFTER UPDATE OF state, finding, channel, category, unit_id, accepted_on, accept_by, finish_by, concluded_on, rating, received_on, covert_plan_id, callback_result ON cases BEGIN
    INSERT OR IGNORE INTO stats_dirty (day) VALUES (NEW.received_on);
    INSERT OR IGNORE INTO stats_dirty (day) VALUES (OLD.received_on);
END;
-- +goose StatementEnd
DELETE FROM stats_days;

-- +goose Down
DELETE FROM stats_days;
DROP TRIGGER cases_stats_update;
-- +goose StatementBegin
CREATE TRIGGER cases_stats_update AFTER UPDATE OF state, finding, channel, category, unit_id, accepted_on, accept_by, finish_by, concluded_on, rating, received_on, covert_plan_id ON cases BEGIN
    INSERT OR IGNORE INTO stats_dirty (day) VALUES (NEW.received_on);
    INSERT OR IGNORE INTO stats_dirty (day) VALUES (OLD.received_on);
END;
-- +goose StatementEnd
DROP TABLE callbacks;
DROP TABLE outbox;
DROP TABLE notify_prefs;
ALTER TABLE users DROP COLUMN digest;
ALTER TABLE users DROP COLUMN lang;
ALTER TABLE users DROP COLUMN phone;
ALTER TABLE users DROP COLUMN email;
ALTER TABLE cases DROP COLUMN callback_at;
ALTER TABLE cases DROP COLUMN callback_result;
ALTER TABLE cases DROP COLUMN lang;
ALTER TABLE cases DROP COLUMN notify;
