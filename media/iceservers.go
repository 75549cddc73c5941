package media

import (
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // the TURN REST format fixes HMAC-SHA1
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/pion/webrtc/v4"
)

// DefaultTURNTTL is how long TURN REST credentials last when TURN_TTL is
// unset. A TURN server checks the expiry on every refresh of an
// allocation, so it must outlast a long viewing session, not only the
// connection set-up.
const DefaultTURNTTL = 6 * time.Hour

// TURNConfig is what devices are told about TURN (TURN_URLS,
// TURN_USERNAME, TURN_CREDENTIAL) and, with Secret set (TURN_SECRET), how
// short-lived credentials are made (TURN_TTL).
type TURNConfig struct {
	URLs       []string
	Username   string
	Credential string
	// Secret is the shared secret of the TURN REST API; it takes the place
	// of Username and Credential.
	Secret string
	// TTL is how long REST credentials last; zero means DefaultTURNTTL.
	TTL time.Duration
}

// ICEServers returns the iceServers handed to a device, and when their
// credentials expire (zero for static ones). With a secret, the username
// and credential follow the TURN REST format (draft-uberti-behave-turn-rest):
// username "expiry:userID", credential base64(HMAC-SHA1(secret, username)).
// STUN URLs get no credentials. No URLs gives no servers.
func ICEServers(cfg TURNConfig, userID string, now time.Time) ([]webrtc.ICEServer, time.Time) {
	if len(cfg.URLs) == 0 {
		return nil, time.Time{}
	}
	username, credential, expires := cfg.Username, cfg.Credential, time.Time{}
	if cfg.Secret != "" {
		ttl := cfg.TTL
		if ttl <= 0 {
			ttl = DefaultTURNTTL
		}
		expires = now.Add(ttl).Truncate(time.Second)
		username, credential = TURNRESTCredential(cfg.Secret, userID, expires)
	}
	var stun, turn []string
	for _, u := range cfg.URLs {
		if strings.HasPrefix(u, "turn:") || strings.HasPrefix(u, "turns:") {
			turn = append(turn, u)
		} else {
			stun = append(stun, u)
		}
	}
	var out []webrtc.ICEServer
	if len(stun) > 0 {
		out = append(out, webrtc.ICEServer{URLs: stun})
	}
	if len(turn) > 0 {
		out = append(out, webrtc.ICEServer{URLs: turn, Username: username, Credential: credential})
	}
	return out, expires
}

// TURNRESTCredential makes a TURN REST username and credential valid
// until expires for userID (which must not contain ':').
func TURNRESTCredential(secret, userID string, expires time.Time) (username, credential string) {
	username = strconv.FormatInt(expires.Unix(), 10)
	if userID != "" {
		username += ":" + userID
	}
	return username, restCredential(secret, username)
}

// restCredential is base64(HMAC-SHA1(secret, username)).
func restCredential(secret, username string) string {
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(username))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// restUsernameExpiry reads the expiry of a TURN REST username.
func restUsernameExpiry(username string) (time.Time, bool) {
	ts, _, _ := strings.Cut(username, ":")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(sec, 0), true
}
