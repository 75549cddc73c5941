package api

import (
	"net/http"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/api/wire"
)

func TestStreamEndsWhenTheCameraGoesOffline(t *testing.T) {
	e, sfu := newStreamEnv(t, nil)
	p := streamSetup(t, e)
	base := e.listenWS()
	wsCam, wsCli := dial(t, base, p.cam), dial(t, base, p.cli)
	e.waitOnline(p.u, p.cam, true)
	s := e.requestStream(p.cli, p.cam)
	e.accept(s, p.cam)
	e.publish(s, p.cam)
	e.subscribe(s, p.cli).waitPackets(t, 10)

	wsCam.Close()
	got := expectStream(t, wsCli, "stream:ended", string(s.ID))
	if *got.EndReason != "camera_offline" || got.EndedAt == nil {
		t.Fatalf("ended %+v reason %s", got, *got.EndReason)
	}
	if sfu.Publishers() != 0 {
		t.Fatal("the offline camera's peer is still published")
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
