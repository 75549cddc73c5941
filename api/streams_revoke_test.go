package api

import (
	"io"
	"net/http"
	"testing"

	"github.com/pion/webrtc/v4"

	"github.com/vigil-oss/vigil/api/wire"
)

// linkIDOf finds the link between camera and client.
func (e *testEnv) linkIDOf(u user, camera, client registered) string {
	e.t.Helper()
	links := decodeAs[struct{ Links []linkJSON }](e.t, e.do("GET", "/device-links", nil, u.bearer()...),
		http.StatusOK)
	for _, l := range links.Links {
		if string(l.CameraDeviceID) == camera.ID && string(l.ClientDeviceID) == client.ID {
			return string(l.ID)
		}
	}
	e.t.Fatalf("no link from %s to %s", camera.ID, client.ID)
	return ""
}

// whepPlay plays s through WHEP with bearer and returns the viewer.
func (e *testEnv) whepPlay(s wire.Stream, bearer string) *fakeViewer {
	e.t.Helper()
	v := newFakeViewer(e.t)
	resp := e.rawDo("POST", "/whep/streams/"+string(s.ID), "application/sdp", localOffer(e.t, v.pc),
		"Authorization", "Bearer "+bearer)
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		e.t.Fatalf("WHEP answered %d %s", resp.StatusCode, answer)
	}
	applyAnswer(e.t, v.pc, string(answer))
	return v
}

// notConnected reports whether the server has dropped the viewer's peer.
func (v *fakeViewer) notConnected() bool {
	return v.pc.ConnectionState() != webrtc.PeerConnectionStateConnected
}

func TestUnlinkedViewerIsCutOffItsTransportsAndTold(t *testing.T) {
	e, _ := newStreamEnv(t, nil)
	p := streamSetup(t, e)
	base := e.listenWS()
	wsOther := dial(t, base, p.other)
	s := e.requestStream(p.cli, p.cam)
	e.publish(s, p.cam)
	kept := e.subscribe(s, p.cli)
	sfuViewer := e.subscribe(s, p.other)
	tok := decodeAs[struct{ PlaybackToken string }](t, e.do("GET", streamPath(s, "/playback-token"), nil,
		p.other.bearer()...), http.StatusOK).PlaybackToken
	whepViewer := e.whepPlay(s, tok)
	for _, v := range []*fakeViewer{kept, sfuViewer, whepViewer} {
		v.waitPackets(t, 10)
	}
	session := func() sfuSessionJSON {
		return decodeAs[sfuSessionJSON](t, e.do("GET", streamPath(s, "/sfu/session"), nil,
			p.cli.bearer()...), http.StatusOK)
	}
	if n := session().Subscribers; n != 3 {
		t.Fatalf("%d subscribers before the unlink, want 3", n)
	}

	e.do("DELETE", "/device-links/"+e.linkIDOf(p.u, p.cam, p.other), nil, p.u.bearer()...).Body.Close()
	got := expectFrame[struct {
		StreamSessionID string
		DeviceID        string
		Reason          string
	}](t, wsOther, "stream:viewer-removed")
	if got.StreamSessionID != string(s.ID) || got.DeviceID != p.other.ID || got.Reason != "unlinked" {
		t.Fatalf("stream:viewer-removed %+v", got)
	}
	waitUntil(t, "the unlinked viewer's SFU and WHEP peers closed", func() bool {
		return sfuViewer.notConnected() && whepViewer.notConnected()
	})
	waitUntil(t, "one subscriber left", func() bool { return session().Subscribers == 1 })
	kept.waitPackets(t, kept.packets.Load()+30)

	// Linked again, it still cannot come back to this session: a request
	// checked before the unlink could otherwise slip in after the cut.
	expectError(t, e.do("POST", streamPath(s, "/sfu/subscribe-transport"),
		map[string]string{"sdp": localOffer(t, newFakeViewer(t).pc)}, p.other.bearer()...),
		http.StatusForbidden, "NOT_STREAM_VIEWER")
	e.link(p.u, p.cam, p.other)
	expectError(t, e.do("POST", streamPath(s, "/sfu/subscribe-transport"),
		map[string]string{"sdp": localOffer(t, newFakeViewer(t).pc)}, p.other.bearer()...),
		http.StatusForbidden, "NOT_STREAM_VIEWER")
	expectError(t, e.rawDo("POST", "/whep/streams/"+string(s.ID), "application/sdp",
		localOffer(t, newFakeViewer(t).pc), "Authorization", "Bearer "+tok),
		http.StatusForbidden, "NOT_STREAM_VIEWER")
}

func TestDisablingOrUnlinkingAParticipantEndsTheStreamOrCutsTheViewer(t *testing.T) {
	for name, tc := range map[string]struct {
		change func(e *testEnv, p streamParties)
		// endReason is empty when the stream goes on without the viewer.
		endReason string
	}{
		"viewer disabled": {change: func(e *testEnv, p streamParties) {
			e.do("PATCH", "/devices/"+p.other.ID, map[string]any{"status": "disabled"},
				p.u.bearer()...).Body.Close()
		}},
		"camera disabled": {endReason: "camera_disabled", change: func(e *testEnv, p streamParties) {
			e.do("PATCH", "/devices/"+p.cam.ID, map[string]any{"status": "disabled"},
				p.u.bearer()...).Body.Close()
		}},
		"requester disabled": {endReason: "requester_disabled", change: func(e *testEnv, p streamParties) {
			e.do("PATCH", "/devices/"+p.cli.ID, map[string]any{"status": "disabled"},
				p.u.bearer()...).Body.Close()
		}},
		"requester unlinked": {endReason: "requester_unlinked", change: func(e *testEnv, p streamParties) {
			e.do("DELETE", "/device-links/"+e.linkIDOf(p.u, p.cam, p.cli), nil,
				p.u.bearer()...).Body.Close()
		}},
	} {
		t.Run(name, func(t *testing.T) {
			e, _ := newStreamEnv(t, nil)
			p := streamSetup(t, e)
			s := e.requestStream(p.cli, p.cam)
			e.publish(s, p.cam)
			requester, other := e.subscribe(s, p.cli), e.subscribe(s, p.other)
			requester.waitPackets(t, 10)
			other.waitPackets(t, 10)

			tc.change(e, p)
			stored := func() wire.Stream {
				st, err := e.opts.Streams.StreamByID(t.Context(), s.ID)
				if err != nil {
					t.Fatal(err)
				}
				return wire.FromStream(st)
			}
			if tc.endReason == "" {
				waitUntil(t, "the disabled viewer's peer closed", other.notConnected)
				requester.waitPackets(t, requester.packets.Load()+30)
				if st := stored(); st.Status != "streaming" {
					t.Fatalf("the stream is %s after a viewer was disabled", st.Status)
				}
				return
			}
			waitUntil(t, "the stream ended", func() bool { return stored().Status == "ended" })
			if got := *stored().EndReason; got != tc.endReason {
				t.Fatalf("ended as %s, want %s", got, tc.endReason)
			}
			waitUntil(t, "every viewer's peer closed", func() bool {
				return requester.notConnected() && other.notConnected()
			})
		})
	}
}
