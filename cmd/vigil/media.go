package main

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/vigil-oss/vigil/api"
	"github.com/vigil-oss/vigil/cmd/vigil/config"
	"github.com/vigil-oss/vigil/media"
)

// mediaPlane is what serve builds for live streams: the SFU (nil in
// legacy mode or with the mock provider) and the embedded TURN server
// (nil unless TURN_EMBEDDED_LISTEN is set).
type mediaPlane struct {
	sfu  *media.SFU
	turn *media.TURNServer
}

// startMedia starts the embedded TURN server, then the SFU.
func startMedia(log *slog.Logger, m config.Media) (*mediaPlane, error) {
	p := &mediaPlane{}
	if m.TURNEmbeddedListen != "" {
		ts, err := media.StartTURNServer(media.TURNServerConfig{ListenAddr: m.TURNEmbeddedListen,
			RelayIP: m.TURNEmbeddedRelayIP, Secret: m.TURNSecret, Logger: log.With("component", "turn")})
		if err != nil {
			return nil, fmt.Errorf("setting TURN_EMBEDDED_LISTEN: %w", err)
		}
		p.turn = ts
		log.Info("embedded turn server listening", "addr", ts.Addr().String())
	}
	if m.Mode != api.MediaModeSFU || m.Provider != api.ProviderPion {
		log.Info("no media plane", "mediaMode", m.Mode, "mediaProvider", m.Provider)
		return p, nil
	}
	sfu, err := media.New(media.Config{ICEIPs: m.ICEIPs, UDPPort: m.UDPPort,
		MaxPublishers: m.MaxPublishers, MaxSubscribersPerRoom: m.MaxSubscribersPerRoom,
		Logger: log.With("component", "sfu")})
	if err != nil {
		p.close(log)
		return nil, fmt.Errorf("start the SFU (MEDIA_ICE_IPS, MEDIA_UDP_PORT): %w", err)
	}
	p.sfu = sfu
	return p, nil
}

// close stops the SFU, then the TURN server: the reverse of start. Rooms
// are closed by their actors before.
func (p *mediaPlane) close(log *slog.Logger) {
	if p.sfu != nil {
		if err := p.sfu.Close(); err != nil {
			log.Warn("sfu did not close cleanly", "err", err)
		}
	}
	if p.turn != nil {
		if err := p.turn.Close(); err != nil {
			log.Warn("turn server did not close cleanly", "err", err)
		}
	}
}

// mediaOptions is what the HTTP layer tells devices about media.
func mediaOptions(m config.Media) api.MediaOptions {
	return api.MediaOptions{Mode: m.Mode, Provider: m.Provider, RequestTimeout: m.StreamRequestTimeout,
		TURN: media.TURNConfig{URLs: m.TURNURLs, Username: m.TURNUsername,
			Credential: m.TURNCredential, Secret: m.TURNSecret, TTL: m.TURNTTL}}
}

// streamStopTimeout bounds how long shutdown waits for one stream to
// record its end and close its room.
const streamStopTimeout = 5 * time.Second
