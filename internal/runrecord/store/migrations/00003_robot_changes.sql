-- The changes of a Robot that supervision asks about: who suspended it
-- and who resumed it, as the admission policy rpa-robot-suspender stamped
-- them, with the time rpa-server saw the change.

-- +goose Up
CREATE TABLE robot_changes (
    id          bigserial   PRIMARY KEY,
    namespace   text        NOT NULL,
    robot       text        NOT NULL,
    robot_uid   text        NOT NULL,
    generation  bigint      NOT NULL,
    action      text        NOT NULL,
    actor       text        NOT NULL,
    observed_at timestamptz NOT NULL,
    UNIQUE (robot_uid, generation, action)
);
CREATE INDEX robot_changes_by_time ON robot_changes (namespace, observed_at, id);
CREATE INDEX robot_changes_of_robot ON robot_changes (robot_uid, id);

-- +goose Down
DROP TABLE robot_changes;
