package media

import (
	"fmt"
	"net"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
)

// maxEarlyCandidates bounds the candidates one peer may trickle before its
// offer is applied. A browser gathers a handful per interface; the bound
// keeps a misbehaving client from growing the room's memory.
const maxEarlyCandidates = 32

// peerKey names a peer before its peer connection exists.
type peerKey struct {
	role     Role
	viewerID string
}

// AddPublisherCandidate applies a candidate trickled by the camera. One
// that arrives before Publish is kept and applied when the offer is.
func (r *Room) AddPublisherCandidate(c webrtc.ICECandidateInit) error {
	return r.addCandidate(peerKey{role: RolePublisher}, c)
}

// AddSubscriberCandidate applies a candidate trickled by a viewer. One
// that arrives before its Subscribe is kept and applied when the offer is.
func (r *Room) AddSubscriberCandidate(viewerID string, c webrtc.ICECandidateInit) error {
	return r.addCandidate(peerKey{role: RoleSubscriber, viewerID: viewerID}, c)
}

// maxMLineIndex bounds a candidate's m-line index: a camera offers video
// and audio, a viewer receives them; a few more leave room for data.
const maxMLineIndex = 8

// checkCandidate refuses a candidate that could never apply, so one that
// arrives before its offer fails now and not silently later. An empty
// candidate is the end-of-candidates marker and passes.
func checkCandidate(c webrtc.ICECandidateInit) error {
	if c.SDPMLineIndex != nil && *c.SDPMLineIndex > maxMLineIndex {
		return fmt.Errorf("%w: sdpMLineIndex %d", ErrInvalidCandidate, *c.SDPMLineIndex)
	}
	if c.Candidate == "" {
		return nil
	}
	cand, err := ice.UnmarshalCandidate(c.Candidate)
	if err != nil {
		return fmt.Errorf("%w: %q: %w", ErrInvalidCandidate, c.Candidate, err)
	}
	return checkCandidateAddress(cand)
}

// checkCandidateAddress refuses a remote candidate at an address no peer
// is reached at: link-local (where cloud metadata services answer, e.g.
// 169.254.169.254), multicast or unspecified. The SFU sends ICE checks to
// every candidate a client names; without this a client could aim them
// at the server's own link-local neighbours. Private and loopback
// addresses stay allowed: cameras on the same LAN or host use them. A
// hostname (mDNS) resolves to nothing here, since mDNS is off.
func checkCandidateAddress(c ice.Candidate) error {
	ip := net.ParseIP(c.Address())
	if ip == nil {
		return nil
	}
	if ip.IsLinkLocalUnicast() || ip.IsMulticast() || ip.IsUnspecified() {
		return fmt.Errorf("%w: %s is not an address a peer is reached at", ErrInvalidCandidate, ip)
	}
	return nil
}

// addCandidate applies c to the peer, or keeps it until the peer's offer.
func (r *Room) addCandidate(key peerKey, c webrtc.ICECandidateInit) error {
	if err := checkCandidate(c); err != nil {
		return err
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return fmt.Errorf("%w: room %q", ErrRoomClosed, r.id)
	}
	p := r.peerLocked(key)
	if p == nil || !p.remoteSet {
		defer r.mu.Unlock()
		return r.keepCandidateLocked(key, c)
	}
	r.mu.Unlock()
	if err := p.pc.AddICECandidate(c); err != nil {
		return fmt.Errorf("%w: %q: %w", ErrInvalidCandidate, c.Candidate, err)
	}
	return nil
}

// peerLocked finds the peer a key names, if it exists.
func (r *Room) peerLocked(key peerKey) *peer {
	if key.role == RolePublisher {
		return r.pub
	}
	if s := r.subs[key.viewerID]; s != nil {
		return s.peer
	}
	return nil
}

// keepCandidateLocked stores an early candidate within the bounds: per
// peer, and no more waiting peers than the room could hold.
func (r *Room) keepCandidateLocked(key peerKey, c webrtc.ICECandidateInit) error {
	list, known := r.early[key]
	switch {
	case len(list) >= maxEarlyCandidates:
		return fmt.Errorf("%w: %d for one peer", ErrTooManyCandidates, len(list))
	case !known && len(r.early) > r.sfu.cfg.MaxSubscribersPerRoom:
		return fmt.Errorf("%w: %d peers waiting for their offer", ErrTooManyCandidates, len(r.early))
	}
	r.early[key] = append(list, c)
	return nil
}

// markRemoteSet records that a peer's offer is applied and hands back the
// candidates that arrived before it.
func (r *Room) markRemoteSet(key peerKey, p *peer) []webrtc.ICECandidateInit {
	r.mu.Lock()
	defer r.mu.Unlock()
	p.remoteSet = true
	list := r.early[key]
	delete(r.early, key)
	return list
}

// applyEarly applies candidates kept before the offer. A bad one is logged
// and skipped: the others may still connect the peer.
func (r *Room) applyEarly(p *peer, list []webrtc.ICECandidateInit) {
	for _, c := range list {
		if err := p.pc.AddICECandidate(c); err != nil {
			r.log.Debug("early candidate rejected", "role", p.role.String(), "err", err)
		}
	}
}
