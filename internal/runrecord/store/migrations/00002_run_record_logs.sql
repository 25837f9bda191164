-- Each attempt's container log, fetched when the attempt ends (before the
-- run's pods can go), and the work items a run touched.

-- +goose Up
CREATE TABLE run_record_logs (
    run_uid    text        NOT NULL,
    namespace  text        NOT NULL,
    pod        text        NOT NULL,
    attempt    integer     NOT NULL,
    content    bytea       NOT NULL,
    truncated  boolean     NOT NULL DEFAULT false,
    complete   boolean     NOT NULL DEFAULT false,
    note       text        NOT NULL DEFAULT '',
    fetched_at timestamptz NOT NULL,
    PRIMARY KEY (run_uid, pod)
);

ALTER TABLE run_records ADD COLUMN work_items bigint[] NOT NULL DEFAULT '{}';

-- `kubectl robot logs RUN`: a run by its name.
CREATE INDEX run_records_by_name ON run_records (namespace, run, finished_at DESC);

-- +goose Down
DROP INDEX run_records_by_name;
ALTER TABLE run_records DROP COLUMN work_items;
DROP TABLE run_record_logs;
