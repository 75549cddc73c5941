package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// decodeJSON reads a JSON object body into dst. Unknown fields are
// tolerated, because Better Auth's client sends some Vigil does not use
// (callbackURL, image); a wrong type or broken JSON is a 400 that names the
// field or the offset.
func decodeJSON(body []byte, dst any) error {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return badRequest("INVALID_BODY", "request body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badRequest("INVALID_BODY", "request body must hold one JSON object")
	}
	return nil
}

func jsonError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	var apiErr *Error
	switch {
	case errors.As(err, &apiErr):
		// A field's own UnmarshalJSON said what is wrong with it.
		return apiErr
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return badRequest("INVALID_BODY",
			fmt.Sprintf("field %q must be a JSON %s", typeErr.Field, jsonKind(typeErr.Type.Kind().String())))
	case errors.As(err, &typeErr):
		return badRequest("INVALID_BODY", "request body must be a JSON object")
	case errors.As(err, &syntaxErr):
		return badRequest("INVALID_BODY", fmt.Sprintf("malformed JSON at byte %d", syntaxErr.Offset))
	}
	return badRequest("INVALID_BODY", "malformed JSON")
}

func jsonKind(goKind string) string {
	switch {
	case goKind == "string":
		return "string"
	case goKind == "bool":
		return "boolean"
	case strings.HasPrefix(goKind, "int"), strings.HasPrefix(goKind, "uint"),
		strings.HasPrefix(goKind, "float"):
		return "number"
	case goKind == "slice":
		return "array"
	}
	return "object"
}

// parseBody decodes the request body of c into dst.
func parseBody(c *fiber.Ctx, dst any) error { return decodeJSON(c.Body(), dst) }
