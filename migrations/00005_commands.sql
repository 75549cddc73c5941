-- Commands a client device sends a camera ("start siren"). The row is the
-- record: it is written before the command is accepted, and every status
-- change is a conditional UPDATE, so a change happens once even when two
-- paths (an ack and the expiry timer, two servers) race.

-- +goose Up
CREATE TABLE commands (
    id               uuid PRIMARY KEY,
    user_id          text NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE,
    source_device_id uuid NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    target_device_id uuid NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    command_type     text NOT NULL,
    payload          jsonb NOT NULL DEFAULT '{}'::jsonb,
    status           text NOT NULL DEFAULT 'queued' CHECK (status IN
                         ('queued', 'delivered', 'acknowledged', 'rejected', 'expired')),
    -- Why the camera rejected the command, or what it said with its ack.
    reason           text,
    -- Chosen by the sender so that a retried POST returns the same command;
    -- NULLs never conflict.
    idempotency_key  text,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL,
    delivered_at     timestamptz,
    completed_at     timestamptz,
    UNIQUE (source_device_id, idempotency_key)
);
-- What a camera's actor loads when it starts, and what start-up recovery
-- looks for: the commands still waiting on a camera.
CREATE INDEX commands_pending_idx ON commands (target_device_id, created_at)
    WHERE status IN ('queued', 'delivered');
CREATE INDEX commands_user_idx ON commands (user_id, created_at DESC, id DESC);

-- +goose Down
DROP TABLE commands;
