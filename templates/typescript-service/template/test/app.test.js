// @ts-check
import assert from "node:assert/strict";
import { once } from "node:events";
import { test } from "node:test";

import { createApp, route, SERVICE } from "../src/app.js";

test("health check reports ok", () => {
  const reply = route("GET", "/healthz");
  assert.equal(reply.status, 200);
  assert.deepEqual(reply.body, { status: "ok", service: SERVICE });
});

test("unknown path is 404", () => {
  assert.equal(route("GET", "/nope").status, 404);
});

test("server answers over HTTP", async () => {
  const server = createApp().listen(0, "127.0.0.1");
  await once(server, "listening");
  try {
    const address = server.address();
    assert.ok(address && typeof address === "object");
    const response = await fetch(`http://127.0.0.1:${address.port}/healthz`);
    assert.equal(response.status, 200);
    assert.equal((await response.json()).status, "ok");
  } finally {
    server.close();
  }
});
