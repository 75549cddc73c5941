package media

import (
	"context"
	"fmt"
	"time"

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
