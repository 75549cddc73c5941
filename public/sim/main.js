// The simulator's start: the account, this phone's device and its socket.
// The role's panel (camera.js or client.js) takes over from there.

import { api, ApiError } from "./api.js";
import { CameraPanel } from "./camera.js";
import { ClientPanel } from "./client.js";
import { DeviceSocket } from "./socket.js";
import { $, failed, guard, log, notice, show } from "./ui.js";

// profile names this simulated phone's slot in localStorage, so that two
// tabs of one browser can be two phones: ?profile=camera, ?profile=viewer.
const profile = (() => {
  const name = new URLSearchParams(location.search).get("profile") ?? "";
  return /^[\w-]{1,32}$/.test(name) ? name : "default";
})();
const deviceKey = `vigil-sim/${profile}/device`;
// motionKey keeps a camera's open motion event over a reload, so that it
// can still be ended.
const motionKey = `vigil-sim/${profile}/motion`;

const state = {
  session: null, // {session, user} from get-session, or null
  device: null, // {id, name, role, token}, kept in localStorage
  socket: null,
  panel: null,
};

function savedDevice() {
  try {
    const d = JSON.parse(localStorage.getItem(deviceKey));
    return d?.id && d?.token && d?.role ? d : null;
  } catch {
    return null;
  }
}

function render() {
  const user = state.session?.user;
  show($("auth-form"), !user);
  show($("signed-in"), !!user);
  if (user) {
    $("user-name").textContent = user.name;
    $("user-email").textContent = user.email;
  }
  const d = state.device;
  show($("device-panel"), !!user || !!d);
  show($("register-form"), !d);
  show($("device-info"), !!d);
  if (d) {
    $("device-label").textContent = d.name;
    $("device-role").textContent = d.role === "camera" ? "camera" : "viewer";
    $("device-id").textContent = d.id;
  } else {
    setSocketState("none", "no device");
  }
  document.body.dataset.role = d?.role ?? "";
}

function setSocketState(name, label = name) {
  const chip = $("socket-state");
  chip.dataset.state = name;
  chip.textContent = label;
}

// startDevice opens the device's socket and its role's panel.
function startDevice() {
  const d = state.device;
  const Panel = d.role === "camera" ? CameraPanel : ClientPanel;
  state.panel = new Panel({ device: d, motionKey, session: () => state.session });
  state.socket = new DeviceSocket(d.token, {
    onEvent(event, data) {
      log("event", event, data);
      state.panel?.handle(event, data);
    },
    onState(name, detail) {
      setSocketState(name);
      log("local", `socket ${name}`, detail);
      if (name === "stopped") notice(`Realtime connection ${detail}`, true);
    },
  });
  state.socket.open();
}

function stopDevice() {
  state.socket?.close();
  state.panel?.destroy();
  state.socket = null;
  state.panel = null;
}

async function authenticate(route, body) {
  await api("POST", `api/auth/${route}`, { body });
  state.session = await api("GET", "api/auth/get-session");
  log("local", route, state.session?.user?.email);
  $("auth-password").value = "";
  render();
  state.panel?.sessionChanged();
}

function authBody() {
  return { email: $("auth-email").value.trim(), password: $("auth-password").value };
}

async function register(role) {
  const name = $("device-name").value.trim() || (role === "camera" ? "Browser camera" : "Browser viewer");
  const res = await api("POST", "devices/register",
    { body: { name, role, platform: "browser-simulator" } });
  state.device = { id: res.device.id, name: res.device.name, role: res.device.role, token: res.deviceToken };
  localStorage.setItem(deviceKey, JSON.stringify(state.device));
  log("local", "device registered", { id: state.device.id, role });
  render();
  startDevice();
}

// checkDevice asks the server whether the saved token still works: a
// rotated token or a disabled device is forgotten here too.
async function checkDevice(d) {
  try {
    await api("POST", `devices/${d.id}/heartbeat`, { token: d.token, body: {} });
    return true;
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 403 || err.status === 404)) {
      notice(`The saved device no longer works (${err.code}); register again.`, true);
      localStorage.removeItem(deviceKey);
      return false;
    }
    // The server is unreachable: keep the device and let the socket retry.
    failed("device check", err);
    return true;
  }
}

function wire() {
  $("auth-form").addEventListener("submit", (ev) => ev.preventDefault());
  guard($("sign-in"), "sign in", () => authenticate("sign-in/email", authBody()));
  guard($("sign-up"), "sign up", () => {
    const body = authBody();
    body.name = $("auth-name").value.trim() || body.email.split("@")[0];
    return authenticate("sign-up/email", body);
  });
  guard($("sign-out"), "sign out", async () => {
    await api("POST", "api/auth/sign-out", { body: {} });
    state.session = null;
    log("local", "sign out");
    render();
    state.panel?.sessionChanged();
  });
  guard($("register-camera"), "register", () => register("camera"));
  guard($("register-client"), "register", () => register("client"));
  guard($("forget-device"), "forget device", async () => {
    stopDevice();
    localStorage.removeItem(deviceKey);
    localStorage.removeItem(motionKey);
    state.device = null;
    log("local", "device forgotten");
    render();
  });
  $("clear-log").addEventListener("click", () => $("event-log").replaceChildren());
}

async function boot() {
  wire();
  try {
    state.session = await api("GET", "api/auth/get-session");
  } catch (err) {
    failed("load session", err);
  }
  const saved = savedDevice();
  if (saved && (await checkDevice(saved))) state.device = saved;
  render();
  if (state.device) startDevice();
  document.body.dataset.ready = "true";
}

boot();
