package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/vigil-oss/vigil/persistence"
)

// DeviceTokenPrefix starts every device token, so that one is never taken
// for a session token and secret scanners can find leaked ones.
const DeviceTokenPrefix = "vgd_"

// deviceTokenBytes of randomness make a token: 256 bits, unguessable.
const deviceTokenBytes = 32

// deviceTokenLength is the length of every token Vigil issues: the prefix
// and unpadded base64url of deviceTokenBytes.
var deviceTokenLength = len(DeviceTokenPrefix) + base64.RawURLEncoding.EncodedLen(deviceTokenBytes)

// newDeviceToken returns a fresh token and the hash that is stored.
func newDeviceToken() (token string, hash []byte) {
	b := make([]byte, deviceTokenBytes)
	rand.Read(b)
	token = DeviceTokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	return token, hashDeviceToken(token)
}

// hashDeviceToken is SHA-256: the token has full entropy, so a slow hash
// would add nothing but cost on every request.
func hashDeviceToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

var errBadDeviceToken = newError(fiber.StatusUnauthorized, "INVALID_DEVICE_TOKEN",
	"a valid device token is required: Authorization: Bearer "+DeviceTokenPrefix+"...")

// deviceLocal is the Locals key of the authenticated device. It is a
// string because the websocket upgrade copies only string-keyed locals.
const deviceLocal = "vigil.device"

// requireDevice lets a request through only with the bearer token of an
// active device.
func (s *Server) requireDevice(c *fiber.Ctx) error {
	return s.authenticateDevice(c, bearerOf(c))
}

// authenticateDevice looks the token up by its hash. Tokens without the
// prefix or of the wrong length are refused before touching Postgres.
func (s *Server) authenticateDevice(c *fiber.Ctx, token string) error {
	d, err := s.deviceByToken(c.UserContext(), token)
	if err != nil {
		return err
	}
	c.Locals(deviceLocal, d)
	return c.Next()
}

// deviceByToken returns the device whose token this is, or
// errBadDeviceToken.
func (s *Server) deviceByToken(ctx context.Context, token string) (persistence.Device, error) {
	if !strings.HasPrefix(token, DeviceTokenPrefix) || len(token) != deviceTokenLength {
		return persistence.Device{}, errBadDeviceToken
	}
	d, err := s.devices.DeviceByTokenHash(ctx, hashDeviceToken(token))
	if errors.Is(err, persistence.ErrNotFound) {
		return persistence.Device{}, errBadDeviceToken
	}
	return d, err
}

// bearerOf returns the token of an "Authorization: Bearer" header.
func bearerOf(c *fiber.Ctx) string {
	scheme, token, ok := strings.Cut(c.Get(fiber.HeaderAuthorization), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// deviceOf returns the device of a request that passed requireDevice.
func deviceOf(c *fiber.Ctx) persistence.Device {
	return c.Locals(deviceLocal).(persistence.Device)
}

// requireUserOrDevice lets a request through with a device token or a
// session; the prefix tells them apart. handlers ask deviceOrNil which.
func (s *Server) requireUserOrDevice(c *fiber.Ctx) error {
	if strings.HasPrefix(bearerOf(c), DeviceTokenPrefix) {
		return s.requireDevice(c)
	}
	return s.sessions.requireUser(c)
}

// deviceOrNil returns the device of a request that authenticated with a
// device token, or nil for a user's session.
func deviceOrNil(c *fiber.Ctx) *persistence.Device {
	if d, ok := c.Locals(deviceLocal).(persistence.Device); ok {
		return &d
	}
	return nil
}
