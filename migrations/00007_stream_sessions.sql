-- Live stream sessions: a client asks to watch a camera. The row is the
-- record of the session's state machine (requested -> streaming -> ended);
-- every change is a conditional UPDATE, so an end and a timeout that race
-- end the session once.

-- +goose Up
CREATE TABLE stream_sessions (
    id                  uuid PRIMARY KEY,
    user_id             text NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE,
    camera_device_id    uuid NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    requester_device_id uuid NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    status              text NOT NULL DEFAULT 'requested' CHECK (status IN
                            ('requested', 'streaming', 'ended')),
    -- single_server_sfu or legacy: what the server did when it was made.
    media_mode          text NOT NULL,
    -- Why it ended: ended, rejected, timed_out, camera_offline,
    -- requester_offline, camera_left.
    end_reason          text,
    -- Who ended it, when a device did.
    ended_by            uuid REFERENCES devices (id) ON DELETE SET NULL,
    -- The start_stream command that asked the camera.
    command_id          uuid REFERENCES commands (id) ON DELETE SET NULL,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    -- A request not accepted by then ends as timed_out.
    request_expires_at  timestamptz NOT NULL,
    started_at          timestamptz,
    ended_at            timestamptz
);
CREATE INDEX stream_sessions_camera_idx ON stream_sessions (camera_device_id, created_at DESC, id DESC);
CREATE INDEX stream_sessions_requester_idx
    ON stream_sessions (requester_device_id, created_at DESC, id DESC);
-- What start-up recovery looks for: sessions still open.
CREATE INDEX stream_sessions_open_idx ON stream_sessions (id) WHERE status <> 'ended';

-- +goose Down
DROP TABLE stream_sessions;
