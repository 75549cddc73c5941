package api

import (
	"errors"
	"mime"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/vigil-oss/vigil/actors"
	"github.com/vigil-oss/vigil/persistence"
)

// Content types of WHIP (RFC 9725) and WHEP: SDP bodies, and trickled
// candidates as SDP fragments (RFC 8840).
const (
	contentTypeSDP     = "application/sdp"
	contentTypeSDPFrag = "application/trickle-ice-sdpfrag"
)

var errBadPlaybackToken = newError(fiber.StatusUnauthorized, "INVALID_PLAYBACK_TOKEN",
	"Authorization: Bearer needs a playback token for this stream that has not expired, "+
		"or the device token of a linked client")

// mountWHIP serves the standard ingest and egress protocols for the same
// streams: a camera (or OBS, GStreamer) publishes with its device token;
// a player plays with a playback token or a linked client's device token.
func (s *Server) mountWHIP() {
	plane, dev := s.requireMediaPlane, s.requireDevice
	s.app.Post("/whip/streams/:streamSessionId", plane, dev, s.whipPublish)
	s.app.Patch("/whip/streams/:streamSessionId/publisher", plane, dev, s.whipPatch)
	s.app.Delete("/whip/streams/:streamSessionId/publisher", plane, dev, s.whipDelete)
	s.app.Post("/whep/streams/:streamSessionId", plane, s.whepPlay)
	s.app.Patch("/whep/streams/:streamSessionId/viewers/:viewerId", plane, s.whepPatch)
	s.app.Delete("/whep/streams/:streamSessionId/viewers/:viewerId", plane, s.whepDelete)
}

// sdpBody returns the request's body when its content type is want.
func sdpBody(c *fiber.Ctx, want string) (string, error) {
	mt, _, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if err != nil || mt != want {
		return "", newError(fiber.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE",
			"the body must be "+want)
	}
	body := string(c.Body())
	if strings.TrimSpace(body) == "" && want == contentTypeSDP {
		return "", badRequest("INVALID_SDP", "the body must be an SDP offer")
	}
	return body, nil
}

// answerSDP sends a 201 with the SDP answer and the resource's URL.
func answerSDP(c *fiber.Ctx, location, sdp string) error {
	c.Set(fiber.HeaderLocation, location)
	c.Set(fiber.HeaderContentType, contentTypeSDP)
	return c.Status(fiber.StatusCreated).SendString(sdp)
}

// whipPublish serves POST /whip/streams/{streamSessionId}.
//
//	@Summary	WHIP: publish the camera's media
//	@Tags	whip
//	@Accept	application/sdp
//	@Produce	application/sdp
//	@Security	deviceBearer
//	@Param	streamSessionId path string true "stream session id" format(uuid)
//	@Param	offer body string true "SDP offer"
//	@Success	201 {string} string "SDP answer"
//	@Header	201 {string} Location "the publisher resource"
//	@Failure	400,401,403,404,409,415,429,501,503 {object} errorBody "the contract's error body"
//	@Router	/whip/streams/{streamSessionId} [post]
func (s *Server) whipPublish(c *fiber.Ctx) error {
	sdp, err := sdpBody(c, contentTypeSDP)
	if err != nil {
		return err
	}

	st, err := s.streamFor(c, asCamera)
	if err != nil {
		return err
	}
	res, err := s.askStream(st.ID, &actors.PublishOffer{DeviceID: deviceOf(c).ID, SDP: sdp},
		transportTimeout)
	if err != nil {
		return withRetryAfter(c, err)
	}
	return answerSDP(c, "/whip/streams/"+string(st.ID)+"/publisher", res.(*actors.SDPAnswer).SDP)
}

