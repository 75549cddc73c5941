// The camera's side: commands it receives and answers, motion events it
// reports, and the streams it publishes through the SFU.

import { api } from "./api.js";
import { publish, requireSFU } from "./rtc.js";
import { $, clock, el, failed, guard, log, notice, short, show, uuid } from "./ui.js";

// Statuses in which a command still waits for the camera's answer.
const open = new Set(["queued", "delivered"]);

export class CameraPanel {
  constructor({ device, motionKey }) {
    this.device = device;
    this.motionKey = motionKey;
    this.stop = new AbortController();
    this.commands = new Map(); // id → command, as last seen
    this.streams = new Map(); // id → {stream, pc}
    this.media = null; // the camera's MediaStream, once opened
    this.facing = "user";
    this.motion = savedMotion(motionKey, device.id); // the open motion event

    const signal = this.stop.signal;
    guard($("camera-preview"), "open camera", () => this.openCamera(), signal);
    guard($("motion-start"), "motion start", () => this.startMotion(), signal);
    guard($("motion-end"), "motion end", () => this.endMotion(), signal);
    show($("camera-panel"), true);
    this.render();
  }

  destroy() {
    this.stop.abort();
    for (const s of this.streams.values()) s.pc?.close();
    this.media?.getTracks().forEach((t) => t.stop());
    $("local-video").srcObject = null;
    $("camera-commands").replaceChildren();
    $("camera-streams").replaceChildren();
    show($("camera-panel"), false);
  }

  sessionChanged() {}

  handle(event, data) {
    switch (event) {
      case "command:received":
        this.received(data);
        break;
      case "stream:requested":
      case "stream:started":
      case "stream:ended":
        this.streamChanged(data);
        break;
      case "error":
        notice(`Server: ${data?.code}: ${data?.message}`, true);
        break;
    }
  }

  // received takes a delivered command. A command sent again after a
  // reconnect has the same id and is the same command: it is not redone.
  received(cmd) {
    const known = this.commands.has(cmd.id);
    this.commands.set(cmd.id, cmd);
    this.render();
    if (!known && cmd.commandType === "start_stream" && $("auto-accept").checked) {
      this.acceptStream(cmd).catch((err) => failed("start stream", err));
    }
  }

  // answer acks or rejects a command over HTTP, which answers the
  // recorded status (the websocket's command:ack does the same silently).
  async answer(cmd, status, reason) {
    const body = reason ? { status, reason } : { status };
    const res = await api("POST", `commands/${cmd.id}/ack`, { token: this.device.token, body });
    this.commands.set(cmd.id, res.command);
    this.render();
    if (status === "acknowledged") this.carryOut(res.command);
  }

  // carryOut does what an acknowledged command asks, as far as a browser can.
  carryOut(cmd) {
    const payload = cmd.payload ?? {};
    switch (cmd.commandType) {
      case "stop_stream":
        if (payload.streamSessionId) {
          this.endStream(payload.streamSessionId).catch((e) => failed("stop stream", e));
        }
        break;
      case "switch_camera":
        this.switchCamera(payload.facing).catch((e) => failed("switch camera", e));
        break;
      case "ring_siren":
        notice(`Siren for ${payload.durationSeconds ?? 30} s`);
        break;
    }
  }

  // acceptStream takes a start_stream command: accept the session, ack
  // the command, then publish the camera.
  async acceptStream(cmd) {
    const id = cmd.payload?.streamSessionId;
    if (!id) return this.answer(cmd, "rejected", "no streamSessionId");
    const token = this.device.token;
    try {
      const res = await api("POST", `streams/${id}/accept`, { token });
      this.track(res.streamSession);
    } catch (err) {
      await this.answer(cmd, "rejected", `cannot accept: ${err.code}`).catch(() => {});
      throw err;
    }
    await this.answer(cmd, "acknowledged");

    let pc;
    try {
      const creds = await api("GET", `streams/${id}/publish-credentials`, { token });
      requireSFU(creds);
      const media = await this.openCamera();
      pc = await publish({ streamId: id, token, media, iceServers: creds.iceServers,
        onError: (what, err) => failed(what, err) });
    } catch (err) {
      // A stream the camera cannot feed would keep the viewer waiting.
      await this.endStream(id).catch(() => {});
      throw err;
    }
    const entry = this.streams.get(id);
    if (!entry || entry.stream.status === "ended") {
      pc.close();
      this.releaseCamera();
      return;
    }
    entry.pc = pc;
    pc.addEventListener("connectionstatechange", () => {
      log("local", "publish connection", `${short(id)} ${pc.connectionState}`);
      this.render();
    });
    this.render();
  }

  track(stream) {
    const entry = this.streams.get(stream.id) ?? { stream, pc: null };
    entry.stream = stream;
    this.streams.set(stream.id, entry);
    return entry;
  }

