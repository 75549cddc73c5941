package media

import (
	"context"
	"errors"
	"strings"
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

// TestCandidatesAtLinkLocalAddressesAreRefused: the SFU would send ICE
// checks to them, so a client must not be able to name link-local
// neighbours of the server (a cloud metadata service, say), trickled or in
// an offer. LAN and loopback candidates still pass.
func TestCandidatesAtLinkLocalAddressesAreRefused(t *testing.T) {
	sfu := newTestSFU(t, nil)
	room := sfu.NewRoom(RoomConfig{ID: "stream-link-local"})
	t.Cleanup(room.Close)
	for _, addr := range []string{"169.254.169.254", "fe80::1", "224.0.0.251", "0.0.0.0", "ff02::1"} {
		c := webrtc.ICECandidateInit{Candidate: "candidate:1 1 udp 2130706431 " + addr + " 80 typ host"}
		if err := room.AddSubscriberCandidate("v1", c); !errors.Is(err, ErrInvalidCandidate) {
			t.Errorf("candidate at %s: %v, want ErrInvalidCandidate", addr, err)
		}
	}
	for _, addr := range []string{"192.168.1.20", "10.0.0.7", "127.0.0.1", "203.0.113.9", "fd00::2"} {
		c := webrtc.ICECandidateInit{Candidate: "candidate:1 1 udp 2130706431 " + addr + " 5000 typ host"}
		if err := room.AddSubscriberCandidate("v2", c); err != nil {
			t.Errorf("candidate at %s: %v, want it kept", addr, err)
		}
	}

	pc, err := clientAPI(t).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo,
		webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		t.Fatal(err)
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(offer.SDP, "a=mid:",
		"a=candidate:1 1 udp 2130706431 169.254.169.254 80 typ host\r\na=mid:", 1)
	if bad == offer.SDP {
		t.Fatal("offer has no a=mid line to put a candidate before")
	}
	if err := checkOffer(bad, RoleSubscriber); !errors.Is(err, ErrInvalidSDP) {
		t.Fatalf("an offer naming 169.254.169.254: %v, want ErrInvalidSDP", err)
	}
	if err := checkOffer(offer.SDP, RoleSubscriber); err != nil {
		t.Fatalf("the same offer without it: %v", err)
	}
}
