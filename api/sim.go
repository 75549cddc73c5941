package api

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/vigil-oss/vigil/public"
)

// simPage is the simulator's entry point, under /sim/.
const simPage = "mobile-sim.html"

// simTypes are the content types of the simulator's files, by extension.
// A file of another kind in public/sim stops New: it would be served
// without a type a browser trusts.
var simTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".svg":  "image/svg+xml",
	".png":  "image/png",
}

// simCSP lets the page run only its own scripts and styles. Storage (the
// presigned upload and download URLs) may live on any host, so requests
// and media may go anywhere over http(s) and websockets.
const simCSP = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data: blob:; media-src 'self' blob: http: https:; " +
	"connect-src 'self' http: https: ws: wss:; object-src 'none'; base-uri 'none'; " +
	"form-action 'none'; frame-ancestors 'none'"

// staticFile is one embedded file, ready to send.
type staticFile struct {
	body        []byte
	contentType string
	etag        string
}

// loadSimFiles reads public/sim once, at start-up, with each file's type
// and a strong ETag of its content.
func loadSimFiles() (map[string]staticFile, error) {
	entries, err := fs.ReadDir(public.FS, "sim")
	if err != nil {
		return nil, fmt.Errorf("read simulator files: %w", err)
	}
	files := make(map[string]staticFile, len(entries))
	for _, e := range entries {
		if e.IsDir() {
			return nil, fmt.Errorf("simulator file %q: folders are not served", e.Name())
		}
		typ, ok := simTypes[path.Ext(e.Name())]
		if !ok {
			return nil, fmt.Errorf("simulator file %q: no content type for its extension", e.Name())
		}
		body, err := fs.ReadFile(public.FS, "sim/"+e.Name())
		if err != nil {
			return nil, fmt.Errorf("read simulator file %q: %w", e.Name(), err)
		}
		sum := sha256.Sum256(body)
		files[e.Name()] = staticFile{body: body, contentType: typ,
			etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`}
	}
	if _, ok := files[simPage]; !ok {
		return nil, fmt.Errorf("simulator page %q is missing", simPage)
	}
	return files, nil
}

// mountSim serves the mobile simulator without authentication: the page
// signs in through the account routes like any app.
func (s *Server) mountSim() error {
	files, err := loadSimFiles()
	if err != nil {
		return err
	}
	s.app.Get("/sim", simIndex)
	s.app.Get("/sim/:file", simFile(files))
	return nil
}

// simIndex sends a browser to the simulator's page.
//
//	@Summary		The browser mobile simulator
//	@Description	Redirects to /sim/mobile-sim.html.
//	@Tags			simulator
//	@Produce		html
//	@Success		302
//	@Header			302	{string}	Location	"sim/mobile-sim.html"
//	@Router			/sim [get]
func simIndex(c *fiber.Ctx) error {
	// Relative, so that it survives a proxy's path prefix; "/sim/" also
	// reaches this route (routing is not strict) and is one level deeper.
	if strings.HasSuffix(c.Path(), "/") {
		return c.Redirect(simPage, fiber.StatusFound)
	}
	return c.Redirect("sim/"+simPage, fiber.StatusFound)
}

// simFile answers one of the simulator's files. The names carry no
// content hash, so browsers revalidate every time (no-cache) and get 304
// while the ETag matches: a new binary is seen at once.
//
//	@Summary		A file of the browser mobile simulator
//	@Description	mobile-sim.html is the page; the others are its styles and JavaScript modules.
//	@Description	Served without authentication, Cache-Control no-cache with a strong ETag.
//	@Tags			simulator
//	@Produce		html
//	@Param			file	path	string	true	"file name, e.g. mobile-sim.html"
//	@Success		200	{string}	string	"the file"
//	@Success		304	"unchanged since the ETag in If-None-Match"
//	@Failure		404	{object}	errorBody	"the contract's error body"
//	@Router			/sim/{file} [get]
func simFile(files map[string]staticFile) fiber.Handler {
	return func(c *fiber.Ctx) error {
		f, ok := files[c.Params("file")]
		if !ok {
			return newError(fiber.StatusNotFound, "NOT_FOUND", "no such simulator file")
		}

		c.Set(fiber.HeaderCacheControl, "no-cache")
		c.Set(fiber.HeaderETag, f.etag)
		c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
		if f.contentType == simTypes[".html"] {
			c.Set(fiber.HeaderContentSecurityPolicy, simCSP)
		}
		if etagMatches(c.Get(fiber.HeaderIfNoneMatch), f.etag) {
			return c.SendStatus(fiber.StatusNotModified)
		}
		c.Set(fiber.HeaderContentType, f.contentType)
		return c.Send(f.body)
	}
}

// etagMatches applies If-None-Match (RFC 9110, 13.1.2): a list of
// entity tags or "*", compared weakly.
func etagMatches(header, etag string) bool {
	for _, tag := range strings.Split(header, ",") {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		if tag == "*" || tag == etag {
			return true
		}
	}
	return false
}