// whipPatch serves PATCH /whip/streams/{streamSessionId}/publisher.
//
//	@Summary	WHIP: trickle the camera's ICE candidates, or restart ICE
//	@Description	New a=ice-ufrag and a=ice-pwd in the fragment restart ICE on the
//	@Description	existing transport (RFC 9725 §4.4.1.2): the answer is 200 with the
//	@Description	server's new credentials and candidates as an SDP fragment.
//	@Tags	whip
//	@Accept	application/trickle-ice-sdpfrag
//	@Produce	application/trickle-ice-sdpfrag
//	@Security	deviceBearer
//	@Param	streamSessionId path string true "stream session id" format(uuid)
//	@Param	candidates body string true "SDP fragment with a=candidate lines"
//	@Success	200 {string} string "ICE restarted: the server's SDP fragment"
//	@Success	204
//	@Failure	400,401,403,404,409,415,501,503 {object} errorBody "the contract's error body"
//	@Router	/whip/streams/{streamSessionId}/publisher [patch]
func (s *Server) whipPatch(c *fiber.Ctx) error {
	frag, err := sdpBody(c, contentTypeSDPFrag)
	if err != nil {
		return err
	}

	st, err := s.streamFor(c, asCamera)
	if err != nil {
		return err
	}
	return s.trickle(c, st.ID, frag, actors.AddCandidate{DeviceID: deviceOf(c).ID, Publisher: true})
}

// whipDelete ends the camera's session: a stream has one publisher for
// its life.
//
//	@Summary	WHIP: stop publishing, which ends the session
//	@Tags	whip
//	@Produce	json
//	@Security	deviceBearer
//	@Param	streamSessionId path string true "stream session id" format(uuid)
//	@Success	200
//	@Failure	400,401,403,404,501,503 {object} errorBody "the contract's error body"
//	@Router	/whip/streams/{streamSessionId}/publisher [delete]
func (s *Server) whipDelete(c *fiber.Ctx) error {
	st, err := s.streamFor(c, asCamera)
	if err != nil {
		return err
	}
	_, err = s.askStream(st.ID, &actors.LeaveStream{DeviceID: deviceOf(c).ID, Publisher: true},
		s.actorTimeout)
	if err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusOK)
}

// whepPlay serves POST /whep/streams/{streamSessionId}.
//
//	@Summary	WHEP: play a stream
//	@Description	Authorization: Bearer with a playback token for this stream,
//	@Description	or with a linked client's device token.
//	@Tags	whip
//	@Accept	application/sdp
//	@Produce	application/sdp
//	@Security	deviceBearer
//	@Param	streamSessionId path string true "stream session id" format(uuid)
//	@Param	offer body string true "SDP offer"
//	@Success	201 {string} string "SDP answer"
//	@Header	201 {string} Location "the viewer resource"
//	@Failure	400,401,403,404,409,415,501,503 {object} errorBody "the contract's error body"
//	@Router	/whep/streams/{streamSessionId} [post]
func (s *Server) whepPlay(c *fiber.Ctx) error {
	sdp, err := sdpBody(c, contentTypeSDP)
	if err != nil {
		return err
	}

	st, viewer, err := s.whepViewer(c)
	if err != nil {
		return err
	}
	res, err := s.askStream(st.ID, &actors.SubscribeOffer{DeviceID: viewer, Via: actors.ViaWHEP,
		SDP: sdp}, transportTimeout)
	if err != nil {
		return err
	}
	ans := res.(*actors.SDPAnswer)
	return answerSDP(c, "/whep/streams/"+string(st.ID)+"/viewers/"+ans.ViewerID, ans.SDP)
}

// whepPatch serves PATCH /whep/streams/{streamSessionId}/viewers/{viewerId}.
//
//	@Summary	WHEP: trickle the viewer's ICE candidates, or restart ICE
//	@Description	New a=ice-ufrag and a=ice-pwd in the fragment restart ICE on the
//	@Description	existing transport: the answer is 200 with the server's new
//	@Description	credentials and candidates as an SDP fragment.
//	@Tags	whip
//	@Accept	application/trickle-ice-sdpfrag
//	@Produce	application/trickle-ice-sdpfrag
//	@Security	deviceBearer
//	@Param	streamSessionId path string true "stream session id" format(uuid)
//	@Param	viewerId path string true "viewer id from the Location"
//	@Param	candidates body string true "SDP fragment with a=candidate lines"
//	@Success	200 {string} string "ICE restarted: the server's SDP fragment"
//	@Success	204
//	@Failure	400,401,403,404,409,415,501,503 {object} errorBody "the contract's error body"
//	@Router	/whep/streams/{streamSessionId}/viewers/{viewerId} [patch]
func (s *Server) whepPatch(c *fiber.Ctx) error {
	frag, err := sdpBody(c, contentTypeSDPFrag)
	if err != nil {
		return err
	}

	st, viewer, err := s.whepViewer(c)
	if err != nil {
		return err
	}
	return s.trickle(c, st.ID, frag, actors.AddCandidate{DeviceID: viewer, Via: actors.ViaWHEP,
		ViewerID: c.Params("viewerId")})
}

