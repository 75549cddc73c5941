package media

import (
	"fmt"
	"io"
	"net"
	"net/netip"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/logging"
	"github.com/pion/webrtc/v4"
)

// Payload types and fmtp lines offered for the codecs Vigil forwards. The
// numbers follow what browsers commonly use; any dynamic value would do.
const (
	payloadTypeVP8  = 96
	payloadTypeH264 = 102
	payloadTypeOpus = 111

	// h264Fmtp is Constrained Baseline 3.1 with packetization-mode=1
	// (RFC 6184 §8.1), what cameras and every browser can send and decode.
	h264Fmtp = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"
	// opusFmtp asks for in-band FEC (RFC 7587 §6.1).
	opusFmtp = "minptime=10;useinbandfec=1"
)

// videoFeedback is the RTCP feedback offered on video: NACK for loss,
// PLI and FIR for keyframes (RFC 4585, RFC 5104), and transport-wide
// congestion control.
var videoFeedback = []webrtc.RTCPFeedback{
	{Type: webrtc.TypeRTCPFBNACK},
	{Type: webrtc.TypeRTCPFBNACK, Parameter: "pli"},
	{Type: webrtc.TypeRTCPFBCCM, Parameter: "fir"},
	{Type: webrtc.TypeRTCPFBTransportCC},
}

// engine is the part of the SFU shared by every peer connection: one pion
// API and, with a fixed port, the UDP mux it listens on.
type engine struct {
	api *webrtc.API
	mux io.Closer // nil without a fixed UDP port
}

// newEngine builds the pion API from the config.
func newEngine(cfg Config, lf logging.LoggerFactory) (*engine, error) {
	me, err := newMediaEngine()
	if err != nil {
		return nil, err
	}
	reg := &interceptor.Registry{}
	if err := registerInterceptors(me, reg); err != nil {
		return nil, fmt.Errorf("register interceptors: %w", err)
	}
	se := webrtc.SettingEngine{LoggerFactory: lf}
	// A server announces plain addresses; mDNS would only add sockets.
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	local, loopback, external := splitICEIPs(cfg.ICEIPs)
	filter := gatherFilter(local, external)
	if err := applyICEAddresses(&se, filter, local != nil, loopback, external); err != nil {
		return nil, err
	}
	eng := &engine{}
	if cfg.UDPPort != 0 {
		mux, err := newUDPMux(cfg.UDPPort, filter, loopback, lf)
		if err != nil {
			return nil, err
		}
		se.SetICEUDPMux(mux)
		eng.mux = mux
	}
	eng.api = webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(reg),
		webrtc.WithSettingEngine(se))
	return eng, nil
}

// close releases the UDP mux, if any.
func (e *engine) close() error {
	if e.mux == nil {
		return nil
	}
	return e.mux.Close()
}

// newMediaEngine registers VP8, H264 and Opus: what cameras and browsers
// send, and nothing the SFU would have to transcode.
func newMediaEngine() (*webrtc.MediaEngine, error) {
	me := &webrtc.MediaEngine{}
	codecs := []struct {
		pt   webrtc.PayloadType
		cap  webrtc.RTPCodecCapability
		kind webrtc.RTPCodecType
	}{
		{payloadTypeVP8, webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeVP8, ClockRate: 90000, RTCPFeedback: videoFeedback,
		}, webrtc.RTPCodecTypeVideo},
		{payloadTypeH264, webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeH264, ClockRate: 90000, SDPFmtpLine: h264Fmtp,
			RTCPFeedback: videoFeedback,
		}, webrtc.RTPCodecTypeVideo},
		{payloadTypeOpus, webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2, SDPFmtpLine: opusFmtp,
		}, webrtc.RTPCodecTypeAudio},
	}
	for _, c := range codecs {
		params := webrtc.RTPCodecParameters{PayloadType: c.pt, RTPCodecCapability: c.cap}
		if err := me.RegisterCodec(params, c.kind); err != nil {
			return nil, fmt.Errorf("register codec %s: %w", c.cap.MimeType, err)
		}
	}
	return me, nil
}

