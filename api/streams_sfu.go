package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/vigil-oss/vigil/actors"
	"github.com/vigil-oss/vigil/persistence"
)

// maxCandidateBytes bounds one trickled candidate line; real ones are
// under 200 bytes.
const maxCandidateBytes = 1024

func (s *Server) mountSFU() {
	dev, plane := s.requireDevice, s.requireMediaPlane
	s.app.Get("/streams/:streamSessionId/sfu/session", dev, s.sfuSession)
	s.app.Post("/streams/:streamSessionId/sfu/publish-transport", plane, dev, s.publishTransport)
	s.app.Post("/streams/:streamSessionId/sfu/subscribe-transport", plane, dev, s.subscribeTransport)
	s.app.Delete("/streams/:streamSessionId/sfu/subscribe-transport", plane, dev, s.leaveTransport)
	s.app.Post("/streams/:streamSessionId/sfu/ice-candidate", plane, dev, s.iceCandidate)
}

// requireMediaPlane answers the media routes of a server without an SFU.
func (s *Server) requireMediaPlane(c *fiber.Ctx) error {
	if err := s.mediaPlaneError(); err != nil {
		return err
	}
	return c.Next()
}

// sdpRequest is the JSON body of the transport routes.
type sdpRequest struct {
	SDP  string `json:"sdp"`
	Type string `json:"type"`
}

func (r sdpRequest) validate() (string, error) {
	if r.SDP == "" {
		return "", badRequest("INVALID_SDP", "sdp is required: the SDP offer")
	}
	if r.Type != "" && r.Type != "offer" {
		return "", badRequest("INVALID_SDP", "type must be offer")
	}
	return r.SDP, nil
}

// publishTransport answers the camera's SDP offer.
//
//	@Summary	The camera's SDP offer in, the SFU's answer out
//	@Tags	streams
//	@Accept	json
//	@Produce	json
//	@Security	deviceBearer
//	@Param	streamSessionId path string true "stream session id" format(uuid)
//	@Param	body body sdpRequest true "the offer"
//	@Success	200 {object} object{type=string,sdp=string}
//	@Failure	400,401,403,404,409,429,501,503 {object} errorBody "the contract's error body"
//	@Router	/streams/{streamSessionId}/sfu/publish-transport [post]
func (s *Server) publishTransport(c *fiber.Ctx) error {
	var req sdpRequest
	if err := parseBody(c, &req); err != nil {
		return err
	}
	sdp, err := req.validate()
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
	return c.JSON(fiber.Map{"type": "answer", "sdp": res.(*actors.SDPAnswer).SDP})
}

// subscribeTransport answers a linked viewer's recvonly SDP offer.
//
//	@Summary	A viewer's recvonly offer in, the SFU's answer out
//	@Description	A second offer from the same device replaces its transport.
//	@Tags	streams
//	@Accept	json
//	@Produce	json
//	@Security	deviceBearer
//	@Param	streamSessionId path string true "stream session id" format(uuid)
//	@Param	body body sdpRequest true "the offer"
//	@Success	200 {object} object{type=string,sdp=string,viewerId=string}
//	@Failure	400,401,403,404,409,501,503 {object} errorBody "the contract's error body"
//	@Router	/streams/{streamSessionId}/sfu/subscribe-transport [post]
func (s *Server) subscribeTransport(c *fiber.Ctx) error {
	var req sdpRequest
	if err := parseBody(c, &req); err != nil {
		return err
	}
	sdp, err := req.validate()
	if err != nil {
		return err
	}

	st, err := s.streamFor(c, asViewer)
	if err != nil {
		return err
	}
	res, err := s.askStream(st.ID, &actors.SubscribeOffer{DeviceID: deviceOf(c).ID,
		Via: actors.ViaSFU, SDP: sdp}, transportTimeout)
	if err != nil {
		return err
	}
	ans := res.(*actors.SDPAnswer)
	return c.JSON(fiber.Map{"type": "answer", "sdp": ans.SDP, "viewerId": ans.ViewerID})
}

