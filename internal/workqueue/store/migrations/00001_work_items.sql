-- Work items, their references and their history (docs/work-queues.md).
-- Times are written by the server from its clock, not by now(), so that
-- tests can move time and every row of one change carries the same instant.

-- +goose Up
CREATE TABLE work_items (
    id              bigserial PRIMARY KEY,
    namespace       text        NOT NULL,
    queue           text        NOT NULL,
    reference       text        NOT NULL DEFAULT '',
    priority        integer     NOT NULL DEFAULT 0,
    payload         jsonb       NOT NULL,
    output          jsonb,
    state           text        NOT NULL CHECK (state IN ('New', 'InProgress', 'Done', 'BusinessException', 'Failed', 'Handled')),
    attempts        integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    reason          text        NOT NULL DEFAULT '',
    defer_until     timestamptz,
    deadline        timestamptz,
    created_by      text        NOT NULL,
    held_by_run     text        NOT NULL DEFAULT '',
    held_by_pod     text        NOT NULL DEFAULT '',
    held_by_pod_uid text        NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    finished_at     timestamptz,
    -- An item is held exactly while it is InProgress.
    CHECK ((state = 'InProgress') = (held_by_pod_uid <> ''))
);

-- The next item to take: highest priority, then oldest, of one queue.
CREATE INDEX work_items_to_take ON work_items (namespace, queue, priority DESC, created_at, id) WHERE state = 'New';
-- The items a pod holds, returned when it stops.
CREATE INDEX work_items_held ON work_items (held_by_pod_uid) WHERE state = 'InProgress';
-- Listing a queue by state, and retention of finished items.
CREATE INDEX work_items_by_state ON work_items (namespace, queue, state, id);
CREATE INDEX work_items_finished ON work_items (namespace, queue, finished_at) WHERE finished_at IS NOT NULL;

-- The references of queues with unique references, kept (as a keyed hash,
-- not the reference itself) after retention deletes the item, so that the
-- same reference is still refused.
CREATE TABLE work_item_references (
    namespace      text   NOT NULL,
    queue          text   NOT NULL,
    reference_hash bytea  NOT NULL,
    item_id        bigint NOT NULL,
    PRIMARY KEY (namespace, queue, reference_hash)
);

-- Every change of every item: who (the authenticated identity), as which
-- run, what, from which state to which. Rows are only ever added.
CREATE TABLE work_item_history (
    id         bigserial   PRIMARY KEY,
    item_id    bigint      NOT NULL REFERENCES work_items (id) ON DELETE CASCADE,
    at         timestamptz NOT NULL,
    actor      text        NOT NULL,
    run        text        NOT NULL DEFAULT '',
    action     text        NOT NULL,
    from_state text        NOT NULL DEFAULT '',
    to_state   text        NOT NULL,
    attempt    integer     NOT NULL,
    detail     text        NOT NULL DEFAULT ''
);
CREATE INDEX work_item_history_of ON work_item_history (item_id, id);

-- +goose Down
DROP TABLE work_item_history;
DROP TABLE work_item_references;
DROP TABLE work_items;
