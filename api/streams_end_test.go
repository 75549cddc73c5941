package api

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/actors"
	"github.com/vigil-oss/vigil/api/wire"
	"github.com/vigil-oss/vigil/media"
)

// newGraceEnv is a stream env whose streams wait grace for an offline
// camera or requester.
func newGraceEnv(t *testing.T, grace time.Duration) (*testEnv, *media.SFU) {
	sfu := streamSFU(t, nil)
	return newTestEnvWith(t, func(c *actors.Config) {
		c.SFU, c.StreamOfflineGrace = sfu, grace
	}), sfu
}

func TestStreamOutlivesASocketBlipButNotAnAbsencePastTheGrace(t *testing.T) {
	const grace = 2 * time.Second
	for _, tc := range []struct {
		name   string
		comes  bool
		reason string
	}{
		{name: "camera back within the grace", comes: true},
		{name: "camera away past the grace", reason: "camera_offline"},
		{name: "requester back within the grace", comes: true},
		{name: "requester away past the grace", reason: "requester_offline"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, sfu := newGraceEnv(t, grace)
			p := streamSetup(t, e)
			base := e.listenWS()
			away, watcher := p.cam, p.cli
			if strings.HasPrefix(tc.name, "requester") {
				away, watcher = p.cli, p.cam
			}
			wsAway, wsWatcher := dial(t, base, away), dial(t, base, watcher)
			e.waitOnline(p.u, away, true)
			s := e.requestStream(p.cli, p.cam)
			e.publish(s, p.cam)
			v := e.subscribe(s, p.cli)
			v.waitPackets(t, 10)

			wsAway.Close()
			gone := time.Now()
			if tc.comes {
				dial(t, base, away)
				// Past the grace, the stream still runs and media still flows.
				time.Sleep(grace + time.Second)
				v.waitPackets(t, v.packets.Load()+30)
				st, err := e.opts.Streams.StreamByID(t.Context(), s.ID)
				if err != nil || st.Status != "streaming" {
					t.Fatalf("after a socket blip the stream is %+v %v", st, err)
				}
				return
			}
			got := expectStream(t, wsWatcher, "stream:ended", string(s.ID))
			if waited := time.Since(gone); *got.EndReason != tc.reason || waited < grace-100*time.Millisecond {
				t.Fatalf("ended as %s after %s, want %s after the %s grace", *got.EndReason,
					waited, tc.reason, grace)
			}
			if sfu.Publishers() != 0 {
				t.Fatal("the ended stream's camera is still published")
			}
		})
	}
}

func TestStreamRequestNeverAcceptedTimesOut(t *testing.T) {
	e, _ := newStreamEnv(t, nil, func(o *Options) { o.Media.RequestTimeout = time.Second })
	p := streamSetup(t, e)
	base := e.listenWS()
	wsCam, wsCli := dial(t, base, p.cam), dial(t, base, p.cli)
	e.waitOnline(p.u, p.cam, true)

	start := time.Now()
	s := e.requestStream(p.cli, p.cam)
	got := expectStream(t, wsCli, "stream:ended", string(s.ID))
	waited := time.Since(start)
	if *got.EndReason != "timed_out" || waited < 900*time.Millisecond || waited > 4*time.Second {
		t.Fatalf("ended with %s after %s, want timed_out after about 1 s", *got.EndReason, waited)
	}
	expectStream(t, wsCam, "stream:ended", string(s.ID))
	expectError(t, e.do("POST", streamPath(s, "/accept"), nil, p.cam.bearer()...),
		http.StatusConflict, "STREAM_ENDED")
}

func TestCameraRejectingStartStreamEndsTheStreamAsRejected(t *testing.T) {
	e, _ := newStreamEnv(t, nil)
	p := streamSetup(t, e)
	base := e.listenWS()
	wsCam, wsCli := dial(t, base, p.cam), dial(t, base, p.cli)
	e.waitOnline(p.u, p.cam, true)

	s := e.requestStream(p.cli, p.cam)
	cmd := expectCommand(t, wsCam, "command:received")
	ackFrame(t, wsCam, cmd.ID, "rejected")
	if got := expectStream(t, wsCli, "stream:ended", string(s.ID)); *got.EndReason != "rejected" {
		t.Fatalf("ended with %s", *got.EndReason)
	}

	// Ending over HTTP a stream it never accepted rejects it too; the
	// requester ending one ends it.
	s2 := e.requestStream(p.cli, p.cam)
	ended := decodeAs[struct{ StreamSession struct{ EndReason string } }](t,
		e.do("POST", streamPath(s2, "/end"), nil, p.cam.bearer()...), http.StatusOK)
	if ended.StreamSession.EndReason != "rejected" {
		t.Fatalf("camera ending a request: %s", ended.StreamSession.EndReason)
	}
	again := decodeAs[struct{ StreamSession struct{ EndReason string } }](t,
		e.do("POST", streamPath(s2, "/end"), nil, p.cli.bearer()...), http.StatusOK)
	if again.StreamSession.EndReason != "rejected" {
		t.Fatalf("a second end changed the reason to %s", again.StreamSession.EndReason)
	}
}

func TestSFUSessionOfAnEndedStreamReportsNoPublisher(t *testing.T) {
	for name, end := range map[string]func(e *testEnv, s wire.Stream, p streamParties, cam *fakeCamera){
		"ended by the requester": func(e *testEnv, s wire.Stream, p streamParties, _ *fakeCamera) {
			e.do("POST", streamPath(s, "/end"), nil, p.cli.bearer()...).Body.Close()
		},
		"camera peer closed": func(_ *testEnv, _ wire.Stream, _ streamParties, cam *fakeCamera) {
			cam.close()
		},
	} {
		t.Run(name, func(t *testing.T) {
			e, _ := newStreamEnv(t, nil)
			p := streamSetup(t, e)
			s := e.requestStream(p.cli, p.cam)
			cam := e.publish(s, p.cam)
			e.subscribe(s, p.cli).waitPackets(t, 10)
			session := func() sfuSessionJSON {
				return decodeAs[sfuSessionJSON](t, e.do("GET", streamPath(s, "/sfu/session"), nil,
					p.cli.bearer()...), http.StatusOK)
			}
			waitUntil(t, "the camera connected", func() bool { return session().Publisher.Connected })
			if got := session(); !got.Publisher.Publishing || got.Subscribers != 1 {
				t.Fatalf("live session %+v", got)
			}

			end(e, s, p, cam)
			waitUntil(t, "the stream ended", func() bool { return session().Status == "ended" })
			got := session()
			if got.Publisher != (publisherJSON{}) || got.Subscribers != 0 || got.PacketsIn == 0 {
				t.Fatalf("ended session %+v, want no publisher, no viewer and the packets carried", got)
			}
		})
	}
}