  streamChanged(stream) {
    const entry = this.track(stream);
    if (stream.status === "ended") {
      entry.pc?.close();
      entry.pc = null;
      this.releaseCamera();
    }
    this.render();
  }

  async endStream(id) {
    await api("POST", `streams/${id}/end`, { token: this.device.token });
  }

  // openCamera asks for the camera (and the microphone when there is one).
  async openCamera() {
    if (this.media?.getTracks().some((t) => t.readyState === "live")) return this.media;
    if (!navigator.mediaDevices?.getUserMedia) {
      throw new Error("the camera needs a secure page: open the simulator over https or on localhost");
    }
    const video = { facingMode: this.facing };
    try {
      this.media = await navigator.mediaDevices.getUserMedia({ video, audio: true });
    } catch {
      this.media = await navigator.mediaDevices.getUserMedia({ video });
    }
    $("local-video").srcObject = this.media;
    return this.media;
  }

  // releaseCamera turns the camera off once no stream uses it.
  releaseCamera() {
    if ([...this.streams.values()].some((s) => s.pc)) return;
    this.media?.getTracks().forEach((t) => t.stop());
    this.media = null;
    $("local-video").srcObject = null;
  }

  // switchCamera swaps the video track in every live stream.
  async switchCamera(facing) {
    this.facing = facing === "back" ? "environment" : "user";
    if (!this.media) return;
    const fresh = await navigator.mediaDevices.getUserMedia({ video: { facingMode: this.facing } });
    const [track] = fresh.getVideoTracks();
    for (const { pc } of this.streams.values()) {
      const sender = pc?.getSenders().find((s) => s.track?.kind === "video");
      await sender?.replaceTrack(track);
    }
    this.media.getVideoTracks().forEach((t) => {
      t.stop();
      this.media.removeTrack(t);
    });
    this.media.addTrack(track);
  }

  async startMotion() {
    const res = await api("POST", "events/motion/start", {
      token: this.device.token, body: { clientEventId: uuid(), score: 80 } });
    this.motion = res.event;
    localStorage.setItem(this.motionKey, JSON.stringify(res.event));
    this.render();
  }

  async endMotion() {
    if (!this.motion) return;
    await api("POST", `events/${this.motion.id}/motion/end`, { token: this.device.token, body: {} });
    this.motion = null;
    localStorage.removeItem(this.motionKey);
    this.render();
  }

  render() {
    $("motion-state").textContent = this.motion
      ? `Motion since ${clock(this.motion.startedAt)} (event ${short(this.motion.id)})`
      : "No motion.";
    $("motion-start").disabled = !!this.motion;
    $("motion-end").disabled = !this.motion;

    const cmds = [...this.commands.values()].reverse();
    $("camera-commands").replaceChildren(...cmds.map((cmd) => this.commandItem(cmd)));
    const streams = [...this.streams.values()].reverse();
    $("camera-streams").replaceChildren(...streams.map((s) => this.streamItem(s)));
  }

  commandItem(cmd) {
    const waiting = open.has(cmd.status);
    const payload = cmd.payload && Object.keys(cmd.payload).length ? JSON.stringify(cmd.payload) : "";
    const item = el("li", { "data-id": cmd.id, "data-type": cmd.commandType },
      el("b", { text: cmd.commandType }), " ",
      el("span", { class: "status", "data-status": cmd.status, text: cmd.status }),
      payload ? el("code", { text: payload }) : null);
    if (waiting) {
      const ack = el("button", { type: "button", class: "ack", text: "Ack" });
      const reject = el("button", { type: "button", class: "reject secondary", text: "Reject" });
      const act = cmd.commandType === "start_stream"
        ? () => this.acceptStream(cmd)
        : () => this.answer(cmd, "acknowledged");
      guard(ack, "ack command", act, this.stop.signal);
      guard(reject, "reject command", () => this.answer(cmd, "rejected", "refused on the camera"),
        this.stop.signal);
      item.append(el("div", { class: "row" }, ack, reject));
    }
    return item;
  }

  streamItem({ stream, pc }) {
    const media = pc ? `media ${pc.connectionState}` : "no media";
    const item = el("li", { "data-id": stream.id, "data-status": stream.status },
      el("b", { text: `stream ${short(stream.id)}` }), " ",
      el("span", { class: "status", text: stream.status }), " ",
      el("span", { class: "muted", text: stream.status === "ended" ? stream.endReason ?? "" : media }));
    if (stream.status !== "ended") {
      const end = el("button", { type: "button", class: "secondary", text: "End" });
      guard(end, "end stream", () => this.endStream(stream.id), this.stop.signal);
      item.append(end);
    }
    return item;
  }
}

// savedMotion is the motion event this camera left open before a reload.
function savedMotion(key, deviceId) {
  try {
    const event = JSON.parse(localStorage.getItem(key));
    return event?.cameraDeviceId === deviceId && event.status === "open" ? event : null;
  } catch {
    return null;
  }
}
