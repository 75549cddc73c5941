// The HTTP side of the simulator: every call goes to Vigil's public API,
// with the session cookie (user routes) or a device token (device routes).

// apiRoot is the folder above /sim/, so a proxy's path prefix carries over.
export const apiRoot = new URL("..", import.meta.url);

// ApiError is the contract's error body, {code, message}, with the status.
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// apiURL resolves a route against the API's root.
export function apiURL(path, query = {}) {
  const url = new URL(path.replace(/^\//, ""), apiRoot);
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
  }
  return url;
}

// api calls one route and answers its JSON, or throws an ApiError.
// token, when set, is sent as the bearer: a device token for device routes.
export async function api(method, path, { body, token, query } = {}) {
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  let res;
  try {
    res = await fetch(apiURL(path, query), {
      method, headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new ApiError(0, "NETWORK_ERROR", `${method} ${path}: ${err.message}`);
  }
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON: only an error body from something in front of Vigil.
  }
  if (!res.ok) {
    throw new ApiError(res.status, data?.code ?? `HTTP_${res.status}`,
      data?.message ?? (text.slice(0, 200) || res.statusText));
  }
  return data;
}
