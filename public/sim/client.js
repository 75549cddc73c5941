// The viewer's side: linking cameras, commands and their status, motion
// alerts and history, live video through the SFU, and stored videos.

import { api } from "./api.js";
import { requireSFU, subscribe } from "./rtc.js";
import { $, clock, el, failed, guard, log, notice, short, show, uuid } from "./ui.js";

// How long a viewer waits for the camera's video once the camera accepted,
// asking every publisherPollMs; a phone would show a spinner as long.
const publisherWaitMs = 30000;
const publisherPollMs = 500;
const historyPage = 10;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class ClientPanel {
  constructor({ device, session }) {
    this.device = device;
    this.session = session;
    this.stop = new AbortController();
    this.cameras = new Map(); // id → device, with linkId when linked to this phone
    this.commands = new Map(); // id → command, as last seen
    this.live = null; // {id, status, endReason, pc, viewerId}
    this.streamSeen = new Map(); // id → last stream:* data, for events that beat the answer
    this.cursor = null; // the motion history's next page
    this.historyLoads = 0;

    const signal = this.stop.signal;
    guard($("refresh-cameras"), "load cameras", () => this.loadCameras(), signal);
    guard($("send-command"), "send command", () => this.sendCommand(), signal);
    guard($("request-stream"), "watch live", () => this.requestStream(), signal);
    guard($("end-stream"), "stop watching", () => this.endStream(), signal);
    guard($("get-credentials"), "credentials", () => this.showCredentials(), signal);
    guard($("get-playback-token"), "playback token", () => this.showPlaybackToken(), signal);
    guard($("load-events"), "load history", () => this.loadEvents(true), signal);
    guard($("older-events"), "load history", () => this.loadEvents(false), signal);
    guard($("load-videos"), "load videos", () => this.loadVideos(), signal);
    guard($("upload"), "upload", () => this.upload(), signal);
    for (const form of ["command-form", "upload-form"]) {
      $(form).addEventListener("submit", (ev) => ev.preventDefault(), { signal });
    }
    show($("client-panel"), true);
    this.renderLive();
    this.sessionChanged();
  }

  destroy() {
    this.stop.abort();
    this.live?.pc?.close();
    this.live = null;
    $("remote-video").srcObject = null;
    for (const id of ["alerts", "cameras", "client-commands", "history", "videos"]) {
      $(id).replaceChildren();
    }
    show($("client-panel"), false);
  }

  // sessionChanged reloads what needs the user's session (the device
  // token alone cannot list devices, events or videos).
  sessionChanged() {
    if (!this.session()) return;
    this.loadCameras().catch((err) => failed("load cameras", err));
    this.loadEvents(true).catch((err) => failed("load history", err));
    this.loadVideos().catch((err) => failed("load videos", err));
  }

  handle(event, data) {
    switch (event) {
      case "command:status":
        this.commands.set(data.id, data);
        this.renderCommands();
        break;
      case "motion:detected":
      case "motion:ended":
        this.motion(data);
        break;
      case "device:presence":
        this.presence(data);
        break;
      case "stream:requested":
      case "stream:started":
      case "stream:ended":
        this.streamChanged(data);
        break;
      case "recording:stopped":
        notice(`Recording stopped: ${data?.reason}`);
        break;
      case "error":
        notice(`Server: ${data?.code}: ${data?.message}`, true);
        break;
    }
  }

  // Cameras and links.

  async loadCameras() {
    const [{ devices }, { links }] = await Promise.all([
      api("GET", "devices"), api("GET", "device-links")]);
    this.cameras.clear();
    for (const d of devices) {
      if (d.role === "camera") this.cameras.set(d.id, { ...d, linkId: null });
    }
    for (const l of links) {
      const cam = this.cameras.get(l.cameraDeviceId);
      if (cam && l.clientDeviceId === this.device.id) cam.linkId = l.id;
    }
    this.renderCameras();
  }

  async link(cameraId) {
    await api("POST", "device-links", { body: { cameraDeviceId: cameraId, clientDeviceId: this.device.id } });
    await this.loadCameras();
    $("target-camera").value = cameraId;
  }

  async unlink(linkId) {
    await api("DELETE", `device-links/${linkId}`);
    await this.loadCameras();
  }

  presence({ deviceId, online }) {
    const cam = this.cameras.get(deviceId);
    if (!cam) return;
    cam.online = online;
    this.renderCameras();
  }

  renderCameras() {
    const signal = this.stop.signal;
    const items = [...this.cameras.values()].map((cam) => {
      const item = el("li", { "data-id": cam.id, "data-linked": cam.linkId ? "true" : "false" },
        el("span", { class: cam.online ? "dot on" : "dot", title: cam.online ? "online" : "offline" }),
        el("b", { text: cam.name }), " ",
        el("span", { class: "muted", text: cam.online ? "online" : "offline" }));
      const button = cam.linkId
        ? el("button", { type: "button", class: "unlink secondary", text: "Unlink" })
        : el("button", { type: "button", class: "link", text: "Link" });
      guard(button, cam.linkId ? "unlink" : "link",
        () => (cam.linkId ? this.unlink(cam.linkId) : this.link(cam.id)), signal);
      item.append(button);
      return item;
    });
    $("cameras").replaceChildren(...items);
    if (!items.length) $("cameras").append(el("li", { class: "muted", text: "No camera yet." }));

    const select = $("target-camera");
    const chosen = select.value;
    const linked = [...this.cameras.values()].filter((c) => c.linkId);
    select.replaceChildren(...linked.map((c) => el("option", { value: c.id, text: c.name })));
    if (linked.some((c) => c.id === chosen)) select.value = chosen;
  }

  target() {
    const id = $("target-camera").value;
    if (!id) throw new Error("link a camera first");
    return id;
  }

  // Commands.

  async sendCommand() {
    const text = $("command-payload").value.trim();
    let payload;
    try {
      payload = text ? JSON.parse(text) : undefined;
    } catch {
      throw new Error("the payload is not JSON");
    }
    const res = await api("POST", "commands", { token: this.device.token, body: {
      targetDeviceId: this.target(), commandType: $("command-type").value, payload,
      idempotencyKey: uuid() } });
    // A command:status may already have brought a newer status.
    if (!this.commands.has(res.command.id)) this.commands.set(res.command.id, res.command);
    this.renderCommands();
  }

  renderCommands() {
    const items = [...this.commands.values()].reverse().map((cmd) =>
      el("li", { "data-id": cmd.id, "data-type": cmd.commandType },
        el("b", { text: cmd.commandType }), " ",
        el("span", { class: "status", "data-status": cmd.status, text: cmd.status }),
        cmd.reason ? el("span", { class: "muted", text: ` (${cmd.reason})` }) : null));
    $("client-commands").replaceChildren(...items);
  }

  // Motion.

  motion(event) {
    const cam = this.cameras.get(event.cameraDeviceId);
    const text = event.status === "open"
      ? `Motion on ${cam?.name ?? short(event.cameraDeviceId)} at ${clock(event.startedAt)}`
      : `Motion on ${cam?.name ?? short(event.cameraDeviceId)} ended at ${clock(event.endedAt)}`;
    const item = el("li", { class: "alert", "data-event-id": event.id, "data-status": event.status, text });
    const old = $("alerts").querySelector(`[data-event-id="${CSS.escape(event.id)}"]`);
    if (old) old.replaceWith(item);
    else $("alerts").prepend(item);
    if (event.status === "open" && navigator.vibrate) navigator.vibrate(200);
    if (this.session()) this.loadEvents(true).catch((err) => failed("load history", err));
  }

  async loadEvents(fromStart) {
    // Motion events reload the history as they arrive; only the latest
    // load may draw it, or a slow first page would undo an older one.
    const load = ++this.historyLoads;
    const query = { limit: historyPage, cursor: fromStart ? undefined : this.cursor };
    const { events, nextCursor } = await api("GET", "events", { query });
    if (load !== this.historyLoads) return;
    if (fromStart) $("history").replaceChildren();
    $("history").append(...events.map((e) => {
      const cam = this.cameras.get(e.cameraDeviceId);
      const ended = e.endedAt ? ` – ${clock(e.endedAt)}` : " (open)";
      return el("li", { "data-id": e.id, "data-status": e.status },
        el("b", { text: cam?.name ?? short(e.cameraDeviceId) }), " ",
        `${new Date(e.startedAt).toLocaleDateString()} ${clock(e.startedAt)}${ended}`,
        e.endReason ? el("span", { class: "muted", text: ` ${e.endReason}` }) : null,
        e.videoId ? this.eventVideoButton(e.videoId) : null);
    }));
    if (fromStart && !events.length) {
      $("history").append(el("li", { class: "muted", text: "No motion yet." }));
    }
    this.cursor = nextCursor;
    show($("older-events"), !!nextCursor);
  }

  // eventVideoButton plays the recording linked to a motion event.
  eventVideoButton(videoId) {
    const button = el("button", { type: "button", class: "play secondary", text: "Play video" });
    guard(button, "play video", () => this.play({ videoId }), this.stop.signal);
    return button;
  }

  // Live video.

  async requestStream() {
    this.live?.pc?.close();
    const res = await api("POST", "streams/request",
      { token: this.device.token, body: { cameraDeviceId: this.target() } });
    const s = res.streamSession;
    this.live = { id: s.id, status: s.status, endReason: null, pc: null, viewerId: null, watching: false };
    this.renderLive();
    // The camera may have answered before this request did.
    const seen = this.streamSeen.get(s.id);
    if (seen) this.streamChanged(seen);
  }

  streamChanged(s) {
    this.streamSeen.set(s.id, s);
    const live = this.live;
    if (!live || live.id !== s.id) return;
    live.status = s.status;
    live.endReason = s.endReason;
    if (s.status === "streaming" && !live.watching) {
      live.watching = true;
      this.watch(live).catch((err) => {
        live.watching = false;
        failed("watch live", err);
        this.renderLive();
      });
    }
    if (s.status === "ended") {
      live.pc?.close();
      live.pc = null;
    }
    this.renderLive();
  }

  // watch subscribes once the camera publishes: the SFU refuses a viewer
  // before the camera's offer is in.
  async watch(live) {
    const token = this.device.token;
    const creds = await api("GET", `streams/${live.id}/subscribe-credentials`, { token });
    requireSFU(creds);
    const deadline = Date.now() + publisherWaitMs;
    for (;;) {
      if (this.live !== live || live.status === "ended") return;
      const room = await api("GET", `streams/${live.id}/sfu/session`, { token });
      if (room.publisher.publishing) break;
      if (Date.now() > deadline) throw new Error("the camera accepted but sent no video");
      await sleep(publisherPollMs);
    }
    const { pc, viewerId } = await subscribe({ streamId: live.id, token, iceServers: creds.iceServers,
      video: $("remote-video"), onError: (what, err) => failed(what, err) });
    if (this.live !== live || live.status === "ended") {
      pc.close();
      return;
    }
    live.pc = pc;
    live.viewerId = viewerId;
    pc.addEventListener("connectionstatechange", () => {
      log("local", "viewer connection", `${short(live.id)} ${pc.connectionState}`);
      this.renderLive();
    });
    this.renderLive();
  }

  async endStream() {
    if (!this.live) return;
    await api("POST", `streams/${this.live.id}/end`, { token: this.device.token });
  }

  async showCredentials() {
    const creds = await api("GET", `streams/${this.live.id}/subscribe-credentials`,
      { token: this.device.token });
    this.details(creds);
  }

  async showPlaybackToken() {
    const tok = await api("GET", `streams/${this.live.id}/playback-token`, { token: this.device.token });
    this.details(tok);
  }

  details(value) {
    $("stream-details").textContent = JSON.stringify(value, null, 2);
    show($("stream-details"), true);
  }

  renderLive() {
    const live = this.live;
    let text = "Not watching.";
    if (live?.status === "requested") text = "Waiting for the camera to accept…";
    if (live?.status === "streaming") {
      text = live.pc
        ? `Live (${live.pc.connectionState}), viewer ${short(live.viewerId)}`
        : "Camera accepted; waiting for its video…";
    }
    if (live?.status === "ended") text = `Ended: ${live.endReason ?? "ended"}.`;
    $("stream-state").textContent = text;
    $("stream-state").dataset.status = live?.status ?? "none";
    const active = !!live && live.status !== "ended";
    $("request-stream").disabled = active;
    $("end-stream").disabled = !active;
    $("get-credentials").disabled = !active;
    $("get-playback-token").disabled = !active;
    if (!active) $("remote-video").srcObject = null;
  }

  // Stored videos.

  async loadVideos() {
    const { videos, truncated } = await api("GET", "videos");
    const signal = this.stop.signal;
    const items = videos.map((v) => {
      const play = el("button", { type: "button", class: "play secondary", text: "Play" });
      const save = el("button", { type: "button", class: "download secondary", text: "Download" });
      guard(play, "play video", () => this.play({ objectKey: v.objectKey }), signal);
      guard(save, "download video", () => this.download({ objectKey: v.objectKey }), signal);
      return el("li", { "data-key": v.objectKey, "data-status": v.status },
        el("b", { text: v.fileName }), " ",
        el("span", { class: "muted",
          text: `${formatSize(v.size)} · ${clock(v.createdAt ?? v.lastModified)}` }),
        el("div", { class: "row" }, play, save));
    });
    $("videos").replaceChildren(...items);
    if (!items.length) $("videos").append(el("li", { class: "muted", text: "No video yet." }));
    if (truncated) $("videos").append(el("li", { class: "muted", text: "More videos exist than listed." }));
  }

  // downloadURL asks for a presigned GET of a video named by objectKey
  // or by videoId (motion events know only the id).
  async downloadURL(name) {
    const { downloadUrl } = await api("GET", "videos/download-url", { query: name });
    return downloadUrl;
  }

  // play loads a video into the player. Storage answers downloads as
  // attachments, which a media element plays all the same.
  async play(name) {
    const player = $("playback");
    player.src = await this.downloadURL(name);
    show(player, true);
    await player.play().catch(() => {});
  }

  async download(name) {
    const link = el("a", { href: await this.downloadURL(name), download: "" });
    document.body.append(link);
    link.click();
    link.remove();
  }

  // upload puts a file straight into storage with a presigned URL.
  async upload() {
    const file = $("upload-file").files[0];
    if (!file) throw new Error("choose a file first");
    const contentType = /^(video|audio|image)\//.test(file.type) ? file.type : "application/octet-stream";
    const status = $("upload-status");
    status.textContent = `uploading ${file.name}…`;
    const target = await api("POST", "videos/upload-url",
      { body: { fileName: file.name, deviceId: this.device.id, contentType } });
    const res = await fetch(target.uploadUrl,
      { method: target.method ?? "PUT", headers: target.headers, body: file });
    if (!res.ok) {
      status.textContent = `upload failed: storage answered ${res.status}`;
      throw new Error(`storage answered ${res.status}`);
    }
    status.textContent = `uploaded ${target.objectKey}`;
    log("local", "uploaded", target.objectKey);
    await this.loadVideos();
  }
}

function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1 << 20) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1 << 20)).toFixed(1)} MiB`;
}
