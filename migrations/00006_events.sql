-- Motion events a camera reports. An event is open from its start until the
-- camera ends it, or until Vigil closes it because the camera stayed offline
-- too long (end_reason says so).

-- +goose Up
CREATE TABLE events (
    id               uuid PRIMARY KEY,
    user_id          text NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE,
    camera_device_id uuid NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    kind             text NOT NULL DEFAULT 'motion' CHECK (kind IN ('motion')),
    status           text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    -- Chosen by the camera so that a retried start returns the same event.
    client_event_id  text,
    score            double precision,
    metadata         jsonb NOT NULL DEFAULT '{}'::jsonb,
    started_at       timestamptz NOT NULL,
    ended_at         timestamptz,
    end_reason       text,
    -- The recording or upload that shows the event, when there is one. The
    -- event outlives the video's row.
    video_id         uuid REFERENCES videos (id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (camera_device_id, client_event_id)
);
-- History is newest first with (started_at, id) as the keyset.
CREATE INDEX events_user_idx ON events (user_id, started_at DESC, id DESC);
CREATE INDEX events_camera_idx ON events (camera_device_id, started_at DESC, id DESC);
CREATE INDEX events_open_idx ON events (camera_device_id) WHERE status = 'open';

-- +goose Down
DROP TABLE events;
