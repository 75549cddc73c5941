// better-auth/client, unchanged, pointed at Vigil. Node's fetch keeps no
// cookies, so the client runs the bearer flow Better Auth documents for
// such clients: it keeps the set-auth-token header of a sign-in or sign-up
// and sends it back as `Authorization: Bearer`.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BASE_ERROR_CODES } from "better-auth";
import { createAuthClient } from "better-auth/client";
import { password, uniqueEmail, vigilURL } from "./setup.mjs";

function bearerClient() {
  const held = { token: "" };
  const client = createAuthClient({
    baseURL: vigilURL,
    fetchOptions: {
      auth: { type: "Bearer", token: () => held.token },
      onSuccess: (ctx) => {
        const token = ctx.response.headers.get("set-auth-token");
        if (token) held.token = token;
      },
    },
  });
  return { client, held };
}

describe("better-auth/client against Vigil", () => {
  it("signs up, reads the session, signs out and in again", async () => {
    const { client, held } = bearerClient();
    const email = uniqueEmail("client");

    const up = await client.signUp.email({ name: "Client", email, password });
    assert.equal(up.error, null, JSON.stringify(up.error));
    assert.equal(up.data.user.email, email);
    assert.equal(up.data.user.name, "Client");
    assert.match(up.data.token, /^[A-Za-z0-9]{32}$/);
    assert.ok(held.token.startsWith(`${up.data.token}.`), "no signed set-auth-token header");

    const session = await client.getSession();
    assert.equal(session.error, null, JSON.stringify(session.error));
    assert.equal(session.data.user.email, email);
    assert.equal(session.data.user.id, up.data.user.id);
    assert.equal(session.data.session.token, up.data.token);
    assert.ok(new Date(session.data.session.expiresAt) > new Date());

    const out = await client.signOut();
    assert.equal(out.error, null, JSON.stringify(out.error));
    assert.equal(out.data.success, true);
    const after = await client.getSession();
    assert.equal(after.error, null);
    assert.equal(after.data, null, "the session outlived sign-out");

    const inAgain = await client.signIn.email({ email, password });
    assert.equal(inAgain.error, null, JSON.stringify(inAgain.error));
    assert.equal(inAgain.data.user.id, up.data.user.id);
    assert.equal(inAgain.data.redirect, false);
    assert.notEqual(inAgain.data.token, up.data.token);
    const again = await client.getSession();
    assert.equal(again.data.session.token, inAgain.data.token);
  });

  it("gets Better Auth's error codes for a wrong password and a taken email", async () => {
    const { client } = bearerClient();
    const email = uniqueEmail("client-errors");
    const up = await client.signUp.email({ name: "E", email, password });
    assert.equal(up.error, null, JSON.stringify(up.error));

    const wrong = await client.signIn.email({ email, password: `${password}!` });
    assert.equal(wrong.data, null);
    assert.equal(wrong.error.status, 401);
    assert.equal(wrong.error.code, BASE_ERROR_CODES.INVALID_EMAIL_OR_PASSWORD.code);

    const taken = await client.signUp.email({ name: "E", email, password });
    assert.equal(taken.data, null);
    assert.equal(taken.error.status, 422);
    assert.equal(taken.error.code, BASE_ERROR_CODES.USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL.code);

    const short = await client.signUp.email({ name: "E", email: uniqueEmail("s"), password: "short" });
    assert.equal(short.error.status, 400);
    assert.equal(short.error.code, BASE_ERROR_CODES.PASSWORD_TOO_SHORT.code);
  });

  it("answers getSession with null data when the client holds no session", async () => {
    const { client } = bearerClient();
    const res = await client.getSession();
    assert.equal(res.error, null, JSON.stringify(res.error));
    assert.equal(res.data, null);
  });
});
