package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
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
	LastSeenAt *time.Time               `json:"lastSeenAt" format:"date-time"`
	Telemetry  json.RawMessage          `json:"telemetry"`
	CreatedAt  time.Time                `json:"createdAt" format:"date-time"`
	UpdatedAt  time.Time                `json:"updatedAt" format:"date-time"`
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
	for field, v := range map[string]*string{"network": r.Network, "appVersion": r.AppVersion} {
		if v != nil && !isCleanText(*v) {
			return nil, badRequest("INVALID_TELEMETRY", field+" holds control characters")
		}
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
	case !hasVisibleRune(name):
		return "", badRequest("INVALID_NAME", "name is required")
	case !isCleanText(name):
		return "", badRequest("INVALID_NAME", "name holds control characters")
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
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, badRequest("INVALID_METADATA", "metadata must be a JSON object")
	}
	if problem := checkJSONValue(v, 0); problem != "" {
		return nil, badRequest("INVALID_METADATA", "metadata "+problem)
	}
	// Written out again, the object loses what Postgres's jsonb refuses but
	// Go's decoder tolerates, such as a lone UTF-16 surrogate escape.
	clean, err := json.Marshal(v)
	if err != nil {
		return nil, badRequest("INVALID_METADATA", "metadata must be a JSON object")
	}
	return clean, nil
}

// Bounds on what metadata may hold. Postgres's jsonb writes numbers out in
// full (1e131071 becomes 131,072 digits), so a short literal could turn a
// 4 KiB body into megabytes of answers; deep nesting breaks common JSON
// parsers of the apps that read it back.
const (
	maxMetadataDepth     = 8
	maxMetadataNumberLen = 32
)

// checkJSONValue returns what is wrong with a decoded metadata value, or "".
func checkJSONValue(v any, depth int) string {
	if depth > maxMetadataDepth {
		return fmt.Sprintf("nests deeper than %d levels", maxMetadataDepth)
	}
	switch x := v.(type) {
	case map[string]any:
		for k, el := range x {
			if !isCleanText(k) {
				return "has a key with control characters"
			}
			if p := checkJSONValue(el, depth+1); p != "" {
				return p
			}
		}
	case []any:
		for _, el := range x {
			if p := checkJSONValue(el, depth+1); p != "" {
				return p
			}
		}
	case string:
		if !isCleanText(x) {
			return "has a string with control characters"
		}
	case json.Number:
		if !shortNumber(string(x)) {
			return fmt.Sprintf("has a number that is not within %d digits", maxMetadataNumberLen)
		}
	}
	return ""
}

// shortNumber reports whether a JSON number literal stays short when
// written out in full, as Postgres's numeric does.
func shortNumber(lit string) bool {
	if len(lit) > maxMetadataNumberLen {
		return false
	}
	if i := strings.IndexAny(lit, "eE"); i >= 0 {
		exp, err := strconv.Atoi(lit[i+1:])
		if err != nil || exp > maxMetadataNumberLen || exp < -maxMetadataNumberLen {
			return false
		}
	}
	_, err := strconv.ParseFloat(lit, 64)
	return err == nil
}

// parseUUID checks that a path or body id is a UUID, naming the field.
func parseUUID(field, raw string) (string, error) {
	id, err := uuid.Parse(raw)
	if err != nil || len(raw) != 36 {
		return "", badRequest("INVALID_ID", field+" must be a UUID")
	}
	return id.String(), nil
}
