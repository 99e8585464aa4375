// docs/openapi.yaml: a valid OpenAPI document (@apidevtools/swagger-parser), with every
// route of DESIGN §5, and true to a real forklined: each request below is sent to a
// daemon on free loopback ports, its status must be one the document lists for that
// operation, and its JSON body (or every SSE message's data) must match the schema.
// Usage: FORKLINED=path/to/forklined node openapi_test.mjs docs/openapi.yaml
import SwaggerParser from "@apidevtools/swagger-parser";
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const docPath = process.argv[2] ?? path.join(here, "../../docs/openapi.yaml");
const failures = [];
const fail = (what) => { failures.push(what); console.log("FAIL " + what); };

// The routes DESIGN §5 names (method, path template), and those the daemon added since.
const REQUIRED = [
  ["get", "/"], ["get", "/healthz"], ["get", "/metrics"], ["get", "/v1/workflows"],
  ["get", "/v1/runs"], ["post", "/v1/runs"], ["get", "/v1/runs/{id}"],
  ["get", "/v1/runs/{id}/lineage"], ["get", "/v1/runs/{id}/steps/{index}/output"],
  ...["next", "pause", "resume", "cancel", "retry", "fork"].map((a) => ["post", `/v1/runs/{id}/${a}`]),
  ["put", "/v1/runs/{id}/autorun"], ["get", "/v1/runs/{id}/events"], ["get", "/v1/events"],
  ["get", "/v1/runs/{id}/diff/{other}"], ["post", "/v1/admin/backup"],
];

// A small JSON Schema check for the OpenAPI 3.0 subset the document uses.
function check(schema, value, where) {
  if (!schema) return [];
  if (value === null) return schema.nullable ? [] : [`${where}: null is not allowed`];
  const errs = [];
  for (const sub of schema.allOf ?? []) errs.push(...check(sub, value, where));
  const t = schema.type;
  const typeOk = !t || (t === "integer" ? Number.isInteger(value)
    : t === "array" ? Array.isArray(value)
    : t === "object" ? typeof value === "object" && !Array.isArray(value)
    : typeof value === t);
  if (!typeOk) return [...errs, `${where}: expected ${t}, got ${JSON.stringify(value)?.slice(0, 80)}`];
  if (schema.enum && !schema.enum.includes(value)) errs.push(`${where}: ${JSON.stringify(value)} not in ${schema.enum}`);
  if (schema.minimum !== undefined && value < schema.minimum) errs.push(`${where}: ${value} < ${schema.minimum}`);
  if (t === "object" || schema.properties) {
    for (const k of schema.required ?? []) if (!(k in value)) errs.push(`${where}: lacks ${k}`);
    for (const [k, sub] of Object.entries(schema.properties ?? {})) {
      if (k in value) errs.push(...check(sub, value[k], `${where}.${k}`));
    }
  }
  if (t === "array") value.forEach((v, i) => errs.push(...check(schema.items, v, `${where}[${i}]`)));
  return errs;
}

async function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

async function startDaemon(tmp, token) {
  const [zport, hport] = [await freePort(), await freePort()];
  const config = path.join(tmp, "forkline.toml");
  fs.writeFileSync(config, `workflows_dir = "${tmp}/workflows"\n[store]\npath = "${tmp}/data"\n` +
    `[zmq]\nbind = "tcp://127.0.0.1:${zport}"\n[http]\nbind = "127.0.0.1:${hport}"\n` +
    `web_dir = "${path.join(here, "../../web")}"\n[auth]\ntoken = "${token}"\n`);
  const log = fs.openSync(path.join(tmp, "forklined.log"), "a");
  const proc = spawn(path.resolve(process.env.FORKLINED ?? ""), ["--config", config], { stdio: ["ignore", log, log], cwd: tmp });
  const base = `http://127.0.0.1:${hport}`;
  for (let i = 0; ; i++) {
    if (proc.exitCode !== null) throw new Error("forklined exited " + proc.exitCode);
    try { if ((await fetch(base + "/healthz")).ok) break; } catch { /* not yet */ }
    if (i > 600) throw new Error("forklined did not come up");
    await new Promise((r) => setTimeout(r, 50));
  }
  return { proc, base };
}

// Sends one request; checks the status is documented and the body matches its schema.
async function send(api, d, token, { method, template, url, body, auth = true, expect, sse = 0 }) {
  const op = api.paths[template]?.[method];
  const name = `${method.toUpperCase()} ${url}`;
  if (!op) return fail(`${name}: no operation ${method} ${template} in the document`);
  const headers = { ...(auth ? { Authorization: "Bearer " + token } : {}) };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const ctl = new AbortController();
  const guard = setTimeout(() => ctl.abort(), 60000);  // a hang guard, not a timing assert
  const res = await fetch(d.base + url, { method: method.toUpperCase(), headers, signal: ctl.signal,
                                          body: body === undefined ? undefined : JSON.stringify(body) });
  const documented = op.responses[String(res.status)];
  if (expect && res.status !== expect) fail(`${name}: status ${res.status}, expected ${expect}`);
  if (!documented) return fail(`${name}: status ${res.status} is not documented`);
  const type = (res.headers.get("content-type") ?? "").split(";")[0];
  const media = documented.content?.[type];
  if (documented.content && !media) return fail(`${name}: content type ${type} not documented`);
  if (type === "text/event-stream") {
    let events = [];
    try {
      events = await readSse(res, sse, ctl);
    } catch (e) {
      if (e.name !== "AbortError") throw e;
    }
    clearTimeout(guard);
    const schema = api.components.schemas.Event;
    const errs = events.flatMap((ev) => check(schema, ev, `${name} event ${ev.type}`));
    if (events.length < sse) errs.push(`${name}: ${events.length} SSE events, expected ${sse}`);
    errs.forEach(fail);
    if (!errs.length) console.log(`ok   ${name} ${res.status} (${events.length} events)`);
    return events;
  }
  const text = await res.text();
  clearTimeout(guard);
  const value = type === "application/json" ? JSON.parse(text) : text;
  const errs = check(media?.schema, value, name);
  errs.forEach(fail);
  if (!errs.length) console.log(`ok   ${name} ${res.status}`);
  return value;
}

