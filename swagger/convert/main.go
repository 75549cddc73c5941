// Command convert turns the Swagger 2.0 document swag writes into the
// OpenAPI 3 document Vigil serves, and refuses to write one that is not
// valid. `make swagger` runs it; it is not part of the server.
//
// Usage: go run ./swagger/convert swagger/swagger.json swagger/openapi.json
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: convert SWAGGER2.json OPENAPI3.json")
		os.Exit(2)
	}
	if err := convert(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "convert:", err)
		os.Exit(1)
	}
}

func convert(in, out string) error {
	raw, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	var doc2 openapi2.T
	if err := json.Unmarshal(raw, &doc2); err != nil {
		return fmt.Errorf("read %s: %w", in, err)
	}
	doc3, err := openapi2conv.ToV3(&doc2)
	if err != nil {
		return fmt.Errorf("convert %s: %w", in, err)
	}
	// A relative server: Swagger UI's "Try it out" then calls the host
	// and scheme that served the document, behind a proxy too.
	doc3.Servers = openapi3.Servers{{URL: "/"}}
	cookieSession(doc3)
	jsonErrors(doc3)
	if err := doc3.Validate(context.Background()); err != nil {
		return fmt.Errorf("%s converted is not valid OpenAPI 3: %w", in, err)
	}
	body, err := json.MarshalIndent(doc3, "", "    ")
	if err != nil {
		return err
	}
	return os.WriteFile(out, append(body, '\n'), 0o644)
}

// cookieSession makes sessionCookie an apiKey in a cookie. Swagger 2.0
// has no cookie apiKeys, so swag may have written it as a header.
func cookieSession(doc *openapi3.T) {
	if doc.Components == nil {
		return
	}
	ref, ok := doc.Components.SecuritySchemes["sessionCookie"]
	if !ok || ref.Value == nil {
		return
	}
	ref.Value.In = "cookie"
	ref.Value.Name = "better-auth.session_token"
}

// errorSchema is the contract's error body as swag names it.
const errorSchema = "#/components/schemas/api.errorBody"

// jsonErrors gives every error answer the content type it really has.
// Swagger 2.0 has one produces list per operation, so the conversion
// files a WHIP route's JSON errors under application/sdp, say.
func jsonErrors(doc *openapi3.T) {
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			for _, resp := range op.Responses.Map() {
				if resp.Value == nil {
					continue
				}
				for _, media := range resp.Value.Content {
					if media.Schema != nil && media.Schema.Ref == errorSchema {
						resp.Value.Content = openapi3.NewContentWithJSONSchemaRef(media.Schema)
						break
					}
				}
			}
		}
	}
}
