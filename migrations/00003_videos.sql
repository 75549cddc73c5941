-- Metadata of recordings in object storage. The bytes live in the bucket;
-- a row is written when an upload URL is handed out (pending) and marked
-- uploaded once Vigil sees the object there.

-- +goose Up
CREATE TABLE videos (
    id           uuid PRIMARY KEY,
    user_id      text NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE,
    -- Kept when the device goes: the object is still in the bucket, and its
    -- key still names the device.
    device_id    uuid REFERENCES devices (id) ON DELETE SET NULL,
    bucket       text NOT NULL,
    object_key   text NOT NULL,
    file_name    text NOT NULL,
    content_type text NOT NULL,
    -- Known once the object is seen in storage.
    size_bytes   bigint,
    status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'uploaded')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    uploaded_at  timestamptz,
    UNIQUE (bucket, object_key)
);
CREATE INDEX videos_user_id_idx ON videos (user_id, created_at DESC);
CREATE INDEX videos_device_id_idx ON videos (device_id);

-- +goose Down
DROP TABLE videos;
