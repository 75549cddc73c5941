package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/vigil-oss/vigil/persistence"
)

// Bounds on what a client may store about a device.
const (
	maxDeviceNameLength = 100
	maxPlatformLength   = 50
	// maxMetadataBytes keeps metadata a small annotation, not a blob store.
	maxMetadataBytes = 4 << 10
	maxNetworkLength = 32
	maxVersionLength = 64
	// maxTemperature in degrees Celsius is far past what a phone survives.
	maxTemperature = 200
)

// deviceJSON is a device as the contract answers it. The token hash never
// leaves the server.
type deviceJSON struct {
	ID         persistence.DeviceID     `json:"id"`
	UserID     persistence.UserID       `json:"userId"`
	Name       string                   `json:"name"`
	Role       persistence.Role         `json:"role"`
	Platform   *string                  `json:"platform"`
	Metadata   json.RawMessage          `json:"metadata"`
	Status     persistence.DeviceStatus `json:"status"`
	Online     bool                     `json:"online"`
	LastSeenAt *time.Time               `json:"lastSeenAt"`
	Telemetry  json.RawMessage          `json:"telemetry"`
	CreatedAt  time.Time                `json:"createdAt"`
	UpdatedAt  time.Time                `json:"updatedAt"`
}

func toDeviceJSON(d persistence.Device, online bool, lastSeen time.Time) deviceJSON {
	j := deviceJSON{ID: d.ID, UserID: d.UserID, Name: d.Name, Role: d.Role, Platform: d.Platform,
		Metadata: d.Metadata, Status: d.Status, Online: online, Telemetry: d.Telemetry,
		CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC()}
	if d.LastSeenAt != nil && d.LastSeenAt.After(lastSeen) {
		lastSeen = *d.LastSeenAt
	}
	if !lastSeen.IsZero() {
		at := lastSeen.UTC()
		j.LastSeenAt = &at
	}
	return j
}

type registerRequest struct {
	Name     string          `json:"name"`
	Role     string          `json:"role"`
	Platform *string         `json:"platform"`
	Metadata json.RawMessage `json:"metadata"`
}

type registerResponse struct {
	Device      deviceJSON `json:"device"`
	DeviceToken string     `json:"deviceToken"`
}

type patchRequest struct {
	Name     *string         `json:"name"`
	Role     *string         `json:"role"`
	Metadata json.RawMessage `json:"metadata"`
	Status   *string         `json:"status"`
}

type heartbeatRequest struct {
	Battery     *float64 `json:"battery,omitempty"`
	Temperature *float64 `json:"temperature,omitempty"`
	Network     *string  `json:"network,omitempty"`
	AppVersion  *string  `json:"appVersion,omitempty"`
}

func (r *registerRequest) validate() (persistence.NewDevice, error) {
	name, err := validateDeviceName(r.Name)
	if err != nil {
		return persistence.NewDevice{}, err
	}
	role, err := validateRole(r.Role)
	if err != nil {
		return persistence.NewDevice{}, err
	}
	if r.Platform != nil {
		p := strings.TrimSpace(*r.Platform)
		if utf8.RuneCountInString(p) > maxPlatformLength {
			return persistence.NewDevice{}, badRequest("INVALID_PLATFORM",
				fmt.Sprintf("platform is longer than %d characters", maxPlatformLength))
		}
		r.Platform = &p
	}
	meta, err := validateMetadata(r.Metadata)
	if err != nil {
		return persistence.NewDevice{}, err
	}
	return persistence.NewDevice{Name: name, Role: role, Platform: r.Platform, Metadata: meta}, nil
}

func (r *patchRequest) validate() (persistence.DevicePatch, error) {
	var p persistence.DevicePatch
	if r.Name != nil {
		name, err := validateDeviceName(*r.Name)
		if err != nil {
			return p, err
		}
		p.Name = &name
	}
	if r.Role != nil {
		role, err := validateRole(*r.Role)
		if err != nil {
			return p, err
		}
		p.Role = &role
	}
	if r.Metadata != nil {
		meta, err := validateMetadata(r.Metadata)
		if err != nil {
			return p, err
		}
		p.Metadata = meta
	}
	if r.Status != nil {
		st := persistence.DeviceStatus(*r.Status)
		if st != persistence.StatusActive && st != persistence.StatusDisabled {
			return p, badRequest("INVALID_STATUS", "status must be active or disabled")
		}
		p.Status = &st
	}
	return p, nil
}

func (r *heartbeatRequest) telemetry() (json.RawMessage, error) {
	if r.Temperature != nil && (*r.Temperature > maxTemperature || *r.Temperature < -maxTemperature) {
		return nil, badRequest("INVALID_TELEMETRY",
			fmt.Sprintf("temperature must be within ±%d °C", maxTemperature))
	}
	if r.Battery != nil && (*r.Battery < 0 || *r.Battery > 100) {
		return nil, badRequest("INVALID_TELEMETRY", "battery must be a percentage 0..100")
	}
	if r.Network != nil && len(*r.Network) > maxNetworkLength {
		return nil, badRequest("INVALID_TELEMETRY",
			fmt.Sprintf("network is longer than %d bytes", maxNetworkLength))
	}
	if r.AppVersion != nil && len(*r.AppVersion) > maxVersionLength {
		return nil, badRequest("INVALID_TELEMETRY",
			fmt.Sprintf("appVersion is longer than %d bytes", maxVersionLength))
	}
	return json.Marshal(r)
}

func validateDeviceName(raw string) (string, error) {
	name := strings.TrimSpace(raw)
	switch {
	case name == "":
		return "", badRequest("INVALID_NAME", "name is required")
	case utf8.RuneCountInString(name) > maxDeviceNameLength:
		return "", badRequest("INVALID_NAME",
			fmt.Sprintf("name is longer than %d characters", maxDeviceNameLength))
	}
	return name, nil
}

func validateRole(raw string) (persistence.Role, error) {
	role := persistence.Role(raw)
	if role != persistence.RoleCamera && role != persistence.RoleClient {
		return "", badRequest("INVALID_ROLE", "role must be camera or client")
	}
	return role, nil
}

// validateMetadata accepts a JSON object of at most maxMetadataBytes;
// absent metadata is an empty object.
func validateMetadata(raw json.RawMessage) (json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return json.RawMessage("{}"), nil
	}
	if raw[0] != '{' {
		return nil, badRequest("INVALID_METADATA", "metadata must be a JSON object")
	}
	if len(raw) > maxMetadataBytes {
		return nil, badRequest("INVALID_METADATA",
			fmt.Sprintf("metadata is larger than %d bytes", maxMetadataBytes))
	}
	return raw, nil
}

// parseUUID checks that a path or body id is a UUID, naming the field.
func parseUUID(field, raw string) (string, error) {
	id, err := uuid.Parse(raw)
	if err != nil || len(raw) != 36 {
		return "", badRequest("INVALID_ID", field+" must be a UUID")
	}
	return id.String(), nil
}
