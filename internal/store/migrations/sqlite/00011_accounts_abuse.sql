-- +goose Up
-- Staff accounts over a lifetime: a password reset by an admin forces a
-- change at the next sign-in; the TOTP time step last accepted, so that a
-- code is accepted once (on every instance sharing the database).
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN password_changed_at TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;

-- Failed sign-ins: they slow down the (account, address) pair that failed,
-- and the owner and the admins see them. cleared: a later success from the
-- same pair, after which they no longer slow anyone down.
CREATE TABLE sign_in_failures (
    id        INTEGER PRIMARY KEY,
    username  TEXT NOT NULL,
    addr      TEXT NOT NULL,
    at        TEXT NOT NULL,
    cleared   BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX sign_in_failures_user ON sign_in_failures(username, at);
CREATE INDEX sign_in_failures_addr ON sign_in_failures(addr, at);

-- Windowed counters of the intake's flood limits, shared by every instance
-- on the database: events of a key (a keyed hash of an address, or a door's
-- name) in the window that starts at window_start (Unix seconds).
CREATE TABLE rate_counters (
    key           TEXT NOT NULL,
    window_start  INTEGER NOT NULL,
    count         INTEGER NOT NULL,
    PRIMARY KEY (key, window_start)
);

-- +goose Down
DROP TABLE rate_counters;
DROP TABLE sign_in_failures;
ALTER TABLE users DROP COLUMN totp_last_step;
ALTER TABLE users DROP COLUMN password_changed_at;
ALTER TABLE users DROP COLUMN must_change_password;
