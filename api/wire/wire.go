// Package wire holds the JSON shapes that both HTTP answers and websocket
// events carry, so that a command or a motion event reads the same whether
// a client fetched it or was sent it. It is a leaf: it knows persistence's
// rows and nothing of HTTP or actors.
package wire

import (
	"encoding/json"
	"time"

	"github.com/vigil-oss/vigil/persistence"
)

// Command is a command as the contract shows it.
type Command struct {
	ID             persistence.CommandID     `json:"id"`
	UserID         persistence.UserID        `json:"userId"`
	SourceDeviceID persistence.DeviceID      `json:"sourceDeviceId"`
	TargetDeviceID persistence.DeviceID      `json:"targetDeviceId"`
	CommandType    string                    `json:"commandType"`
	Payload        json.RawMessage           `json:"payload"`
	Status         persistence.CommandStatus `json:"status"`
	Reason         *string                   `json:"reason"`
	IdempotencyKey *string                   `json:"idempotencyKey"`
	CreatedAt      time.Time                 `json:"createdAt" format:"date-time"`
	UpdatedAt      time.Time                 `json:"updatedAt" format:"date-time"`
	ExpiresAt      time.Time                 `json:"expiresAt" format:"date-time"`
	DeliveredAt    *time.Time                `json:"deliveredAt" format:"date-time"`
	CompletedAt    *time.Time                `json:"completedAt" format:"date-time"`
}

// FromCommand converts a row.
func FromCommand(c persistence.Command) Command {
	return Command{ID: c.ID, UserID: c.UserID, SourceDeviceID: c.SourceDeviceID,
		TargetDeviceID: c.TargetDeviceID, CommandType: c.Type, Payload: c.Payload,
		Status: c.Status, Reason: optString(c.Reason), IdempotencyKey: optString(c.IdempotencyKey),
		CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC(), ExpiresAt: c.ExpiresAt.UTC(),
		DeliveredAt: optTime(c.DeliveredAt), CompletedAt: optTime(c.CompletedAt)}
}

// CommandData is the data of command:received and command:status.
func CommandData(c persistence.Command) []byte {
	data, _ := json.Marshal(FromCommand(c))
	return data
}

// Event is a motion event as the contract shows it.
type Event struct {
	ID             persistence.EventID     `json:"id"`
	UserID         persistence.UserID      `json:"userId"`
	CameraDeviceID persistence.DeviceID    `json:"cameraDeviceId"`
	Type           string                  `json:"type"`
	Status         persistence.EventStatus `json:"status"`
	ClientEventID  *string                 `json:"clientEventId"`
	Score          *float64                `json:"score"`
	Metadata       json.RawMessage         `json:"metadata"`
	StartedAt      time.Time               `json:"startedAt" format:"date-time"`
	EndedAt        *time.Time              `json:"endedAt" format:"date-time"`
	EndReason      *string                 `json:"endReason"`
	VideoID        *string                 `json:"videoId"`
	CreatedAt      time.Time               `json:"createdAt" format:"date-time"`
}

// FromEvent converts a row.
func FromEvent(e persistence.Event) Event {
	out := Event{ID: e.ID, UserID: e.UserID, CameraDeviceID: e.CameraDeviceID, Type: "motion",
		Status: e.Status, ClientEventID: optString(e.ClientEventID), Metadata: e.Metadata,
		StartedAt: e.StartedAt.UTC(), EndedAt: optTime(e.EndedAt),
		EndReason: optString(e.EndReason), VideoID: optString(e.VideoID),
		CreatedAt: e.CreatedAt.UTC()}
	if e.HasScore {
		score := e.Score
		out.Score = &score
	}
	return out
}

// EventData is the data of motion:detected and motion:ended.
func EventData(e persistence.Event) []byte {
	data, _ := json.Marshal(FromEvent(e))
	return data
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// All converts a page of rows with one of the From functions.
func All[T, U any](rows []T, from func(T) U) []U {
	out := make([]U, len(rows))
	for i, r := range rows {
		out[i] = from(r)
	}
	return out
}
