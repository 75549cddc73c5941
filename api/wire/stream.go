package wire

import (
	"encoding/json"
	"time"

	"github.com/vigil-oss/vigil/persistence"
)

// Stream is a stream session as the contract shows it, in HTTP answers
// and in stream:requested, stream:started and stream:ended.
type Stream struct {
	ID                persistence.StreamID     `json:"id"`
	StreamSessionID   persistence.StreamID     `json:"streamSessionId"`
	UserID            persistence.UserID       `json:"userId"`
	CameraDeviceID    persistence.DeviceID     `json:"cameraDeviceId"`
	RequesterDeviceID persistence.DeviceID     `json:"requesterDeviceId"`
	Status            persistence.StreamStatus `json:"status"`
	MediaMode         string                   `json:"mediaMode"`
	EndReason         *string                  `json:"endReason"`
	CommandID         *string                  `json:"commandId"`
	CreatedAt         time.Time                `json:"createdAt" format:"date-time"`
	UpdatedAt         time.Time                `json:"updatedAt" format:"date-time"`
	RequestExpiresAt  time.Time                `json:"requestExpiresAt" format:"date-time"`
	StartedAt         *time.Time               `json:"startedAt" format:"date-time"`
	EndedAt           *time.Time               `json:"endedAt" format:"date-time"`
}

// FromStream converts a row. streamSessionId repeats id, the name the
// websocket events of the TypeScript backend used.
func FromStream(s persistence.Stream) Stream {
	return Stream{ID: s.ID, StreamSessionID: s.ID, UserID: s.UserID,
		CameraDeviceID: s.CameraDeviceID, RequesterDeviceID: s.RequesterDeviceID,
		Status: s.Status, MediaMode: s.MediaMode, EndReason: optString(s.EndReason),
		CommandID: optString(string(s.CommandID)), CreatedAt: s.CreatedAt.UTC(),
		UpdatedAt: s.UpdatedAt.UTC(), RequestExpiresAt: s.RequestExpiresAt.UTC(),
		StartedAt: optTime(s.StartedAt), EndedAt: optTime(s.EndedAt)}
}

// StreamData is the data of the stream:* events.
func StreamData(s persistence.Stream) []byte {
	data, _ := json.Marshal(FromStream(s))
	return data
}