// whepDelete serves DELETE /whep/streams/{streamSessionId}/viewers/{viewerId}.
//
//	@Summary	WHEP: stop playing
//	@Tags	whip
//	@Produce	json
//	@Security	deviceBearer
//	@Param	streamSessionId path string true "stream session id" format(uuid)
//	@Param	viewerId path string true "viewer id from the Location"
//	@Success	200
//	@Failure	400,401,403,404,501,503 {object} errorBody "the contract's error body"
//	@Router	/whep/streams/{streamSessionId}/viewers/{viewerId} [delete]
func (s *Server) whepDelete(c *fiber.Ctx) error {
	st, viewer, err := s.whepViewer(c)
	if err != nil {
		return err
	}
	_, err = s.askStream(st.ID, &actors.LeaveStream{DeviceID: viewer, Via: actors.ViaWHEP,
		ViewerID: c.Params("viewerId")}, s.actorTimeout)
	if err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusOK)
}

// whepViewer authenticates a WHEP request: a playback token made for this
// stream, or the device token of a client linked to its camera. It
// returns the stream and the device that watches.
func (s *Server) whepViewer(c *fiber.Ctx) (persistence.Stream, persistence.DeviceID, error) {
	id, err := streamIDOf(c)
	if err != nil {
		return persistence.Stream{}, "", err
	}
	ctx := c.UserContext()
	token := bearerOf(c)
	var viewer persistence.Device
	var tokenDevice persistence.DeviceID
	if strings.HasPrefix(token, DeviceTokenPrefix) {
		if viewer, err = s.deviceByToken(ctx, token); err != nil {
			return persistence.Stream{}, "", err
		}
	} else {
		d, ok := verifyPlaybackToken(s.playbackKey, token, id, s.now())
		if !ok {
			return persistence.Stream{}, "", errBadPlaybackToken
		}
		tokenDevice = d
	}
	st, err := s.streams.StreamByID(ctx, id)
	if errors.Is(err, persistence.ErrNotFound) {
		return st, "", errStreamNotFound
	}
	if err != nil {
		return st, "", err
	}
	if tokenDevice != "" {
		// A playback token names a device; it holds only while that device
		// is active and still linked, like the device's own token would.
		viewer, err = s.devices.UserDevice(ctx, st.UserID, tokenDevice)
		switch {
		case errors.Is(err, persistence.ErrNotFound):
			return st, "", errBadPlaybackToken
		case err != nil:
			return st, "", err
		case viewer.Status != persistence.StatusActive:
			return st, "", errBadPlaybackToken
		}
	}
	if err := s.mayUse(ctx, st, viewer, asViewer); err != nil {
		return st, "", err
	}
	return st, viewer.ID, nil
}

// trickle applies a PATCH's SDP fragment: new ICE credentials first
// restart ICE on the transport (answered 200 with the server's own
// fragment), then each candidate is applied (204 when nothing restarted).
func (s *Server) trickle(c *fiber.Ctx, id persistence.StreamID, body string,
	base actors.AddCandidate) error {
	frag, err := parseSDPFrag(body)
	if err != nil {
		return err
	}
	restarted := ""
	if frag.ufrag != "" {
		res, err := s.askStream(id, &actors.RestartICE{DeviceID: base.DeviceID, Publisher: base.Publisher,
			ViewerID: base.ViewerID, Ufrag: frag.ufrag, Pwd: frag.pwd}, transportTimeout)
		if err != nil {
			return err
		}
		restarted = res.(*actors.SDPAnswer).SDP
	}
	for _, cand := range frag.candidates {
		msg := base
		msg.Candidate, msg.SDPMid, msg.SDPMLineIndex = cand.candidate, cand.mid, cand.mline
		if _, err := s.askStream(id, &msg, s.actorTimeout); err != nil {
			return err
		}
	}
	if restarted == "" {
		return c.SendStatus(fiber.StatusNoContent)
	}
	c.Set(fiber.HeaderContentType, contentTypeSDPFrag)
	return c.Status(fiber.StatusOK).SendString(restartFragment(restarted))
}

