package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"

	"github.com/vigil-oss/vigil/actors"
	"github.com/vigil-oss/vigil/api/wire"
	"github.com/vigil-oss/vigil/persistence"
)

type eventAnswer struct {
	Event wire.Event `json:"event"`
}

type eventPage struct {
	Events     []wire.Event `json:"events"`
	NextCursor *string      `json:"nextCursor"`
}

func expectMotion(t *testing.T, ws *fws.Conn, event string) wire.Event {
	t.Helper()
	var ev wire.Event
	if err := json.Unmarshal(expectEvent(t, ws, event).Data, &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestMotionReachesLinkedClientsOnlyInOrderAndRetriesAreSafe(t *testing.T) {
	e := newTestEnv(t)
	u := e.signUp("owner@example.com")
	cam := e.register(u, "cam", "camera")
	a, b := e.register(u, "a", "client"), e.register(u, "b", "client")
	unlinked := e.register(u, "unlinked", "client")
	e.link(u, cam, a)
	e.link(u, cam, b)
	base := e.listenWS()
	wsA, wsB, wsU := dial(t, base, a), dial(t, base, b), dial(t, base, unlinked)
	for _, d := range []registered{a, b, unlinked} {
		e.waitOnline(u, d, true)
	}

	expectError(t, e.do("POST", "/events/motion/start", nil, a.bearer()...), http.StatusForbidden,
		"NOT_A_CAMERA")
	var started []wire.Event
	for i := range 5 {
		body := map[string]any{"clientEventId": fmt.Sprintf("m%d", i), "score": 0.5 + float64(i)/10}
		ev := decodeAs[eventAnswer](t, e.do("POST", "/events/motion/start", body, cam.bearer()...),
			http.StatusCreated).Event
		retry := decodeAs[eventAnswer](t, e.do("POST", "/events/motion/start", body, cam.bearer()...),
			http.StatusOK).Event
		if retry.ID != ev.ID {
			t.Fatalf("retry of %s made %s", ev.ID, retry.ID)
		}
		started = append(started, ev)
	}
	end := "/events/" + string(started[0].ID) + "/motion/end"
	expectError(t, e.do("POST", end, nil, a.bearer()...), http.StatusForbidden, "NOT_A_CAMERA")
	ended := decodeAs[eventAnswer](t, e.do("POST", end, map[string]any{"metadata": map[string]any{
		"frames": 3}}, cam.bearer()...), http.StatusOK).Event
	if ended.Status != persistence.EventClosed || ended.EndedAt == nil {
		t.Fatalf("ended event %+v", ended)
	}
	again := decodeAs[eventAnswer](t, e.do("POST", end, nil, cam.bearer()...), http.StatusOK).Event
	if !again.EndedAt.Equal(*ended.EndedAt) {
		t.Fatal("ending twice moved the end")
	}

	for _, ws := range []*fws.Conn{wsA, wsB} {
		for i, want := range started {
			if got := expectMotion(t, ws, actors.EventMotionDetected); got.ID != want.ID {
				t.Fatalf("motion %d arrived as %s, want %s: out of order or repeated", i, got.ID, want.ID)
			}
		}
		if got := expectMotion(t, ws, actors.EventMotionEnded); got.ID != started[0].ID {
			t.Fatalf("ended %s", got.ID)
		}
	}
	expectSilence(t, wsU, 300*time.Millisecond)
	expectSilence(t, wsA, 200*time.Millisecond)
}

func TestAnotherCameraCannotEndAnEvent(t *testing.T) {
	e := newTestEnv(t)
	u := e.signUp("owner@example.com")
	cam, cam2 := e.register(u, "cam", "camera"), e.register(u, "cam2", "camera")
	ev := decodeAs[eventAnswer](t, e.do("POST", "/events/motion/start", nil, cam.bearer()...),
		http.StatusCreated).Event
	expectError(t, e.do("POST", "/events/"+string(ev.ID)+"/motion/end", nil, cam2.bearer()...),
		http.StatusNotFound, "EVENT_NOT_FOUND")
	expectError(t, e.do("POST", "/events/motion/start", map[string]any{
		"startedAt": time.Now().Add(time.Hour)}, cam.bearer()...), http.StatusBadRequest, "INVALID_TIME")
}

func TestMotionLeftOpenIsClosedAfterTheCameraStaysOffline(t *testing.T) {
	e := newTestEnv(t, func(o *Options) {
		o.Actors = actors.New(actors.Config{Store: o.Devices.(*persistence.Devices),
			Commands: o.Commands.(*persistence.Commands), Events: o.Events.(*persistence.Events),
			Logger: o.Logger, MotionOpenTimeout: 300 * time.Millisecond})
		t.Cleanup(o.Actors.Shutdown)
	})
	u, cam, cli := commandSetup(t, e)
	base := e.listenWS()
	wsCli := dial(t, base, cli)
	e.waitOnline(u, cli, true)
	wsCam := dial(t, base, cam)
	e.waitOnline(u, cam, true)

	ev := decodeAs[eventAnswer](t, e.do("POST", "/events/motion/start", nil, cam.bearer()...),
		http.StatusCreated).Event
	expectMotion(t, wsCli, actors.EventMotionDetected)
	time.Sleep(500 * time.Millisecond)
	wsCam.Close()
	got := expectMotion(t, wsCli, actors.EventMotionEnded)
	if got.ID != ev.ID || got.EndReason == nil || *got.EndReason != actors.ReasonCameraOffline {
		t.Fatalf("closed %+v, want %s with reason %s", got, ev.ID, actors.ReasonCameraOffline)
	}
}

func TestEventHistoryPagesNeitherSkipNorRepeatWhileEventsArrive(t *testing.T) {
	e := newTestEnv(t)
	u := e.signUp("owner@example.com")
	cam, cam2 := e.register(u, "cam", "camera"), e.register(u, "cam2", "camera")
	start := func(c registered) wire.Event {
		return decodeAs[eventAnswer](t, e.do("POST", "/events/motion/start", nil, c.bearer()...),
			http.StatusCreated).Event
	}
	before := map[persistence.EventID]bool{}
	for range 25 {
		before[start(cam).ID] = true
	}
	start(cam2)

	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
				start(cam)
			}
		}
	}()
	seen := map[persistence.EventID]bool{}
	path := "/events?limit=4&cameraDeviceId=" + cam.ID
	var last *wire.Event
	for cursor := ""; ; {
		page := decodeAs[eventPage](t, e.do("GET", path+"&cursor="+cursor, nil, u.bearer()...),
			http.StatusOK)
		for _, ev := range page.Events {
			if seen[ev.ID] {
				t.Fatalf("event %s repeated", ev.ID)
			}
			if last != nil && ev.StartedAt.After(last.StartedAt) {
				t.Fatal("history is not newest first")
			}
			seen[ev.ID], last = true, &ev
		}
		if page.NextCursor == nil {
			break
		}
		cursor = *page.NextCursor
	}
	close(stop)
	wg.Wait()
	for id := range before {
		if !seen[id] {
			t.Fatalf("event %s, there before paging began, was skipped", id)
		}
	}
	expectError(t, e.do("GET", "/events?cursor=bm9wZQ", nil, u.bearer()...), http.StatusBadRequest,
		"INVALID_CURSOR")
	expectError(t, e.do("GET", "/events?limit=201", nil, u.bearer()...), http.StatusBadRequest,
		"INVALID_LIMIT")
	closed := decodeAs[eventPage](t, e.do("GET", "/events?status=closed", nil, u.bearer()...),
		http.StatusOK)
	other := decodeAs[eventPage](t, e.do("GET", "/events", nil, e.signUp("x@example.com").bearer()...),
		http.StatusOK)
	if len(closed.Events) != 0 || len(other.Events) != 0 || !strings.Contains(path, cam.ID) {
		t.Fatalf("filters leak: %d closed, %d of another user", len(closed.Events), len(other.Events))
	}
}
