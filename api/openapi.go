package api

import (
	"strings"

	"github.com/gofiber/fiber/v2"
	fiberSwagger "github.com/swaggo/fiber-swagger"

	"github.com/vigil-oss/vigil/swagger"
)

// The general API annotations below are what `make swagger` (swag init
// --generalInfo openapi.go) turns into the document's info and security
// schemes; every route's own annotations sit on its handler.

//	@title						Vigil
//	@version					1.0
//	@description				Home-security backend: accounts (Better Auth wire format), devices,
//	@description				commands, motion events, live streams, video storage and admin.
//	@description				Errors are {"code": "SNAKE_CASE", "message": "..."}. /admin takes HTTP
//	@description				Basic auth (adminBasic) with ADMIN_USERNAME and ADMIN_PASSWORD.
//	@license.name				see the repository
//	@BasePath					/
//
//	@securityDefinitions.apikey	sessionCookie
//	@in							cookie
//	@name						better-auth.session_token
//	@description				Better Auth's session cookie, TOKEN.SIGNATURE (__Secure- on https).
//
//	@securityDefinitions.apikey	sessionBearer
//	@in							header
//	@name						Authorization
//	@description				"Bearer <session token>", as Better Auth's bearer plugin sends it.
//
//	@securityDefinitions.apikey	deviceBearer
//	@in							header
//	@name						Authorization
//	@description				"Bearer vgd_..." with a device token (WHEP also takes a playback token).
//
//	@securityDefinitions.basic	adminBasic

// docsPrefix is where fiber-swagger serves Swagger UI's files. The UI
// loads them relative to its index.html, so the page must live under it.
const docsPrefix = "/docs/"

// mountDocs serves the OpenAPI 3 document and Swagger UI on it.
func (s *Server) mountDocs() {
	s.app.Get("/openapi.json", openAPIDocument)
	s.app.Get("/docs", docsIndex)
	// Relative to /docs/index.html, so the UI still finds the document
	// when a proxy serves Vigil under a path prefix.
	s.app.Get(docsPrefix+"*", flatDocsPath,
		fiberSwagger.FiberWrapHandler(fiberSwagger.URL("../openapi.json")))
}

// flatDocsPath refuses paths below a folder of /docs/. Swagger UI's files
// all sit directly in it, and fiber-swagger takes its prefix from the
// first request it sees: one for /docs/a/b would break the UI until
// restart.
func flatDocsPath(c *fiber.Ctx) error {
	if strings.Contains(c.Params("*"), "/") {
		return fiber.ErrNotFound
	}
	return c.Next()
}

// openAPIDocument answers the OpenAPI 3 document.
//
//	@Summary		OpenAPI 3 document of this API
//	@Description	Converted from swag's Swagger 2.0 output by `make swagger`; its only server is the
//	@Description	relative "/", so "Try it out" goes to whatever host and scheme served it.
//	@Tags			operations
//	@Produce		json
//	@Success		200	{object}	object
//	@Router			/openapi.json [get]
func openAPIDocument(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(swagger.OpenAPI3)
}

// docsIndex sends a browser to Swagger UI's page.
//
//	@Summary		Swagger UI
//	@Description	Redirects to /docs/index.html, Swagger UI on /openapi.json.
//	@Tags			operations
//	@Produce		html
//	@Success		302
//	@Header			302	{string}	Location	"docs/index.html"
//	@Router			/docs [get]
func docsIndex(c *fiber.Ctx) error {
	// Relative, like the document's URL, to survive a path prefix.
	return c.Redirect("docs/index.html", fiber.StatusFound)
}
