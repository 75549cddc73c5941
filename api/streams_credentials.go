package api

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/vigil-oss/vigil/actors"
	"github.com/vigil-oss/vigil/media"
	"github.com/vigil-oss/vigil/persistence"
)

// iceServerJSON is one entry of iceServers, as RTCPeerConnection takes it.
type iceServerJSON struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

// playbackTokenJSON is a token a WHEP player sends as its bearer.
type playbackTokenJSON struct {
	PlaybackToken   string               `json:"playbackToken"`
	ExpiresAt       time.Time            `json:"expiresAt" format:"date-time"`
	StreamSessionID persistence.StreamID `json:"streamSessionId"`
	WHEPURL         string               `json:"whepUrl"`
}

// credentialsJSON tells a device how to connect its media. Which URLs are
// set depends on the role and the media mode: none in legacy mode, where
// the websocket carries webrtc:* signaling.
type credentialsJSON struct {
	StreamSessionID persistence.StreamID `json:"streamSessionId"`
	Role            string               `json:"role"`
	MediaMode       string               `json:"mediaMode"`
	MediaProvider   string               `json:"mediaProvider"`
	IceServers      []iceServerJSON      `json:"iceServers"`
	ExpiresAt       time.Time            `json:"expiresAt" format:"date-time"`

	PublishURL      string `json:"publishUrl,omitempty"`
	WHIPURL         string `json:"whipUrl,omitempty"`
	SubscribeURL    string `json:"subscribeUrl,omitempty"`
	WHEPURL         string `json:"whepUrl,omitempty"`
	ICECandidateURL string `json:"iceCandidateUrl,omitempty"`
	// Signaling says where SDP goes: "http" (the URLs above) or
	// "websocket" (legacy webrtc:* events).
	Signaling string `json:"signaling"`

	PlaybackToken          string     `json:"playbackToken,omitempty"`
	PlaybackTokenExpiresAt *time.Time `json:"playbackTokenExpiresAt,omitempty" format:"date-time"`
}

// credentials builds what every role gets: iceServers (TURN REST
// credentials bound to the device when a TURN secret is set) and expiry.
func (s *Server) credentials(st persistence.Stream, d persistence.Device, role string) credentialsJSON {
	now := s.now().UTC()
	servers, expires := media.ICEServers(s.media.TURN, string(d.ID), now)
	if expires.IsZero() {
		expires = now.Add(s.media.TURN.TTL).Truncate(time.Second)
	}
	out := credentialsJSON{StreamSessionID: st.ID, Role: role, MediaMode: st.MediaMode,
		MediaProvider: s.media.Provider, IceServers: []iceServerJSON{}, ExpiresAt: expires,
		Signaling: "websocket"}
	for _, sv := range servers {
		cred, _ := sv.Credential.(string)
		out.IceServers = append(out.IceServers,
			iceServerJSON{URLs: sv.URLs, Username: sv.Username, Credential: cred})
	}
	if s.mediaPlaneError() == nil && st.MediaMode == MediaModeSFU {
		out.Signaling = "http"
		out.ICECandidateURL = s.streamURL(st.ID, "/sfu/ice-candidate")
	}
	return out
}

// streamURL is the absolute URL of one of a stream's routes.
func (s *Server) streamURL(id persistence.StreamID, suffix string) string {
	return s.baseURL + "/streams/" + string(id) + suffix
}

// publishCredentials answers the camera how to publish.
//
//	@Summary	What the camera needs to publish
//	@Tags	streams
//	@Produce	json
//	@Security	deviceBearer
//	@Param	streamSessionId path string true "stream session id" format(uuid)
//	@Success	200 {object} credentialsJSON
//	@Failure	400,401,403,404,409 {object} errorBody "the contract's error body"
//	@Router	/streams/{streamSessionId}/publish-credentials [get]
func (s *Server) publishCredentials(c *fiber.Ctx) error {
	st, err := s.streamFor(c, asCamera)
	if err != nil {
		return err
	}
	if st.Status == persistence.StreamEnded {
		return streamRefusalError(&actors.StreamRefused{Reason: actors.StreamWrongState, Status: st.Status})
	}

	out := s.credentials(st, deviceOf(c), "publisher")
	if out.Signaling == "http" {
		out.PublishURL = s.streamURL(st.ID, "/sfu/publish-transport")
		out.WHIPURL = s.baseURL + "/whip/streams/" + string(st.ID)
	}
	return c.JSON(out)
}

// subscribeCredentials answers a linked client how to watch, with a
// playback token for a WHEP player. The client joins the stream: it is
// told when it starts and ends.
//
//	@Summary	What a linked client needs to watch
//	@Description	Also joins the device to the session's events.
//	@Tags	streams
//	@Produce	json
//	@Security	deviceBearer
//	@Param	streamSessionId path string true "stream session id" format(uuid)
//	@Success	200 {object} credentialsJSON
//	@Failure	400,401,403,404,409 {object} errorBody "the contract's error body"
//	@Router	/streams/{streamSessionId}/subscribe-credentials [get]
func (s *Server) subscribeCredentials(c *fiber.Ctx) error {
	st, err := s.streamFor(c, asViewer)
	if err != nil {
		return err
	}
	d := deviceOf(c)
	if _, err := s.askStream(st.ID, &actors.JoinStream{DeviceID: d.ID}, s.actorTimeout); err != nil {
		return err
	}

	out := s.credentials(st, d, "subscriber")
	if out.Signaling == "http" {
		out.SubscribeURL = s.streamURL(st.ID, "/sfu/subscribe-transport")
		out.WHEPURL = s.baseURL + "/whep/streams/" + string(st.ID)
	}
	token, expires := s.issuePlaybackToken(st.ID, d.ID)
	out.PlaybackToken, out.PlaybackTokenExpiresAt = token, &expires
	return c.JSON(out)
}

// playbackToken answers a linked client a fresh playback token.
//
//	@Summary	A fresh WHEP playback token (5 minutes)
//	@Tags	streams
//	@Produce	json
//	@Security	deviceBearer
//	@Param	streamSessionId path string true "stream session id" format(uuid)
//	@Success	200 {object} playbackTokenJSON
//	@Failure	400,401,403,404,409 {object} errorBody "the contract's error body"
//	@Router	/streams/{streamSessionId}/playback-token [get]
func (s *Server) playbackToken(c *fiber.Ctx) error {
	st, err := s.streamFor(c, asViewer)
	if err != nil {
		return err
	}
	if st.Status == persistence.StreamEnded {
		return streamRefusalError(&actors.StreamRefused{Reason: actors.StreamWrongState, Status: st.Status})
	}
	token, expires := s.issuePlaybackToken(st.ID, deviceOf(c).ID)
	return c.JSON(playbackTokenJSON{PlaybackToken: token, ExpiresAt: expires,
		StreamSessionID: st.ID, WHEPURL: s.baseURL + "/whep/streams/" + string(st.ID)})
}

func (s *Server) issuePlaybackToken(id persistence.StreamID, d persistence.DeviceID) (string, time.Time) {
	expires := s.now().UTC().Add(PlaybackTokenTTL).Truncate(time.Second)
	return signPlaybackToken(s.playbackKey, id, d, expires), expires
}
