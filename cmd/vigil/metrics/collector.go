package metrics

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
)

// desc names one metric with its variable labels.
func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(prometheus.BuildFQName(namespace, "", name), help, labels, nil)
}

// The descriptions the collector emits.
var (
	descSocketsOpen = desc("sockets_open",
		"Realtime sockets open now, by transport (websocket is /ws, socketio is /socket.io/).",
		"transport")
	descSocketsAccepted = desc("sockets_accepted_total",
		"Realtime sockets accepted since start, by transport.", "transport")
	descActors = desc("actors",
		"Actors running now, by kind (device, link, stream).", "kind")
	descActorMessages = desc("actor_messages_total",
		"Messages actors have received, lifecycle messages included, by kind.", "kind")
	descCommands = desc("commands_total",
		"Command status changes by new status; queued counts commands created.", "status")
	descMotion = desc("motion_events_total",
		"Motion events fanned out to linked clients, by event (motion:detected, motion:ended).",
		"event")
	descStreams = desc("streams",
		"Stream sessions not ended, by state, as Postgres holds them (all instances).", "state")
	descStreamsEnded = desc("streams_ended_total",
		"Stream sessions this process ended, by end reason.", "reason")
	descRooms      = desc("sfu_rooms", "SFU rooms open now.")
	descPublishers = desc("sfu_publishers", "Cameras publishing to the SFU now.")
	descPacketsIn  = desc("sfu_rtp_packets_received_total",
		"RTP packets the SFU read from cameras.")
	descPacketsOut = desc("sfu_rtp_packets_forwarded_total",
		"RTP packets the SFU wrote to viewers.")
	descBytesOut = desc("sfu_rtp_bytes_forwarded_total",
		"Bytes of RTP packets (header and payload) the SFU wrote to viewers.")
	descSegments = desc("recording_segments_written_total",
		"Recorded WebM segments finished on local disk.")
	descSegmentBytes = desc("recording_written_bytes_total",
		"Bytes of recorded WebM segments finished on local disk.")
	descUploaded = desc("recording_segments_uploaded_total",
		"Recorded segments stored in object storage with their row.")
	descUploadedBytes = desc("recording_uploaded_bytes_total",
		"Bytes of recorded segments stored in object storage.")
	descUploadFailures = desc("recording_upload_failures_total",
		"Failed upload attempts of recorded segments (retried) and segments given up on.")
	descUploadPending = desc("recording_segments_pending",
		"Recorded segments waiting for an upload attempt.")
)

// collector turns the sources' snapshots into metrics at each scrape.
type collector struct {
	src Sources
}

// Describe sends nothing: the metrics depend on which sources are set,
// which makes this an unchecked collector, as Prometheus allows.
func (c *collector) Describe(chan<- *prometheus.Desc) {}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	if c.src.Sockets != nil {
		st := c.src.Sockets()
		for t, n := range st.Open {
			ch <- gauge(descSocketsOpen, float64(n), t)
		}
		for t, n := range st.Accepted {
			ch <- counter(descSocketsAccepted, float64(n), t)
		}
	}
	if c.src.Actors != nil {
		c.collectActors(ch)
	}
	if c.src.OpenStreams != nil {
		c.collectStreams(ch)
	}
	if c.src.SFU != nil {
		st := c.src.SFU()
		ch <- gauge(descRooms, float64(st.Rooms))
		ch <- gauge(descPublishers, float64(st.Publishers))
		ch <- counter(descPacketsIn, float64(st.PacketsIn))
		ch <- counter(descPacketsOut, float64(st.PacketsForwarded))
		ch <- counter(descBytesOut, float64(st.BytesForwarded))
	}
	if c.src.Segments != nil {
		ch <- counter(descSegments, float64(c.src.Segments.n.Load()))
		ch <- counter(descSegmentBytes, float64(c.src.Segments.bytes.Load()))
	}
	if c.src.Uploads != nil {
		st := c.src.Uploads()
		ch <- counter(descUploaded, float64(st.Uploaded))
		ch <- counter(descUploadedBytes, float64(st.UploadedBytes))
		ch <- counter(descUploadFailures, float64(st.Failed))
		ch <- gauge(descUploadPending, float64(st.Pending))
	}
}

func (c *collector) collectActors(ch chan<- prometheus.Metric) {
	st := c.src.Actors()
	for k, n := range st.Actors {
		ch <- gauge(descActors, float64(n), string(k))
	}
	for k, n := range st.Messages {
		ch <- counter(descActorMessages, float64(n), string(k))
	}
	for s, n := range st.Commands {
		ch <- counter(descCommands, float64(n), s)
	}
	for e, n := range st.Motion {
		ch <- counter(descMotion, float64(n), e)
	}
	for r, n := range st.StreamsEnded {
		ch <- counter(descStreamsEnded, float64(n), r)
	}
}

func (c *collector) collectStreams(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), streamCountTimeout)
	defer cancel()
	open, err := c.src.OpenStreams(ctx)
	if err != nil {
		c.src.Logger.Warn("metrics: open streams not counted", "err", err)
		return
	}
	for state, n := range open {
		ch <- gauge(descStreams, float64(n), string(state))
	}
}

func gauge(d *prometheus.Desc, v float64, labels ...string) prometheus.Metric {
	return prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

func counter(d *prometheus.Desc, v float64, labels ...string) prometheus.Metric {
	return prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
}