// registerInterceptors adds NACK (generator toward the camera, responder
// toward viewers), RTCP sender and receiver reports, and TWCC feedback.
// It leaves out pion's stats interceptor, whose per-packet bookkeeping
// nothing here reads.
func registerInterceptors(me *webrtc.MediaEngine, reg *interceptor.Registry) error {
	if err := webrtc.ConfigureNack(me, reg); err != nil {
		return err
	}
	if err := webrtc.ConfigureRTCPReports(reg); err != nil {
		return err
	}
	return webrtc.ConfigureTWCCSender(me, reg)
}

// splitICEIPs sorts MEDIA_ICE_IPS into addresses of this machine, which
// restrict gathering, and other addresses, which are announced instead.
func splitICEIPs(ips []netip.Addr) (local map[netip.Addr]bool, loopback bool, external []string) {
	own := machineAddrs()
	for _, ip := range ips {
		ip = ip.Unmap()
		if ip.IsLoopback() || own[ip] {
			if local == nil {
				local = map[netip.Addr]bool{}
			}
			local[ip] = true
			loopback = loopback || ip.IsLoopback()
			continue
		}
		external = append(external, ip.String())
	}
	return local, loopback, external
}

// machineAddrs lists the addresses of this machine's interfaces.
func machineAddrs() map[netip.Addr]bool {
	out := map[netip.Addr]bool{}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return out
	}
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			out[p.Addr().Unmap()] = true
		}
	}
	return out
}

// gatherFilter says which of the machine's addresses ICE gathers on: the
// local addresses of MEDIA_ICE_IPS when it names any. When it names only
// external ones, the machine's addresses of their families: pion rewrites
// each address family by its own rule, so an IPv6 address would go out
// as it is beside an IPv4 public address, a private address no remote
// peer can reach. nil keeps every address.
func gatherFilter(local map[netip.Addr]bool, external []string) func(net.IP) bool {
	if local != nil {
		return func(ip net.IP) bool {
			a, ok := netip.AddrFromSlice(ip)
			return ok && local[a.Unmap()]
		}
	}
	if len(external) == 0 {
		return nil
	}
	var v4, v6 bool
	for _, e := range external {
		a := netip.MustParseAddr(e)
		v4, v6 = v4 || a.Is4(), v6 || a.Is6()
	}
	return func(ip net.IP) bool {
		a, ok := netip.AddrFromSlice(ip)
		return ok && (a.Unmap().Is4() && v4 || !a.Unmap().Is4() && v6)
	}
}

// applyICEAddresses restricts gathering with filter and announces the
// external addresses: in place of the gathered host addresses when no
// local address is given, beside them otherwise.
func applyICEAddresses(se *webrtc.SettingEngine, filter func(net.IP) bool, hasLocal, loopback bool,
	external []string,
) error {
	if filter != nil {
		se.SetIPFilter(filter)
	}
	se.SetIncludeLoopbackCandidate(loopback)
	if len(external) == 0 {
		return nil
	}
	mode := webrtc.ICEAddressRewriteReplace
	if hasLocal {
		mode = webrtc.ICEAddressRewriteAppend
	}
	err := se.SetICEAddressRewriteRules(webrtc.ICEAddressRewriteRule{
		External: external, AsCandidateType: webrtc.ICECandidateTypeHost, Mode: mode,
	})
	if err != nil {
		return fmt.Errorf("%w: MEDIA_ICE_IPS %v: %w", ErrInvalidConfig, external, err)
	}
	return nil
}

// newUDPMux listens on port on every kept address, so that all peers share
// one port per address (MEDIA_UDP_PORT).
func newUDPMux(port int, filter func(net.IP) bool, loopback bool,
	lf logging.LoggerFactory,
) (*ice.MultiUDPMuxDefault, error) {
	opts := []ice.UDPMuxFromPortOption{ice.UDPMuxFromPortWithLogger(lf.NewLogger("udpmux"))}
	if filter != nil {
		opts = append(opts, ice.UDPMuxFromPortWithIPFilter(filter))
	}
	if loopback {
		opts = append(opts, ice.UDPMuxFromPortWithLoopback())
	}
	mux, err := ice.NewMultiUDPMuxFromPort(port, opts...)
	if err != nil {
		return nil, fmt.Errorf("listen on MEDIA_UDP_PORT %d: %w", port, err)
	}
	return mux, nil
}