async function readSse(res, atLeast, ctl) {
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  const out = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += decoder.decode(value, { stream: true });
    let i;
    while ((i = buf.indexOf("\n\n")) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const data = block.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trimStart());
      if (data.length) out.push(JSON.parse(data.join("\n")));
    }
    if (atLeast && out.length >= atLeast && !res.url.includes("until=terminal")) { ctl.abort(); break; }
  }
  return out;
}

async function main() {
  const api = await SwaggerParser.validate(docPath);  // throws on an invalid document
  console.log(`ok   ${docPath} is a valid OpenAPI ${api.openapi} document`);
  for (const [m, p] of REQUIRED) if (!api.paths[p]?.[m]) fail(`route ${m.toUpperCase()} ${p} is not documented`);

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fl-openapi-"));
  const token = "openapi-token";
  const d = await startDaemon(tmp, token);
  try {
    const S = (o) => send(api, d, token, o);
    await S({ method: "get", template: "/", url: "/", expect: 200 });
    await S({ method: "get", template: "/healthz", url: "/healthz", auth: false, expect: 200 });
    await S({ method: "get", template: "/metrics", url: "/metrics", auth: false, expect: 200 });
    await S({ method: "get", template: "/v1/workflows", url: "/v1/workflows", expect: 200 });
    const input = { text: 'CHAPTER I.\n\n"Hello," said Alice.\n\nCHAPTER II.\n\n"Bye," said the Queen.' };
    const { run } = await S({ method: "post", template: "/v1/runs", url: "/v1/runs", expect: 201,
                              body: { kind: "novel_to_script", input, title: "OpenAPI" } });
    const R = `/v1/runs/${run.id}`;
    await S({ method: "get", template: "/v1/runs", url: "/v1/runs?limit=2", expect: 200 });
    await S({ method: "post", template: "/v1/runs/{id}/next", url: R + "/next", expect: 200 });
    await S({ method: "post", template: "/v1/runs/{id}/next", url: R + "/next", body: {}, expect: 200 });
    await S({ method: "get", template: "/v1/runs/{id}", url: R, expect: 200 });
    await S({ method: "get", template: "/v1/runs/{id}", url: R + "?at_version=2", expect: 200 });
    await S({ method: "get", template: "/v1/runs/{id}/steps/{index}/output", url: R + "/steps/0/output", expect: 200 });
    await S({ method: "get", template: "/v1/runs/{id}/steps/{index}/output", url: R + "/steps/4/output", expect: 404 });
    const fork = (await S({ method: "post", template: "/v1/runs/{id}/fork", url: R + "/fork", expect: 200,
                           body: { at: 1, title: "branch", override: { output: { edited: true } } } })).run;
    await S({ method: "get", template: "/v1/runs/{id}/lineage", url: R + "/lineage", expect: 200 });
    await S({ method: "get", template: "/v1/runs/{id}/diff/{other}", url: `${R}/diff/${fork.id}`, expect: 200 });
    await S({ method: "post", template: "/v1/runs/{id}/pause", url: R + "/pause", body: { abort_step: false }, expect: 200 });
    await S({ method: "post", template: "/v1/runs/{id}/next", url: R + "/next", expect: 409 });
    await S({ method: "post", template: "/v1/runs/{id}/resume", url: R + "/resume", expect: 200 });
    await S({ method: "post", template: "/v1/runs/{id}/retry", url: R + "/retry", expect: 409 });
    await S({ method: "put", template: "/v1/runs/{id}/autorun", url: R + "/autorun", body: { enabled: true }, expect: 200 });
    await S({ method: "get", template: "/v1/runs/{id}/events", url: R + "/events?until=terminal", expect: 200, sse: 10 });
    await S({ method: "post", template: "/v1/runs/{id}/cancel", url: `/v1/runs/${fork.id}/cancel`, expect: 200 });
    await S({ method: "get", template: "/v1/events", url: "/v1/events?after=0&types=run.created,run.forked", expect: 200, sse: 2 });
    await S({ method: "get", template: "/v1/runs/{id}", url: "/v1/runs/r_missing", expect: 404 });
    await S({ method: "get", template: "/v1/runs", url: "/v1/runs", auth: false, expect: 401 });
    await S({ method: "post", template: "/v1/runs", url: "/v1/runs", body: { kind: "novel_to_script" }, expect: 400 });
    await S({ method: "post", template: "/v1/admin/backup", url: "/v1/admin/backup",
              body: { dir: path.join(tmp, "backup") }, expect: 200 });
  } catch (e) {
    fail("suite: " + (e.stack ?? e));
  } finally {
    d.proc.kill("SIGTERM");
    await new Promise((r) => d.proc.once("exit", r));
    if (failures.length) console.log(fs.readFileSync(path.join(tmp, "forklined.log"), "utf8").slice(-3000));
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  console.log(failures.length ? `${failures.length} failed` : "all passed");
  process.exit(failures.length ? 1 : 0);
}

await main();
