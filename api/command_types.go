package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/google/uuid"
)

// maxPayloadBytes bounds a command's payload: the largest defined one is
// a few dozen bytes, so anything near this is not a command.
const maxPayloadBytes = 1 << 10

// maxSirenSeconds bounds ring_siren: five minutes of siren is already more
// than any neighbour forgives.
const maxSirenSeconds = 300

type fieldKind int

const (
	kindNumber fieldKind = iota
	kindInteger
	kindEnum
	kindUUID
)

// fieldRule is what one payload field must be.
type fieldRule struct {
	kind     fieldKind
	min, max float64
	values   []string
}

// commandSpec is the payload schema of a command type: the fields it may
// carry, and those of which exactly one is required.
type commandSpec struct {
	fields map[string]fieldRule
	oneOf  []string
}

var streamFields = map[string]fieldRule{"streamSessionId": {kind: kindUUID}}

// commandSpecs are the command types of the contract with their payloads.
var commandSpecs = map[string]commandSpec{
	"start_stream":  {fields: streamFields},
	"stop_stream":   {fields: streamFields},
	"take_snapshot": {},
	"switch_camera": {fields: map[string]fieldRule{
		"facing": {kind: kindEnum, values: []string{"front", "back"}}}},
	"set_motion_sensitivity": {fields: map[string]fieldRule{
		"sensitivity": {kind: kindNumber, min: 0, max: 100},
		"level":       {kind: kindEnum, values: []string{"low", "medium", "high"}},
	}, oneOf: []string{"sensitivity", "level"}},
	"ring_siren": {fields: map[string]fieldRule{
		"durationSeconds": {kind: kindInteger, min: 1, max: maxSirenSeconds}}},
}

func commandTypeNames() string {
	names := make([]string, 0, len(commandSpecs))
	for name := range commandSpecs {
		names = append(names, name)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func invalidPayload(format string, args ...any) error {
	return badRequest("INVALID_PAYLOAD", fmt.Sprintf(format, args...))
}

// validatePayload checks a payload against its type's schema and returns
// it as stored; an absent payload is an empty object.
func validatePayload(commandType string, raw json.RawMessage) (json.RawMessage, error) {
	spec, ok := commandSpecs[commandType]
	if !ok {
		return nil, badRequest("UNKNOWN_COMMAND_TYPE", fmt.Sprintf(
			"commandType %q is not one of %s", commandType, commandTypeNames()))
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		raw = json.RawMessage("{}")
	}
	if len(raw) > maxPayloadBytes {
		return nil, invalidPayload("payload is larger than %d bytes", maxPayloadBytes)
	}
	var fields map[string]json.RawMessage
	if raw[0] != '{' || json.Unmarshal(raw, &fields) != nil {
		return nil, invalidPayload("payload must be a JSON object")
	}
	if err := spec.check(commandType, fields); err != nil {
		return nil, err
	}
	return raw, nil
}

func (spec commandSpec) check(commandType string, fields map[string]json.RawMessage) error {
	var unknown []string
	for name := range fields {
		if _, ok := spec.fields[name]; !ok {
			unknown = append(unknown, "payload."+name)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return invalidPayload("%s not allowed for %s", strings.Join(unknown, ", "), commandType)
	}
	for name, value := range fields {
		if err := spec.fields[name].check("payload."+name, value); err != nil {
			return err
		}
	}
	if len(spec.oneOf) == 0 {
		return nil
	}
	present := slices.DeleteFunc(slices.Clone(spec.oneOf), func(n string) bool {
		_, ok := fields[n]
		return !ok
	})
	if len(present) != 1 {
		return invalidPayload("%s needs exactly one of payload.%s", commandType,
			strings.Join(spec.oneOf, ", payload."))
	}
	return nil
}

func (r fieldRule) check(name string, value json.RawMessage) error {
	switch r.kind {
	case kindNumber, kindInteger:
		var n float64
		if json.Unmarshal(value, &n) != nil || math.IsNaN(n) || n < r.min || n > r.max {
			return invalidPayload("%s must be a number %g..%g", name, r.min, r.max)
		}
		// The literal itself must be whole: a camera parsing "5.0" as an
		// integer fails.
		if r.kind == kindInteger && (n != math.Trunc(n) || strings.ContainsAny(string(value), ".eE")) {
			return invalidPayload("%s must be a whole number %g..%g", name, r.min, r.max)
		}
	case kindEnum:
		var s string
		if json.Unmarshal(value, &s) != nil || !slices.Contains(r.values, s) {
			return invalidPayload("%s must be one of %s", name, strings.Join(r.values, ", "))
		}
	case kindUUID:
		var s string
		if json.Unmarshal(value, &s) != nil || uuid.Validate(s) != nil || len(s) != 36 {
			return invalidPayload("%s must be a UUID", name)
		}
	}
	return nil
}
