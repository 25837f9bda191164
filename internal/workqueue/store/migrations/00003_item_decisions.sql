-- People's decisions on items (retry, handle): who, on which item, when.
-- Kept apart from the item and its history, which retention deletes with
-- the item's personal data: a decision holds none (no payload, no
-- comment), and supervision asks for it as long as for the run records
-- (the run-record retention deletes it).

-- +goose Up
CREATE TABLE work_item_decisions (
    id             bigserial   PRIMARY KEY,
    namespace      text        NOT NULL,
    queue          text        NOT NULL,
    item_id        bigint      NOT NULL,
    action         text        NOT NULL,
    actor          text        NOT NULL,
    from_state     text        NOT NULL,
    to_state       text        NOT NULL,
    payload_edited boolean     NOT NULL DEFAULT false,
    at             timestamptz NOT NULL
);
CREATE INDEX work_item_decisions_by_time ON work_item_decisions (namespace, at, id);

-- +goose Down
DROP TABLE work_item_decisions;
