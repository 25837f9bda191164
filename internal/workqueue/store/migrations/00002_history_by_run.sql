-- A run's record lists the items it touched: their history by run name.

-- +goose Up
CREATE INDEX work_item_history_by_run ON work_item_history (run) WHERE run <> '';

-- +goose Down
DROP INDEX work_item_history_by_run;