// restartFragment is the server's side of an ICE restart as an RFC 8840
// fragment: its new credentials, then the first media section's mid and
// candidates (the media is bundled on one transport).
func restartFragment(answer string) string {
	var b strings.Builder
	lines := strings.Split(answer, "\r\n")
	for _, l := range lines {
		if strings.HasPrefix(l, "a=ice-ufrag:") || strings.HasPrefix(l, "a=ice-pwd:") {
			b.WriteString(l + "\r\n")
		}
		if b.Len() > 0 && strings.HasPrefix(l, "a=ice-pwd:") {
			break
		}
	}
	section := 0
	for _, l := range lines {
		if strings.HasPrefix(l, "m=") {
			section++
		}
		if section == 1 && (strings.HasPrefix(l, "m=") || strings.HasPrefix(l, "a=mid:") ||
			strings.HasPrefix(l, "a=candidate:")) {
			b.WriteString(l + "\r\n")
		}
	}
	b.WriteString("a=end-of-candidates\r\n")
	return b.String()
}

// sdpFrag is what a trickle-ice-sdpfrag body carries: candidates and,
// when it restarts ICE, the client's new credentials.
type sdpFrag struct {
	ufrag, pwd string
	candidates []fragCandidate
}

// fragCandidate is one candidate of a trickle-ice-sdpfrag body.
type fragCandidate struct {
	candidate string
	mid       string
	mline     int
}

// maxFragCandidates bounds the candidates of one PATCH.
const maxFragCandidates = 32

// parseSDPFrag reads the candidates of an RFC 8840 SDP fragment, each
// with the a=mid of its media section (and its index, when the fragment
// has m= lines), and its ICE credentials, which must come as a pair.
func parseSDPFrag(body string) (sdpFrag, error) {
	var f sdpFrag
	mid, mline := "", -1
	for _, line := range strings.Split(body, "\n") {
		line = strings.TrimRight(line, "\r")
		switch {
		case line == "":
		case len(line) < 2 || line[1] != '=':
			// RFC 8840 fragments are SDP lines, "<letter>=<value>".
			return f, badRequest("INVALID_SDP_FRAG", "the body must be SDP lines (RFC 8840)")
		case strings.HasPrefix(line, "m="):
			mline++
			mid = ""
		case strings.HasPrefix(line, "a=mid:"):
			mid = strings.TrimPrefix(line, "a=mid:")
		case strings.HasPrefix(line, "a=ice-ufrag:"):
			f.ufrag = strings.TrimPrefix(line, "a=ice-ufrag:")
		case strings.HasPrefix(line, "a=ice-pwd:"):
			f.pwd = strings.TrimPrefix(line, "a=ice-pwd:")
		case strings.HasPrefix(line, "a=candidate:"):
			if len(line) > maxCandidateBytes || len(f.candidates) == maxFragCandidates {
				return f, badRequest("INVALID_CANDIDATE",
					"at most 32 candidates of at most 1024 bytes each")
			}
			f.candidates = append(f.candidates, fragCandidate{candidate: strings.TrimPrefix(line, "a="),
				mid: mid, mline: mline})
		}
	}
	if (f.ufrag != "" || f.pwd != "") && (!iceChars(f.ufrag, 4) || !iceChars(f.pwd, 22)) {
		return f, badRequest("INVALID_SDP_FRAG",
			"a=ice-ufrag (4 to 256 characters) and a=ice-pwd (22 to 256) come together (RFC 8839 §5.4)")
	}
	return f, nil
}

// iceChars reports whether s is least to 256 ice-chars: letters, digits,
// "+" and "/" (RFC 8839 §5.4).
func iceChars(s string, least int) bool {
	if len(s) < least || len(s) > 256 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '+' || r == '/') {
			return false
		}
	}
	return true
}
