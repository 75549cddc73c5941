package api

import (
	"errors"
	"io/fs"
	"log/slog"
	"strings"
	"time"
	"unicode"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/vigil-oss/vigil/persistence"
	"github.com/vigil-oss/vigil/persistence/objectstore"
	"github.com/vigil-oss/vigil/public"
)

// adminPrefix holds the objects uploaded from the dashboard, apart from
// every user's prefix.
const adminPrefix = "admin/"

// admin serves the dashboard and its storage routes. The admin sees and
// may delete every object in the bucket.
type admin struct {
	log   *slog.Logger
	store ObjectStore
	meta  VideoStore
	page  []byte
}

func newAdmin(log *slog.Logger, store ObjectStore, meta VideoStore) (*admin, error) {
	page, err := fs.ReadFile(public.FS, "admin.html")
	if err != nil {
		return nil, err
	}
	return &admin{log: log, store: store, meta: meta, page: page}, nil
}

// dashboard serves the page. It is never cached and never framed: it acts
// with the admin's credentials.
//
//	@Summary	The admin dashboard page
//	@Tags	admin
//	@Produce	html
//	@Security	adminBasic
//	@Success	200 {string} string "HTML page"
//	@Failure	401 "no or wrong credentials (WWW-Authenticate: Basic)"
//	@Failure	404,429 {object} errorBody "the contract's error body"
//	@Router	/admin [get]
func (a *admin) dashboard(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderXFrameOptions, "DENY")
	c.Type("html", "utf-8")
	return c.Send(a.page)
}

type adminUploadRequest struct {
	FileName    string         `json:"fileName"`
	Prefix      string         `json:"prefix"`
	ContentType string         `json:"contentType"`
	ExpiresIn   *expirySeconds `json:"expiresIn"`
}

// uploadURL hands out a presigned PUT under admin/[prefix/]<id>/<name>.
// Dashboard uploads belong to no user or device, so they have no row in
// the videos table.
//
//	@Summary	A presigned PUT under admin/
//	@Tags	admin
//	@Accept	json
//	@Produce	json
//	@Security	adminBasic
//	@Param	body body adminUploadRequest true "what is uploaded"
//	@Success	200 {object} uploadURLResponse
//	@Failure	400,401,404,413,429,503 {object} errorBody "the contract's error body"
//	@Router	/admin/upload-url [post]
func (a *admin) uploadURL(c *fiber.Ctx) error {
	var req adminUploadRequest
	if err := parseBody(c, &req); err != nil {
		return err
	}
	name, err := cleanFileName(req.FileName)
	if err != nil {
		return err
	}
	prefix, err := cleanPrefix(req.Prefix)
	if err != nil {
		return err
	}
	contentType, err := cleanContentType(req.ContentType, name)
	if err != nil {
		return err
	}
	expiry, err := urlExpiry(req.ExpiresIn)
	if err != nil {
		return err
	}

	ctx := c.UserContext()
	if err := a.store.EnsureBucket(ctx); err != nil {
		return err
	}
	key := adminPrefix + prefix + uuid.NewString() + "/" + name
	expires := expiresAt(expiry)
	u, headers, err := a.store.PresignPut(ctx, key, contentType, expiry)
	if err != nil {
		return err
	}

	a.log.Info("admin upload url issued", "objectKey", key, "expiresAt", expires)
	return c.JSON(uploadURLResponse{UploadURL: u.String(), Method: fiber.MethodPut,
		Headers: flatHeaders(headers), ObjectKey: key, ExpiresAt: expires})
}

// adminObjectJSON is one object of the bucket with a download URL, so the
// dashboard can offer a link without another round trip. DownloadURL is
// null for a key storage cannot address (over 1024 bytes, let in by an
// older Vigil): such an object can still be deleted.
type adminObjectJSON struct {
	ObjectKey    string    `json:"objectKey"`
	Size         int64     `json:"size"`
	LastModified time.Time `json:"lastModified" format:"date-time"`
	DownloadURL  *string   `json:"downloadUrl"`
}

type adminListResponse struct {
	Objects   []adminObjectJSON `json:"objects"`
	Truncated bool              `json:"truncated"`
	ExpiresAt time.Time         `json:"expiresAt" format:"date-time"`
}

// objects lists the bucket, or the part under ?prefix=.
//
//	@Summary	List the bucket, with download URLs
//	@Tags	admin
//	@Produce	json
//	@Security	adminBasic
//	@Param	prefix query string false "only keys under it"
//	@Success	200 {object} adminListResponse
//	@Failure	400,401,404,429,503 {object} errorBody "the contract's error body"
//	@Router	/admin/objects [get]
func (a *admin) objects(c *fiber.Ctx) error {
	prefix := c.Query("prefix")
	if err := checkListPrefix(prefix); err != nil {
		return err
	}

	ctx := c.UserContext()
	objects, truncated, err := a.store.List(ctx, prefix, listLimit)
	if errors.Is(err, objectstore.ErrInvalidKey) {
		return badRequest("INVALID_PREFIX", "storage refused prefix as a key prefix")
	}
	if err != nil {
		return err
	}
	expires := expiresAt(defaultURLExpiry)
	out := adminListResponse{Objects: make([]adminObjectJSON, 0, len(objects)),
		Truncated: truncated, ExpiresAt: expires}
	for _, o := range objects {
		obj := adminObjectJSON{ObjectKey: o.Key, Size: o.Size, LastModified: o.LastModified.UTC()}
		u, err := a.store.PresignGet(ctx, o.Key, defaultURLExpiry)
		if err != nil {
			a.log.Warn("object listed without a download link", "objectKey", o.Key, "err", err)
		} else {
			link := u.String()
			obj.DownloadURL = &link
		}
		out.Objects = append(out.Objects, obj)
	}
	return c.JSON(out)
}

// checkListPrefix refuses list prefixes no key of Vigil's could start
// with; "." and ".." segments are refused in case a file-system backed
// server resolves them.
func checkListPrefix(prefix string) error {
	if len(prefix) > maxObjectKeyBytes || strings.IndexFunc(prefix, unicode.IsControl) >= 0 {
		return badRequest("INVALID_PREFIX", "prefix is not a valid key prefix")
	}
	for _, seg := range strings.Split(prefix, "/") {
		if seg == "." || seg == ".." {
			return badRequest("INVALID_PREFIX", "prefix may not contain . or .. segments")
		}
	}
	return nil
}

// remove deletes any object of the bucket, and marks its video deleted if
// it has one (see videos.remove).
//
//	@Summary	Delete any object
//	@Tags	admin
//	@Produce	json
//	@Security	adminBasic
//	@Param	objectKey query string true "the object's key"
//	@Success	200 {object} object{objectKey=string,deleted=bool}
//	@Failure	400,401,404,429,503 {object} errorBody "the contract's error body"
//	@Router	/admin/object [delete]
func (a *admin) remove(c *fiber.Ctx) error {
	key := c.Query("objectKey")
	if err := checkKeyShape(key); err != nil {
		return err
	}

	ctx := c.UserContext()
	_, err := a.store.Stat(ctx, key)
	if errors.Is(err, persistence.ErrNotFound) {
		return newError(fiber.StatusNotFound, "OBJECT_NOT_FOUND", "no such object")
	}
	if err != nil {
		return err
	}
	if err := a.store.Remove(ctx, key); err != nil {
		return err
	}
	if _, err := a.meta.MarkDeleted(ctx, a.store.Bucket(), key); err != nil {
		return err
	}

	a.log.Info("admin deleted object", "objectKey", key)
	return c.JSON(fiber.Map{"objectKey": key, "deleted": true})
}
