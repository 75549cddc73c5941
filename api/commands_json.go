package api

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/vigil-oss/vigil/persistence"
)

// Default command time to live (COMMAND_TTL_DEFAULT, COMMAND_TTL_MAX): a
// minute covers a camera on a flaky network; an hour is the longest a
// command can still mean what the viewer wanted.
const (
	DefaultCommandTTL    = time.Minute
	DefaultCommandTTLMax = time.Hour
)

// maxIdempotencyKeyLength bounds idempotencyKey; a UUID is 36.
const maxIdempotencyKeyLength = 128

type commandRequest struct {
	SourceDeviceID string          `json:"sourceDeviceId"`
	TargetDeviceID string          `json:"targetDeviceId"`
	CommandType    string          `json:"commandType"`
	Payload        json.RawMessage `json:"payload"`
	IdempotencyKey *string         `json:"idempotencyKey"`
	TTLSeconds     *int            `json:"ttlSeconds"`
}

type ackRequest struct {
	Status string `json:"status"`
	Reason string `json:"reason"`
}

// validate checks everything but who may send the command, and returns
// what is stored, less the source, user and times, with the time to live.
func (r *commandRequest) validate(ttlDefault, ttlMax time.Duration) (persistence.NewCommand,
	time.Duration, error) {
	var n persistence.NewCommand
	target, err := parseUUID("targetDeviceId", r.TargetDeviceID)
	if err != nil {
		return n, 0, err
	}
	payload, err := validatePayload(r.CommandType, r.Payload)
	if err != nil {
		return n, 0, err
	}
	ttl := ttlDefault
	if r.TTLSeconds != nil {
		// Compare seconds before converting: a huge count would overflow the
		// Duration and wrap past the check.
		if *r.TTLSeconds < 1 || int64(*r.TTLSeconds) > int64(ttlMax/time.Second) {
			return n, 0, badRequest("INVALID_TTL",
				fmt.Sprintf("ttlSeconds must be a whole number 1..%d", int(ttlMax.Seconds())))
		}
		ttl = time.Duration(*r.TTLSeconds) * time.Second
	}
	if k := r.IdempotencyKey; k != nil && (*k == "" || len(*k) > maxIdempotencyKeyLength ||
		!isCleanText(*k)) {
		return n, 0, badRequest("INVALID_IDEMPOTENCY_KEY",
			fmt.Sprintf("idempotencyKey must be 1..%d bytes", maxIdempotencyKeyLength))
	}
	n = persistence.NewCommand{TargetDeviceID: persistence.DeviceID(target),
		Type: r.CommandType, Payload: payload}
	if r.IdempotencyKey != nil {
		n.IdempotencyKey = *r.IdempotencyKey
	}
	return n, ttl, nil
}

func (r *ackRequest) validate() (persistence.CommandStatus, error) {
	st := persistence.CommandStatus(r.Status)
	if st != persistence.CommandAcknowledged && st != persistence.CommandRejected {
		return "", badRequest("INVALID_STATUS", "status must be acknowledged or rejected")
	}
	if len(r.Reason) > maxReasonBytes {
		return "", badRequest("INVALID_REASON",
			fmt.Sprintf("reason is longer than %d bytes", maxReasonBytes))
	}
	if !isCleanText(r.Reason) {
		return "", badRequest("INVALID_REASON", "reason holds control characters")
	}
	return st, nil
}

// maxReasonBytes is the actors' bound, so both forms of an ack agree.
const maxReasonBytes = 500

func validCommandStatus(s string) bool {
	switch persistence.CommandStatus(s) {
	case persistence.CommandQueued, persistence.CommandDelivered, persistence.CommandAcknowledged,
		persistence.CommandRejected, persistence.CommandExpired:
		return true
	}
	return false
}
