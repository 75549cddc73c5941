package metrics

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vigil-oss/vigil/actors"
	"github.com/vigil-oss/vigil/api"
	"github.com/vigil-oss/vigil/persistence"
)

func scrape(t *testing.T, r *Registry) string {
	t.Helper()
	rec := httptest.NewRecorder()
	r.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	body, _ := io.ReadAll(rec.Body)
	return string(body)
}

func TestScrapeReportsTheSourcesItHasAndOnlyThose(t *testing.T) {
	segments := &Segments{}
	segments.Add(1500)
	r := New(Sources{
		Actors: func() actors.Stats {
			return actors.Stats{Actors: map[actors.Kind]int64{actors.KindDevice: 3},
				Commands: map[string]uint64{"queued": 7}}
		},
		Sockets: func() api.SocketStats {
			return api.SocketStats{Open: map[string]int64{"websocket": 2}}
		},
		OpenStreams: func(context.Context) (map[persistence.StreamStatus]int64, error) {
			return map[persistence.StreamStatus]int64{persistence.StreamStreaming: 1}, nil
		},
		Segments: segments,
	})
	body := scrape(t, r)
	for _, want := range []string{
		`vigil_actors{kind="device"} 3`, `vigil_commands_total{status="queued"} 7`,
		`vigil_sockets_open{transport="websocket"} 2`, `vigil_streams{state="streaming"} 1`,
		"vigil_recording_segments_written_total 1", "vigil_recording_written_bytes_total 1500",
		"process_resident_memory_bytes", "go_gc_heap_live_bytes", "go_goroutines",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("no %q in the scrape", want)
		}
	}
	for _, absent := range []string{"vigil_sfu_", "vigil_recording_segments_uploaded_total"} {
		if strings.Contains(body, absent) {
			t.Errorf("%q reported without its source", absent)
		}
	}
}

func TestAFailingStreamCountLeavesTheRestOfTheScrape(t *testing.T) {
	r := New(Sources{
		Sockets: func() api.SocketStats {
			return api.SocketStats{Open: map[string]int64{"socketio": 4}}
		},
		OpenStreams: func(context.Context) (map[persistence.StreamStatus]int64, error) {
			return nil, errors.New("database down")
		},
	})
	body := scrape(t, r)
	if !strings.Contains(body, `vigil_sockets_open{transport="socketio"} 4`) {
		t.Fatal("sockets missing when the stream count failed")
	}
	if strings.Contains(body, "vigil_streams{") {
		t.Fatal("streams reported although they could not be counted")
	}
}
