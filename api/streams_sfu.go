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
func (s *Server) iceCandidate(c *fiber.Ctx) error {
	var req candidateRequest
	if err := parseBody(c, &req); err != nil {
		return err
	}
	if req.Candidate == "" || len(req.Candidate) > maxCandidateBytes {
		return badRequest("INVALID_CANDIDATE", "candidate is required, at most 1024 bytes")
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

// sfuSession describes the stream's media to a participant.
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
	return c.JSON(fiber.Map{"streamSessionId": st.ID, "status": r.Stream.Status,
		"mediaMode": r.Stream.MediaMode, "mediaProvider": s.media.Provider,
		"publisher": fiber.Map{"publishing": r.Publishing, "connected": r.PublisherConnected,
			"tracks": r.Tracks},
		"subscribers": r.Viewers, "packetsIn": r.PacketsIn, "packetsForwarded": r.PacketsForwarded})
}

// streamIDOf is the stream of a media route, for the routes that
// authenticate by playback token before loading it.
func streamIDOf(c *fiber.Ctx) (persistence.StreamID, error) {
	id, err := parseUUID("streamSessionId", c.Params("streamSessionId"))
	return persistence.StreamID(id), err
}
