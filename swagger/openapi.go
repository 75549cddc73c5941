package swagger

import _ "embed"

// OpenAPI3 is the OpenAPI 3 document Vigil serves at /openapi.json:
// swagger.json converted by `make swagger` (see convert).
//
//go:embed openapi.json
var OpenAPI3 []byte
