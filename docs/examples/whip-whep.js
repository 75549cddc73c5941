// A minimal WHIP publisher and WHEP player for Vigil, in plain browser
// JavaScript (RFC 9725 and the WHEP draft): one POST of the SDP offer, the
// answer back, the Location kept for DELETE. api/streams_browser_test.go
// runs this file in Chromium against a real Vigil.

// waitForCandidates resolves when the browser has gathered its ICE
// candidates, so they go in the offer: Vigil trickles nothing back.
function waitForCandidates(pc) {
  return new Promise((resolve) => {
    if (pc.iceGatheringState === "complete") return resolve();
    pc.addEventListener("icegatheringstatechange", () => {
      if (pc.iceGatheringState === "complete") resolve();
    });
  });
}

// exchange posts pc's offer to url with a bearer token and applies the
// answer; it returns the resource URL to DELETE when done.
async function exchange(pc, url, token) {
  await pc.setLocalDescription(await pc.createOffer());
  await waitForCandidates(pc);
  const res = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/sdp", Authorization: `Bearer ${token}` },
    body: pc.localDescription.sdp,
  });
  if (res.status !== 201) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  await pc.setRemoteDescription({ type: "answer", sdp: await res.text() });
  return new URL(res.headers.get("Location"), url).href;
}

// whipPublish sends a MediaStream (a camera) to a stream session with the
// camera's device token: url is https://<host>/whip/streams/<id>.
async function whipPublish(url, deviceToken, stream) {
  const pc = new RTCPeerConnection();
  for (const track of stream.getTracks()) pc.addTransceiver(track, { direction: "sendonly" });
  return { pc, resource: await exchange(pc, url, deviceToken) };
}

// whepPlay plays a stream session in a <video> element with a playback
// token (GET /streams/<id>/playback-token) or a linked client's device
// token: url is https://<host>/whep/streams/<id>.
async function whepPlay(url, token, video) {
  const pc = new RTCPeerConnection();
  pc.addTransceiver("video", { direction: "recvonly" });
  pc.addTransceiver("audio", { direction: "recvonly" });
  const stream = new MediaStream();
  pc.ontrack = (e) => stream.addTrack(e.track);
  video.srcObject = stream;
  video.muted = true; // browsers autoplay muted video only
  video.play().catch(() => {});
  return { pc, resource: await exchange(pc, url, token) };
}

// stop closes the peer connection and deletes the resource on the server.
async function stop({ pc, resource }, token) {
  pc.close();
  await fetch(resource, { method: "DELETE", headers: { Authorization: `Bearer ${token}` } });
}
