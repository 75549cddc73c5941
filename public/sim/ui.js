// Small DOM helpers shared by the panels. Text always goes in as text,
// never as HTML: event data comes from other devices.

export const $ = (id) => document.getElementById(id);

// el makes an element with attributes (class, data-*, …) and children,
// where strings become text nodes.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === undefined || value === null) continue;
    if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

export function show(node, visible) {
  node.hidden = !visible;
}

// clock is a time as a phone shows it in a list.
export function clock(value) {
  const d = value ? new Date(value) : new Date();
  return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

const maxLogEntries = 200;

// log adds a line to the event log, newest first. kind is "event" for a
// websocket frame, "local" for what this page did, "error" for a failure.
// A line shows the gist; an object's whole JSON opens under it.
export function log(kind, name, data) {
  const list = $("event-log");
  const line = [el("time", { text: clock() }), " ", el("b", { text: name })];
  if (typeof data === "string" && data) line.push(" ", el("span", { text: data }));
  const item = el("li", { class: `log-${kind}`, "data-event": name });
  if (data && typeof data === "object") {
    const gist = summary(name, data);
    if (gist) line.push(" ", el("span", { text: gist }));
    item.append(el("details", {}, el("summary", {}, ...line),
      el("pre", { text: JSON.stringify(data, null, 2) })));
  } else {
    item.append(...line);
  }
  list.prepend(item);
  while (list.children.length > maxLogEntries) list.lastElementChild.remove();
}

// summary is the part of an event a person looks for first.
function summary(name, d) {
  if (name.startsWith("command:")) return `${d.commandType ?? ""} ${d.status ?? ""}`;
  if (name.startsWith("motion:")) return `${d.status} on ${short(d.cameraDeviceId)}`;
  if (name.startsWith("stream:")) {
    return `${short(d.id)} ${d.status}${d.endReason ? ` (${d.endReason})` : ""}`;
  }
  if (name === "device:presence") return `${short(d.deviceId)} ${d.online ? "online" : "offline"}`;
  if (name === "error") return `${d.code}: ${d.message}`;
  return "";
}

// notice shows a message at the top of the page; errors stay until the
// next notice, other messages fade after a few seconds.
let noticeTimer;
export function notice(message, isError = false) {
  const box = $("notice");
  box.textContent = message;
  box.classList.toggle("error", isError);
  show(box, true);
  clearTimeout(noticeTimer);
  if (!isError) noticeTimer = setTimeout(() => show(box, false), 4000);
}

// failed reports an error from an action: in the notice and the log.
export function failed(what, err) {
  const code = err?.code ? `${err.code}: ` : "";
  notice(`${what} failed: ${code}${err?.message ?? err}`, true);
  log("error", what, `${code}${err?.message ?? err}`);
}

// guard runs a button's action and reports its failure. While it runs the
// button is busy and ignores taps, so a double tap sends nothing twice;
// whether it is enabled stays the page's business. signal, when given,
// removes the handler (a panel's, when the device is forgotten).
export function guard(button, what, action, signal) {
  button.addEventListener("click", async (ev) => {
    ev.preventDefault();
    if (button.getAttribute("aria-busy") === "true") return;
    button.setAttribute("aria-busy", "true");
    try {
      await action();
    } catch (err) {
      failed(what, err);
    } finally {
      button.removeAttribute("aria-busy");
    }
  }, { signal });
}

// uuid is a random UUID (v4). crypto.randomUUID exists only in secure
// contexts, and a phone on the LAN may open the page over plain http.
export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// short is the first block of an id, enough to tell items apart on screen.
export const short = (id) => String(id ?? "").slice(0, 8);