// leaveTransport closes the viewer's transport; it may subscribe again.
//
//	@Summary	A viewer leaves the SFU room
//	@Tags	streams
//	@Produce	json
//	@Security	deviceBearer
//	@Param	streamSessionId path string true "stream session id" format(uuid)
//	@Success	204
//	@Failure	400,401,403,404,409,501,503 {object} errorBody "the contract's error body"
//	@Router	/streams/{streamSessionId}/sfu/subscribe-transport [delete]
func (s *Server) leaveTransport(c *fiber.Ctx) error {
	st, err := s.streamFor(c, asViewer)
	if err != nil {
		return err
	}
	_, err = s.askStream(st.ID, &actors.LeaveStream{DeviceID: deviceOf(c).ID, Via: actors.ViaSFU},
		s.actorTimeout)
	if err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// candidateRequest is a trickled candidate, as RTCIceCandidate.toJSON()
// writes it.
type candidateRequest struct {
	Candidate     string `json:"candidate"`
	SDPMid        string `json:"sdpMid"`
	SDPMLineIndex *int   `json:"sdpMLineIndex"`
}

// iceCandidate applies a candidate of the camera (publisher) or of the
// device's viewer transport; before the offer it waits in the room.
//
//	@Summary	Trickle an ICE candidate, before or after the offer
//	@Tags	streams
//	@Accept	json
//	@Produce	json
//	@Security	deviceBearer
//	@Param	streamSessionId path string true "stream session id" format(uuid)
//	@Param	body body candidateRequest true "RTCIceCandidate.toJSON()"
//	@Success	204
//	@Failure	400,401,403,404,409,501,503 {object} errorBody "the contract's error body"
//	@Router	/streams/{streamSessionId}/sfu/ice-candidate [post]
func (s *Server) iceCandidate(c *fiber.Ctx) error {
	var req candidateRequest
	if err := parseBody(c, &req); err != nil {
		return err
	}
	if req.Candidate == "" || len(req.Candidate) > maxCandidateBytes {
		return badRequest("INVALID_CANDIDATE", "candidate is required, at most 1024 bytes")
	}
	if i := req.SDPMLineIndex; i != nil && (*i < 0 || *i > 8) {
		return badRequest("INVALID_CANDIDATE", "sdpMLineIndex must be 0..8")
	}
	if len(req.SDPMid) > 32 {
		return badRequest("INVALID_CANDIDATE", "sdpMid is longer than 32 bytes")
	}

	st, err := s.streamFor(c, asAnyone)
	if err != nil {
		return err
	}
	d := deviceOf(c)
	msg := &actors.AddCandidate{DeviceID: d.ID, Publisher: d.ID == st.CameraDeviceID,
		Via: actors.ViaSFU, Candidate: req.Candidate, SDPMid: req.SDPMid, SDPMLineIndex: -1}
	if req.SDPMLineIndex != nil {
		msg.SDPMLineIndex = *req.SDPMLineIndex
	}
	if _, err := s.askStream(st.ID, msg, s.actorTimeout); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// sfuSessionJSON is a stream's SFU room as a participant sees it.
type sfuSessionJSON struct {
	StreamSessionID  persistence.StreamID     `json:"streamSessionId"`
	Status           persistence.StreamStatus `json:"status"`
	MediaMode        string                   `json:"mediaMode"`
	MediaProvider    string                   `json:"mediaProvider"`
	Publisher        publisherJSON            `json:"publisher"`
	Subscribers      int                      `json:"subscribers"`
	PacketsIn        uint64                   `json:"packetsIn"`
	PacketsForwarded uint64                   `json:"packetsForwarded"`
}

// publisherJSON is the camera's side of a room: tracks it sends.
type publisherJSON struct {
	Publishing bool `json:"publishing"`
	Connected  bool `json:"connected"`
	Tracks     int  `json:"tracks"`
}

// sfuSession describes the stream's media to a participant.
//
//	@Summary	The session's SFU room: publisher, viewers, packets
//	@Tags	streams
//	@Produce	json
//	@Security	deviceBearer
//	@Param	streamSessionId path string true "stream session id" format(uuid)
//	@Success	200 {object} sfuSessionJSON
//	@Failure	400,401,403,404,503 {object} errorBody "the contract's error body"
//	@Router	/streams/{streamSessionId}/sfu/session [get]
func (s *Server) sfuSession(c *fiber.Ctx) error {
	st, err := s.streamFor(c, asAnyone)
	if err != nil {
		return err
	}
	res, err := s.askStream(st.ID, &actors.GetSession{DeviceID: deviceOf(c).ID}, s.actorTimeout)
	if err != nil {
		return err
	}
	r := res.(*actors.SessionReport)
	return c.JSON(sfuSessionJSON{StreamSessionID: st.ID, Status: r.Stream.Status,
		MediaMode: r.Stream.MediaMode, MediaProvider: s.media.Provider,
		Publisher: publisherJSON{Publishing: r.Publishing, Connected: r.PublisherConnected,
			Tracks: r.Tracks},
		Subscribers: r.Viewers, PacketsIn: r.PacketsIn, PacketsForwarded: r.PacketsForwarded})
}

// streamIDOf is the stream of a media route, for the routes that
// authenticate by playback token before loading it.
func streamIDOf(c *fiber.Ctx) (persistence.StreamID, error) {
	id, err := parseUUID("streamSessionId", c.Params("streamSessionId"))
	return persistence.StreamID(id), err
}
