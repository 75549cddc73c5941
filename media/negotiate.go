package media

import (
	"context"
	"fmt"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// applyOffer sets a peer's offer as the remote description.
func applyOffer(pc *webrtc.PeerConnection, offerSDP string) error {
	offer := webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offerSDP}
	if err := pc.SetRemoteDescription(offer); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidSDP, err)
	}
	return nil
}

// answer creates and applies the answer, then waits for ICE gathering so
// the answer carries every server candidate: plain WHIP and WHEP clients
// take no trickled candidates from the server. The wait is bounded by
// gatherTimeout and ctx; on timeout the candidates gathered so far go out.
func answer(ctx context.Context, pc *webrtc.PeerConnection,
	gatherTimeout time.Duration,
) (string, error) {
	ans, err := pc.CreateAnswer(nil)
	if err != nil {
		return "", fmt.Errorf("%w: create answer: %w", ErrInvalidSDP, err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(ans); err != nil {
		return "", fmt.Errorf("set local description: %w", err)
	}
	timer := time.NewTimer(gatherTimeout)
	defer timer.Stop()
	select {
	case <-gathered:
	case <-timer.C:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	return pc.LocalDescription().SDP, nil
}

// checkOffer refuses SDP that is not an offer this role may send. An
// offer's DTLS role is a=setup:actpass: active and passive are an
// answerer's choice (RFC 8842 §5.2), so SDP carrying them is an answer
// posted as an offer. A viewer only receives: a media section that sends
// (sendonly, sendrecv, or no direction at all, which means sendrecv) is
// refused, or the SFU would agree to take media from a viewer.
func checkOffer(offerSDP string, role Role) error {
	var d sdp.SessionDescription
	if err := d.UnmarshalString(offerSDP); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidSDP, err)
	}
	for i, m := range d.MediaDescriptions {
		if err := checkOfferCandidates(m); err != nil {
			return fmt.Errorf("%w: media %d: %w", ErrInvalidSDP, i, err)
		}
		setup, ok := m.Attribute("setup")
		if !ok {
			setup, ok = d.Attribute("setup")
		}
		if ok && setup != "actpass" {
			return fmt.Errorf("%w: media %d has a=setup:%s; an offer uses actpass", ErrInvalidSDP, i, setup)
		}
		if role != RoleSubscriber || m.MediaName.Media == "application" {
			continue
		}
		if dir := directionOf(m, &d); dir == "sendonly" || dir == "sendrecv" {
			return fmt.Errorf("%w: media %d is %s; a viewer's offer only receives", ErrInvalidSDP, i, dir)
		}
	}
	return nil
}

// checkOfferCandidates applies the trickled candidates' address rule to
// those an offer carries (non-trickle clients, WHIP). A line that does not
// parse is left for pion, which ignores it.
func checkOfferCandidates(m *sdp.MediaDescription) error {
	for _, a := range m.Attributes {
		if a.Key != "candidate" {
			continue
		}
		c, err := ice.UnmarshalCandidate(a.Value)
		if err != nil {
			continue
		}
		if err := checkCandidateAddress(c); err != nil {
			return err
		}
	}
	return nil
}

// directionOf returns a media section's direction attribute, the session's
// when the section names none, and sendrecv when neither does (RFC 4566 §6).
func directionOf(m *sdp.MediaDescription, d *sdp.SessionDescription) string {
	for _, dir := range []string{"sendrecv", "sendonly", "recvonly", "inactive"} {
		if _, ok := m.Attribute(dir); ok {
			return dir
		}
	}
	for _, dir := range []string{"sendrecv", "sendonly", "recvonly", "inactive"} {
		if _, ok := d.Attribute(dir); ok {
			return dir
		}
	}
	return "sendrecv"
}
