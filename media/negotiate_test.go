package media

import (
	"context"
	"errors"
	"testing"

	"github.com/pion/webrtc/v4"
)

// answerSDP makes a real answer to offer, the kind of SDP a confused
// client might post as its offer.
func answerSDP(t *testing.T, offer string) string {
	t.Helper()
	pc, err := clientAPI(t).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer,
		SDP: offer}); err != nil {
		t.Fatal(err)
	}
	ans, err := pc.CreateAnswer(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.SetLocalDescription(ans); err != nil {
		t.Fatal(err)
	}
	return pc.LocalDescription().SDP
}

func TestAnAnswerPostedAsACameraOfferIsRefusedAndFreesTheSlot(t *testing.T) {
	sfu := newTestSFU(t, func(c *Config) { c.MaxPublishers = 1 })
	room := sfu.NewRoom(RoomConfig{ID: "stream-answer-as-offer"})
	t.Cleanup(room.Close)

	viewer := newTestViewer(t, clientAPI(t))
	bogus := answerSDP(t, offerOf(t, viewer.pc)) // sendonly, a=setup:active
	if _, err := room.Publish(context.Background(), bogus); !errors.Is(err, ErrInvalidSDP) {
		t.Fatalf("Publish(answer) = %v, want ErrInvalidSDP", err)
	}
	// The refused offer holds neither the room's camera slot nor the SFU's.
	startTestCamera(t, room)
}

func TestAViewerOfferThatSendsIsRefused(t *testing.T) {
	sfu := newTestSFU(t, nil)
	room := sfu.NewRoom(RoomConfig{ID: "stream-sending-viewer"})
	t.Cleanup(room.Close)
	startTestCamera(t, room)

	sender := newTestCamera(t, clientAPI(t)) // its offer is sendonly
	_, err := room.Subscribe(context.Background(), "sender", offerOf(t, sender.pc))
	if !errors.Is(err, ErrInvalidSDP) {
		t.Fatalf("Subscribe(sendonly offer) = %v, want ErrInvalidSDP", err)
	}
	v := startTestViewer(t, room, "honest")
	waitFor(t, 5e9, "the honest viewer to receive video", func() bool { return v.video.Load() > 10 })
}

func TestGarbageCandidatesAreRefusedEvenBeforeTheOffer(t *testing.T) {
	sfu := newTestSFU(t, nil)
	room := sfu.NewRoom(RoomConfig{ID: "stream-garbage-candidates"})
	t.Cleanup(room.Close)
	big := uint16(1000)
	for _, c := range []webrtc.ICECandidateInit{
		{Candidate: "garbage"},
		{Candidate: "candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host", SDPMLineIndex: &big},
	} {
		if err := room.AddPublisherCandidate(c); !errors.Is(err, ErrInvalidCandidate) {
			t.Errorf("AddPublisherCandidate(%+v) = %v, want ErrInvalidCandidate", c, err)
		}
	}
	ok := webrtc.ICECandidateInit{Candidate: "candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host"}
	if err := room.AddPublisherCandidate(ok); err != nil {
		t.Fatalf("a well-formed early candidate: %v", err)
	}
}
