-- Run records: what each finished RobotRun was, kept after the run is
-- pruned (docs/design/run-records.md). A record is written once, when the
-- run has finished, and deleted only by retention.

-- +goose Up
CREATE TABLE run_records (
    uid          text        PRIMARY KEY,
    namespace    text        NOT NULL,
    robot        text        NOT NULL,
    run          text        NOT NULL,
    trigger      jsonb       NOT NULL,
    requested_by text        NOT NULL DEFAULT '',
    cancelled_by text        NOT NULL DEFAULT '',
    arguments    jsonb       NOT NULL DEFAULT '{}',
    image        text        NOT NULL DEFAULT '',
    image_id     text        NOT NULL DEFAULT '',
    credentials  jsonb       NOT NULL DEFAULT '[]',
    systems      jsonb       NOT NULL DEFAULT '[]',
    created_at   timestamptz NOT NULL,
    started_at   timestamptz,
    finished_at  timestamptz NOT NULL,
    phase        text        NOT NULL,
    reason       text        NOT NULL DEFAULT '',
    message      text        NOT NULL DEFAULT '',
    attempts     integer     NOT NULL DEFAULT 0,
    exit_code    integer,
    result       jsonb,
    recorded_at  timestamptz NOT NULL
);

-- A robot's history, newest first; a namespace's period (audit export,
-- usage report, retention).
CREATE INDEX run_records_of_robot ON run_records (namespace, robot, finished_at DESC, uid);
CREATE INDEX run_records_by_time ON run_records (namespace, finished_at, uid);

-- +goose Down
DROP TABLE run_records;
