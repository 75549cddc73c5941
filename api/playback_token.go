package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/persistence"
)

// PlaybackTokenTTL is how long a playback token lets a WHEP player start
// watching: long enough to hand it to a player, short enough that a
// leaked one is soon worthless. A session already playing is not cut off.
const PlaybackTokenTTL = 5 * time.Minute

// playbackKeyLabel separates the playback token key from every other use
// of BETTER_AUTH_SECRET (session cookies sign with the secret itself).
const playbackKeyLabel = "vigil playback token v1"

// playbackKey derives the key that signs playback tokens.
func playbackKey(secret string) []byte {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(playbackKeyLabel))
	return mac.Sum(nil)
}

// signPlaybackToken makes a token that lets device play stream until
// expires: base64url("streamID|deviceID|unix expiry") "." base64url of
// its HMAC-SHA256.
func signPlaybackToken(key []byte, stream persistence.StreamID, device persistence.DeviceID,
	expires time.Time) string {
	claims := string(stream) + "|" + string(device) + "|" + strconv.FormatInt(expires.Unix(), 10)
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(claims)) + "." + enc.EncodeToString(playbackMAC(key, claims))
}

func playbackMAC(key []byte, claims string) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(claims))
	return mac.Sum(nil)
}

// verifyPlaybackToken returns the device a token was issued to, when the
// token is genuine, unexpired at now and made for stream.
func verifyPlaybackToken(key []byte, token string, stream persistence.StreamID,
	now time.Time) (persistence.DeviceID, bool) {
	claimsPart, macPart, ok := strings.Cut(token, ".")
	if !ok {
		return "", false
	}
	enc := base64.RawURLEncoding
	claims, err1 := enc.DecodeString(claimsPart)
	mac, err2 := enc.DecodeString(macPart)
	if err1 != nil || err2 != nil || !hmac.Equal(mac, playbackMAC(key, string(claims))) {
		return "", false
	}
	parts := strings.Split(string(claims), "|")
	if len(parts) != 3 || persistence.StreamID(parts[0]) != stream {
		return "", false
	}
	exp, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || !now.Before(time.Unix(exp, 0)) {
		return "", false
	}
	return persistence.DeviceID(parts[1]), true
}
