// WebRTC through Vigil's SFU: an offer to the stream's transport route,
// the answer back, and local ICE candidates trickled to its ice-candidate
// route as the browser finds them.

import { api } from "./api.js";

// requireSFU refuses credentials that do not send media through the SFU:
// legacy mode relays WebRTC over the websocket, and a mock provider has
// no media plane; the simulator speaks only to the SFU.
export function requireSFU(creds) {
  if (creds.signaling !== "http") {
    throw new Error(`this server's media is ${creds.mediaMode}/${creds.mediaProvider}; ` +
      "the simulator streams only through the SFU (MEDIA_MODE=single_server_sfu, MEDIA_PROVIDER=pion)");
  }
}

// trickle posts each local candidate as it is gathered. The server sends
// all of its own candidates in the answer, so nothing comes back this way.
function trickle(pc, streamId, token, onError) {
  pc.addEventListener("icecandidate", ({ candidate }) => {
    // A null or empty candidate marks the end of gathering; the route
    // wants real ones only.
    if (!candidate?.candidate) return;
    api("POST", `streams/${streamId}/sfu/ice-candidate`, { token, body: candidate.toJSON() })
      .catch((err) => onError("trickle ICE candidate", err));
  });
}

// negotiate sends pc's offer to a transport route and applies the answer.
async function negotiate(pc, streamId, token, route) {
  await pc.setLocalDescription(await pc.createOffer());
  const answer = await api("POST", `streams/${streamId}/sfu/${route}`,
    { token, body: { type: "offer", sdp: pc.localDescription.sdp } });
  await pc.setRemoteDescription({ type: "answer", sdp: answer.sdp });
  return answer;
}

// publish sends the tracks of media to the stream as its camera.
export async function publish({ streamId, token, media, iceServers, onError }) {
  const pc = new RTCPeerConnection({ iceServers });
  for (const track of media.getTracks()) {
    pc.addTransceiver(track, { direction: "sendonly", streams: [media] });
  }
  trickle(pc, streamId, token, onError);
  try {
    await negotiate(pc, streamId, token, "publish-transport");
  } catch (err) {
    pc.close();
    throw err;
  }
  return pc;
}

// subscribe receives the stream's video and audio into video.
export async function subscribe({ streamId, token, iceServers, video, onError }) {
  const pc = new RTCPeerConnection({ iceServers });
  pc.addTransceiver("video", { direction: "recvonly" });
  pc.addTransceiver("audio", { direction: "recvonly" });
  const remote = new MediaStream();
  pc.addEventListener("track", ({ track }) => {
    remote.addTrack(track);
    video.srcObject = remote;
    // Muted autoplay needs no user gesture; the call only starts it sooner.
    video.play().catch(() => {});
  });
  trickle(pc, streamId, token, onError);
  try {
    const answer = await negotiate(pc, streamId, token, "subscribe-transport");
    return { pc, viewerId: answer.viewerId };
  } catch (err) {
    pc.close();
    throw err;
  }
}
