// The server under hostile clients: malformed HTTP, a client that sends its request a byte a second, a connection
// that opens and sends nothing, a body cut short, huge headers, many connections closed mid-request, and a queue
// that fills (503) — each answered with the right status, while an ordinary client keeps being served throughout.
import net from "node:net";
import { ok, failed, makeModels, startServer, sleep } from "./lib/serve_lib.mjs";

const { v3 } = makeModels();
const srv = await startServer(["--model", v3, "--model-name", "m", "--parallel", "2", "--max-queue", "2", "--keepalive", "0.3"]);

function rawHttp(text, { perByteMs = 0, wait = 4000 } = {}) {
  return new Promise((resolve) => {
    const sock = net.connect(srv.port, "127.0.0.1");
    let out = "";
    sock.on("data", (d) => (out += d));
    sock.on("error", () => {});
    sock.on("close", () => resolve(out));
    setTimeout(() => { sock.destroy(); resolve(out); }, wait);
    sock.on("connect", async () => {
      if (!perByteMs) return sock.write(text);
      for (const ch of text) { if (sock.destroyed) return; sock.write(ch); await sleep(perByteMs); }
    });
  });
}
const status = (out) => Number((out.match(/^HTTP\/1\.[01] (\d{3})/) || [])[1] || 0);
const chat = (extra = {}) => fetch(srv.url + "/v1/chat/completions", { method: "POST", headers: { "Content-Type": "application/json" },
  body: JSON.stringify({ messages: [{ role: "user", content: "hi" }], max_tokens: 4, seed: 1, ...extra }) });
const healthy = async () => (await chat()).status === 200;

ok(status(await rawHttp("GARBAGE\r\n\r\n")) === 400, "a malformed request line is a 400");
ok(status(await rawHttp("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{\"messages\"", { wait: 1500 })) !== 200,
   "a body cut short is not answered 200");
ok(status(await rawHttp("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(20000) + "\r\n\r\n")) >= 400, "a huge header line is refused");

// A slow client (a byte every 100 ms: about 12 s for its request) and a silent one, while others are served.
const body = JSON.stringify({ messages: [{ role: "user", content: "hi" }], max_tokens: 2 });
const slow = rawHttp(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
                     { perByteMs: 100, wait: 40000 });
const silent = rawHttp("", { wait: 8000 });
let served = 0;
for (let i = 0; i < 5; i++) { if (await healthy()) served++; await sleep(300); }
ok(served === 5, "others are served while a slow and a silent client hold connections");
ok(status(await slow) === 200, "the slow client is answered in the end");
await silent;

// Connections dropped mid-request must not hurt the server.
await Promise.all(Array.from({ length: 20 }, () => rawHttp("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{", { wait: 200 })));
ok(await healthy(), "the server serves after 20 connections dropped mid-request");

// While a request waits for a slot, a stream gets ": keep-alive" comments and a non-streaming request blank lines
// before its JSON, and both still complete. Two non-streaming requests as long as the context (about 90 s here)
// hold both slots until their clients disconnect after 1.8 s: the server must notice that while they are still
// generating, cancel them and serve the waiting two. The wait does not depend on how fast this machine decodes.
{
  const long = JSON.stringify({ messages: [{ role: "user", content: "hi" }], max_tokens: 100000 });
  const holdReq = `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${long.length}\r\n\r\n${long}`;
  const hold = [rawHttp(holdReq, { wait: 1800 }), rawHttp(holdReq, { wait: 1800 })];
  await sleep(300);
  const waitStream = fetch(srv.url + "/v1/chat/completions", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ messages: [{ role: "user", content: "hi" }], max_tokens: 3, stream: true }) }).then((r) => r.text());
  const waitWhole = chat({ max_tokens: 3 }).then((r) => r.text());
  await Promise.all(hold);
  const left = Date.now();
  const [streamText, wholeText] = await Promise.all([waitStream, waitWhole]);
  const served = Date.now() - left;
  ok(served < 10000, `a non-streaming request whose client left is cancelled: the waiting ones are served ${served} ms later`);
  ok(streamText.includes(": keep-alive\n\n") && streamText.trim().endsWith("data: [DONE]"),
     "a waiting stream gets keep-alive comments, then its reply: " + JSON.stringify(streamText.slice(0, 40)));
  ok(/^\n+\{/.test(wholeText) && JSON.parse(wholeText).choices.length === 1,
     "a waiting non-streaming request gets blank lines, then its JSON: " + JSON.stringify(wholeText.slice(0, 20)));
}

// A full queue: 2 running + 2 waiting; more get 503 in the error shape, and the server recovers.
const long = Array.from({ length: 8 }, (_, i) => chat({ max_tokens: 200, seed: i }));
const statuses = await Promise.all(long.map(async (p) => { const r = await p; await r.text(); return r.status; }));
ok(statuses.filter((s) => s === 503).length > 0 && statuses.filter((s) => s === 200).length >= 2,
   `a full queue answers 503 (statuses ${statuses.join(",")})`);
ok(await healthy(), "and serves again once it drains");

const code = await srv.stop();
ok(code === 0, `SIGTERM stops the server cleanly (exit ${code})`);
if (failed()) { console.error(`${failed()} failure(s)`); process.exit(1); }
console.log("all passed");
