-- Devices (phones acting as cameras or viewers) and the links that let a
-- client device watch and command a camera. Vigil's own tables use
-- snake_case; Better Auth's keep its camelCase.

-- +goose Up
CREATE TABLE devices (
    id           uuid PRIMARY KEY,
    user_id      text NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE,
    name         text NOT NULL,
    role         text NOT NULL CHECK (role IN ('camera', 'client')),
    platform     text,
    metadata     jsonb NOT NULL DEFAULT '{}'::jsonb,
    status       text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    -- SHA-256 of the device token; the token itself is shown once and never
    -- stored.
    token_hash   bytea UNIQUE,
    -- When the device last connected, disconnected or sent a heartbeat.
    last_seen_at timestamptz,
    -- The last heartbeat alone: a device is online while it is recent, so a
    -- device actor reloaded after a restart keeps a heartbeat-only device
    -- online.
    last_heartbeat_at timestamptz,
    -- What the last heartbeat reported (battery, temperature, network,
    -- appVersion).
    telemetry    jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX devices_user_id_idx ON devices (user_id);

CREATE TABLE device_links (
    id               uuid PRIMARY KEY,
    user_id          text NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE,
    camera_device_id uuid NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    client_device_id uuid NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    created_at       timestamptz NOT NULL DEFAULT now(),
    -- One link per pair, even when two requests race.
    UNIQUE (camera_device_id, client_device_id)
);
CREATE INDEX device_links_user_id_idx ON device_links (user_id);
CREATE INDEX device_links_client_idx ON device_links (client_device_id);

-- +goose Down
DROP TABLE device_links;
DROP TABLE devices;
