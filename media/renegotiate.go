package media

import (
	"context"
	"fmt"
	"strings"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// A peer whose network changed recovers on the transport it has: it sends
// a new offer with fresh ICE credentials (an ICE restart, RFC 8445 §9,
// RFC 8839 §4.4.1.1.1), the room answers on the same peer connection, and
// pion's ICE agent starts over while DTLS, SRTP and the forwarding stay.

// SameTransport reports whether offerSDP comes from the peer connection
// that the publisher (viewerID "") or a viewer already has, not from a
// new one: both carry the same DTLS certificate fingerprint (RFC 8122 §5).
// Such an offer is a renegotiation, answered by Renegotiate.
func (r *Room) SameTransport(viewerID, offerSDP string) bool {
	p := r.peerOf(viewerID)
	if p == nil || p.isClosed() {
		return false
	}
	cur := p.pc.RemoteDescription()
	if cur == nil {
		return false
	}
	a, b := fingerprintOf(cur.SDP), fingerprintOf(offerSDP)
	return a != "" && strings.EqualFold(a, b)
}

// Renegotiate answers a new offer from the publisher (viewerID "") or a
// viewer on its existing peer connection: an ICE restart when the offer's
// ICE credentials changed. The offer must keep the peer's media sections.
// Errors: ErrUnknownViewer, ErrNotPublishing, ErrInvalidSDP, or ctx's error.
func (r *Room) Renegotiate(ctx context.Context, viewerID, offerSDP string) (string, error) {
	p := r.peerOf(viewerID)
	switch {
	case p == nil && viewerID == "":
		return "", fmt.Errorf("%w: room %q", ErrNotPublishing, r.id)
	case p == nil:
		return "", fmt.Errorf("%w: %q in room %q", ErrUnknownViewer, viewerID, r.id)
	}
	p.negotiating.Lock()
	defer p.negotiating.Unlock()
	if err := checkOffer(offerSDP, p.role); err != nil {
		return "", err
	}
	if err := sameSections(p.pc, offerSDP); err != nil {
		return "", err
	}
	if err := applyOffer(p.pc, offerSDP); err != nil {
		return "", err
	}
	ans, err := answer(ctx, p.pc, r.sfu.cfg.GatherTimeout)
	if err != nil {
		return "", fmt.Errorf("renegotiate %s %q in room %q: %w", p.role, viewerID, r.id, err)
	}
	r.log.Info("peer renegotiated", "role", p.role.String(), "viewerID", viewerID)
	return ans, nil
}

// RestartICE restarts ICE for a WHIP or WHEP client that sent new ICE
// credentials in a PATCH (RFC 9725 §4.4.1.2): its last offer with those
// credentials and no candidates is renegotiated, and the answer carries
// the room's new credentials and candidates. restarted is false, and
// nothing changes, when ufrag is the one in use: that PATCH only trickles.
func (r *Room) RestartICE(ctx context.Context, viewerID, ufrag, pwd string) (ans string,
	restarted bool, err error) {
	p := r.peerOf(viewerID)
	switch {
	case p == nil && viewerID == "":
		return "", false, fmt.Errorf("%w: room %q", ErrNotPublishing, r.id)
	case p == nil:
		return "", false, fmt.Errorf("%w: %q in room %q", ErrUnknownViewer, viewerID, r.id)
	}
	cur := p.pc.RemoteDescription()
	if cur == nil {
		return "", false, fmt.Errorf("%w: no offer applied yet", ErrInvalidSDP)
	}
	if ufragOf(cur.SDP) == ufrag {
		return "", false, nil
	}
	ans, err = r.Renegotiate(ctx, viewerID, withICECredentials(cur.SDP, ufrag, pwd))
	return ans, err == nil, err
}

// peerOf finds the publisher (viewerID "") or a viewer.
func (r *Room) peerOf(viewerID string) *peer {
	r.mu.Lock()
	defer r.mu.Unlock()
	if viewerID == "" {
		return r.pub
	}
	if s := r.subs[viewerID]; s != nil {
		return s.peer
	}
	return nil
}

// sameSections refuses a renegotiation that adds or drops media
// sections: the room set up its tracks for the first offer's.
func sameSections(pc *webrtc.PeerConnection, offerSDP string) error {
	cur := pc.RemoteDescription()
	var was, now sdp.SessionDescription
	if cur == nil || was.UnmarshalString(cur.SDP) != nil || now.UnmarshalString(offerSDP) != nil {
		return fmt.Errorf("%w: not a renegotiation of this transport", ErrInvalidSDP)
	}
	if len(was.MediaDescriptions) != len(now.MediaDescriptions) {
		return fmt.Errorf("%w: a new offer must keep the transport's %d media sections, not %d",
			ErrInvalidSDP, len(was.MediaDescriptions), len(now.MediaDescriptions))
	}
	return nil
}

// attributeOf returns the first value of an a=name: line, in the session
// or any media section.
func attributeOf(sdpText, name string) string {
	for _, line := range strings.Split(sdpText, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimRight(line, "\r"), "a="+name+":"); ok {
			return v
		}
	}
	return ""
}

func fingerprintOf(sdpText string) string { return attributeOf(sdpText, "fingerprint") }

func ufragOf(sdpText string) string { return attributeOf(sdpText, "ice-ufrag") }

// withICECredentials rewrites an offer with new ICE credentials and
// without its candidates, which belonged to the old ones.
func withICECredentials(offer, ufrag, pwd string) string {
	var out []string
	for _, line := range strings.Split(offer, "\r\n") {
		switch {
		case strings.HasPrefix(line, "a=ice-ufrag:"):
			line = "a=ice-ufrag:" + ufrag
		case strings.HasPrefix(line, "a=ice-pwd:"):
			line = "a=ice-pwd:" + pwd
		case strings.HasPrefix(line, "a=candidate:"), line == "a=end-of-candidates":
			continue
		}
		out = append(out, line)
	}
	return strings.Join(out, "\r\n")
}
