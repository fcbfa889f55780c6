// `seek serve` driven by the official `openai` npm client (6.x) and by raw HTTP: models, chat with and without
// streaming, usage fields, reasoning_content with an R1 template (and a thinking budget), n > 1, stop strings,
// seeded determinism equal to `seek generate`, JSON mode and a JSON schema validated by ajv, a forced tool call
// (whole and streamed), the legacy completions endpoint with fill-in-the-middle, logprobs, aborting mid-stream, and
// every error status. The model is random-weight (replies are gibberish); what is tested is the API.
import Ajv2020 from "ajv/dist/2020.js";
import OpenAI from "openai";
import { execFileSync } from "node:child_process";
import { SEEK, fail, ok, failed, makeModels, startServer, metric, sleep } from "./lib/serve_lib.mjs";

const KEY = "test-key-123";
const { v3, r1 } = makeModels();
const srv = await startServer(["--model", v3, "--api-key", KEY, "--model-name", "tiny-v3", "--parallel", "4", "--ctx", "256"]);
const client = new OpenAI({ baseURL: srv.url + "/v1", apiKey: KEY, maxRetries: 0 });
const ajv = new Ajv2020({ strict: false });

async function collect(stream) {
  const out = { chunks: [], content: "", reasoning: "", usage: null, finish: {}, tools: {} };
  for await (const c of stream) {
    out.chunks.push(c);
    if (c.usage) out.usage = c.usage;
    for (const ch of c.choices) {
      const d = ch.delta || {};
      out.content += d.content || "";
      out.reasoning += d.reasoning_content || "";
      for (const t of d.tool_calls || []) {
        const cur = (out.tools[t.index] ??= { name: "", arguments: "" });
        if (t.function?.name) cur.name = t.function.name;
        cur.arguments += t.function?.arguments || "";
      }
      if (ch.finish_reason) out.finish[ch.index] = ch.finish_reason;
    }
  }
  return out;
}

// --- models, a plain chat, usage ---
const models = await client.models.list();
ok(models.data.length === 1 && models.data[0].id === "tiny-v3", "models.list names the served model");
const base = { model: "tiny-v3", messages: [{ role: "user", content: "Hello there" }], max_tokens: 12, seed: 42, temperature: 0.9 };
const r = await client.chat.completions.create(base);
const u = r.usage;
ok(typeof r.choices[0].message.content === "string" && r.choices[0].message.role === "assistant", "a chat reply");
ok(u.prompt_tokens + u.completion_tokens === u.total_tokens && u.completion_tokens > 0, "usage adds up");
ok(u.prompt_cache_hit_tokens + u.prompt_cache_miss_tokens === u.prompt_tokens &&
   u.prompt_tokens_details.cached_tokens === u.prompt_cache_hit_tokens &&
   typeof u.completion_tokens_details.reasoning_tokens === "number", "cache hit + miss = prompt; reasoning_tokens present");

// --- determinism, and equality with `seek generate` ---
const r2 = await client.chat.completions.create(base);
ok(r2.choices[0].message.content === r.choices[0].message.content, "the same seeded request twice gives the same text");
const gen = execFileSync(SEEK, ["generate", "--model", v3, "--prompt", "Hello there", "--seed", "42", "--temperature", "0.9",
                                "--max-new", "12", "--threads", "1"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
ok(gen.replace(/\n$/, "") === r.choices[0].message.content,
   `the server's text equals seek generate's with the same seed (${JSON.stringify(gen)} vs ${JSON.stringify(r.choices[0].message.content)})`);

// --- streaming ---
const s = await collect(await client.chat.completions.create({ ...base, stream: true, stream_options: { include_usage: true } }));
ok(s.content === r.choices[0].message.content, "the stream's content equals the non-streamed reply");
ok(s.chunks[0].choices[0].delta.role === "assistant", "the first delta carries the role");
ok(s.chunks.every((c) => c.choices.every((ch) => Object.keys(ch.delta || {}).filter((k) => k !== "role").length <= 1)),
   "one field per delta");
ok(s.usage && s.usage.completion_tokens === u.completion_tokens && s.chunks.at(-1).choices.length === 0,
   "the usage chunk comes last, with empty choices");

// --- n > 1, stop strings ---
const n3 = await client.chat.completions.create({ ...base, n: 3 });
ok(n3.choices.length === 3 && n3.choices.map((c) => c.index).join() === "0,1,2", "n = 3 gives three choices");
ok(n3.choices[0].message.content === r.choices[0].message.content, "choice 0 of n = 3 is the n = 1 reply (seed + i)");
ok(new Set(n3.choices.map((c) => c.message.content)).size > 1, "the choices differ");
ok(n3.usage.completion_tokens === n3.choices.length * 0 + n3.usage.completion_tokens && n3.usage.prompt_tokens === u.prompt_tokens,
   "n = 3 counts the prompt once");
const text = r.choices[0].message.content;
const stopAt = [...text].slice(3, 5).join("");
if (stopAt.trim().length) {
  const st = await client.chat.completions.create({ ...base, stop: [stopAt, "zzzz-never"] });
  ok(st.choices[0].message.content === text.slice(0, text.indexOf(stopAt)) && st.choices[0].finish_reason === "stop",
     `a stop string ends the reply before it (${JSON.stringify(stopAt)})`);
}
const len = await client.chat.completions.create({ ...base, max_tokens: 3 });
ok(len.choices[0].finish_reason === "length" && len.usage.completion_tokens === 3, "max_tokens ends with finish_reason length");
const huge = await client.chat.completions.create({ ...base, max_tokens: 10 ** 12, max_completion_tokens: 4 });
ok(huge.usage.completion_tokens === 4, "max_completion_tokens wins over max_tokens");

// --- logprobs ---
const lp = await client.chat.completions.create({ ...base, max_tokens: 4, logprobs: true, top_logprobs: 3 });
const lpc = lp.choices[0].logprobs.content;
ok(lpc.length === 4 && lpc.every((t) => t.logprob <= 0 && t.top_logprobs.length === 3 &&
   t.top_logprobs[0].logprob >= t.top_logprobs[2].logprob), "logprobs: one per token, top 3 in order");

const lps = await collect(await client.chat.completions.create({ ...base, max_tokens: 4, logprobs: true, top_logprobs: 3, stream: true }));
const streamed = lps.chunks.flatMap((c) => c.choices.flatMap((ch) => ch.logprobs?.content || []));
const carrying = lps.chunks.filter((c) => c.choices.some((ch) => ch.logprobs?.content?.length)).length;
ok(carrying >= 2, `logprobs stream with the tokens, not all at the end (${carrying} chunks carry them)`);
ok(streamed.length === 4 && streamed.every((t, i) => t.token === lpc[i].token && Math.abs(t.logprob - lpc[i].logprob) < 1e-6),
   "streamed logprobs arrive with the chunks and equal the whole reply's");

// --- JSON mode and a schema, many seeds ---
const schema = { type: "object", properties: { name: { type: "string", maxLength: 12 }, age: { type: "integer", minimum: 0, maximum: 120 } },
                 required: ["name", "age"], additionalProperties: false };
const validate = ajv.compile(schema);
let jsonOk = 0, schemaOk = 0;
for (let seed = 0; seed < 4; seed++) {
  for (const model of ["v3"]) {
    const j = await client.chat.completions.create({ ...base, seed, temperature: 1.5, max_tokens: 60, response_format: { type: "json_object" } });
    try { const v = JSON.parse(j.choices[0].message.content); if (v && typeof v === "object" && !Array.isArray(v)) jsonOk++; } catch {}
    const k = await client.chat.completions.create({ ...base, seed, temperature: 1.5, max_tokens: 60,
      response_format: { type: "json_schema", json_schema: { name: "person", schema } } });
    try { if (validate(JSON.parse(k.choices[0].message.content))) schemaOk++; } catch {}
  }
}
ok(jsonOk === 4, `json_object output parses as an object every time (${jsonOk}/4)`);
ok(schemaOk === 4, `json_schema output validates every time (${schemaOk}/4)`);

// --- a forced tool call, whole and streamed ---
const tools = [{ type: "function", function: { name: "get_weather", description: "weather in a city",
  parameters: { type: "object", properties: { city: { type: "string", maxLength: 10 } }, required: ["city"] } } }];
const tc = await client.chat.completions.create({ ...base, max_tokens: 60, tools, tool_choice: "required" });
const call = tc.choices[0].message.tool_calls?.[0];
ok(call && call.function.name === "get_weather" && typeof JSON.parse(call.function.arguments).city === "string" &&
   tc.choices[0].finish_reason === "tool_calls", "tool_choice required: a parsed call, finish_reason tool_calls");
const ts = await collect(await client.chat.completions.create({ ...base, max_tokens: 60, tools, stream: true,
  tool_choice: { type: "function", function: { name: "get_weather" } } }));
ok(ts.tools[0]?.name === "get_weather" && JSON.parse(ts.tools[0].arguments).city !== undefined && ts.finish[0] === "tool_calls",
   "a named tool call streams as tool_calls deltas");
const back = await client.chat.completions.create({ ...base, tools, messages: [
  { role: "user", content: "weather?" },
  { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "get_weather", arguments: "{\"city\":\"Paris\"}" } }] },
  { role: "tool", tool_call_id: "c1", content: "sunny" }] });
ok(back.usage.prompt_tokens > u.prompt_tokens, "tool results are accepted back as role tool messages");

// --- completions, fill-in-the-middle ---
const c1 = await client.completions.create({ model: "tiny-v3", prompt: "def add(a, b):", max_tokens: 5, seed: 1 });
ok(c1.object === "text_completion" && typeof c1.choices[0].text === "string" && c1.usage.completion_tokens === 5, "completions");
const fim = await client.completions.create({ model: "tiny-v3", prompt: "def add(a, b):", suffix: "\n    return c", max_tokens: 5, seed: 1 });
ok(fim.usage.prompt_tokens > c1.usage.prompt_tokens, "completions with suffix (fill-in-the-middle)");

// --- abort mid-stream frees the slot ---
const ab = await client.chat.completions.create({ ...base, max_tokens: 5000, stream: true });
let got = 0;
for await (const c of ab) { if (++got === 5) { ab.controller.abort(); break; } }
let running = 1;
for (let i = 0; i < 50 && running > 0; i++) { await sleep(100); running = await metric(srv.url, "seek_running_sequences"); }
ok(running === 0, "an aborted stream frees its slot");
const after = await client.chat.completions.create(base);
ok(after.choices[0].message.content === text, "the server goes on serving after an abort");

// --- errors ---
async function raw(path, body, { key = KEY, type = "application/json", method = "POST" } = {}) {
  const headers = { "Content-Type": type };
  if (key) headers.Authorization = "Bearer " + key;
  const res = await fetch(srv.url + path, { method, headers, body });
  let json = null;
  try { json = JSON.parse(await res.text()); } catch {}
  return { status: res.status, json };
}
const shape = (e) => e && e.error && typeof e.error.message === "string" && "type" in e.error && "param" in e.error && "code" in e.error;
const checkErr = async (what, p, status, param) => {
  const e = await p;
  ok(e.status === status && shape(e.json) && (param === undefined || e.json.error.param === param),
     `${what}: ${status}${param ? " naming " + param : ""} (${e.status} ${JSON.stringify(e.json)?.slice(0, 160)})`);
  return e;
};
const body = (o) => JSON.stringify({ model: "tiny-v3", messages: [{ role: "user", content: "hi" }], max_tokens: 2, ...o });
await checkErr("malformed JSON", raw("/v1/chat/completions", "{\"model\": "), 400);
await checkErr("temperature out of range", raw("/v1/chat/completions", body({ temperature: 5 })), 400, "temperature");
await checkErr("n = 1000", raw("/v1/chat/completions", body({ n: 1000 })), 400, "n");
await checkErr("a bad role", raw("/v1/chat/completions", body({ messages: [{ role: "wizard", content: "x" }] })), 400, "messages[0].role");
await checkErr("no key", raw("/v1/chat/completions", body({}), { key: "" }), 401);
await checkErr("a wrong key", raw("/v1/chat/completions", body({}), { key: "test-key-124" }), 401);
await checkErr("an unknown route", raw("/v1/nothing", body({})), 404);
await checkErr("an unknown model", raw("/v1/chat/completions", body({ model: "gpt-4o" })), 404, "model");
const big = await checkErr("a prompt over the context", raw("/v1/chat/completions", body({ messages: [{ role: "user", content: "word ".repeat(300) }] })), 400);
ok(big.json?.error.code === "exceed_context_size_error" && big.json.error.n_ctx === 256 && big.json.error.n_prompt_tokens > 256,
   "exceed_context_size_error carries n_prompt_tokens and n_ctx");
await checkErr("a body too large", raw("/v1/chat/completions", body({ messages: [{ role: "user", content: "x".repeat(9 << 20) }] })), 413);
const unknown = await raw("/v1/chat/completions", body({ some_future_field: { a: 1 } }));
ok(unknown.status === 200, "unknown fields are ignored");
const badUtf8 = await fetch(srv.url + "/v1/chat/completions", { method: "POST", headers: { Authorization: "Bearer " + KEY,
  "Content-Type": "application/json" }, body: Buffer.concat([Buffer.from('{"messages":[{"role":"user","content":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}]}')]) });
ok(badUtf8.status === 400, "invalid UTF-8 in the body is a 400");
await srv.stop();

// --- an R1 model: reasoning_content, thinking budget, raw output ---
const rs = await startServer(["--model", r1, "--model-name", "tiny-r1"]);
const rc = new OpenAI({ baseURL: rs.url + "/v1", apiKey: "none", maxRetries: 0 });
const rb = { model: "tiny-r1", messages: [{ role: "user", content: "What is 2+2?" }], max_tokens: 20, seed: 3 };
const rr = await rc.chat.completions.create({ ...rb, thinking_budget: 6 });
const m = rr.choices[0].message;
ok(typeof m.reasoning_content === "string" && m.reasoning_content.length > 0, "an R1 template gives reasoning_content");
ok(rr.usage.completion_tokens_details.reasoning_tokens >= 6 && rr.usage.completion_tokens_details.reasoning_tokens <= 12 &&
   m.content.length > 0, `a thinking budget of 6 ends the reasoning and the answer follows (${rr.usage.completion_tokens_details.reasoning_tokens} reasoning tokens)`);
const rst = await collect(await rc.chat.completions.create({ ...rb, thinking_budget: 6, stream: true }));
ok(rst.reasoning === m.reasoning_content && rst.content === m.content, "streamed reasoning and content equal the whole reply");
const order = rst.chunks.flatMap((c) => c.choices.map((ch) => ("reasoning_content" in ch.delta ? "r" : "content" in ch.delta && ch.delta.content ? "c" : "")))
  .join("").replace(/(.)\1+/g, "$1");
ok(order === "rc", `reasoning deltas first, then content (${order})`);
const rawOut = await rc.chat.completions.create({ ...rb, thinking_budget: 6, reasoning_format: "none" });
ok(rawOut.choices[0].message.content.startsWith("<think>\n") && rawOut.choices[0].message.content.includes("</think>"),
   "reasoning_format none returns the raw text");
const noThink = await rc.chat.completions.create({ ...rb, chat_template_kwargs: { enable_thinking: false } });
ok(!noThink.choices[0].message.reasoning_content && noThink.usage.completion_tokens_details.reasoning_tokens === 0,
   "enable_thinking false closes the reasoning block");
const rj = await rc.chat.completions.create({ ...rb, max_tokens: 40, temperature: 1.5, response_format: { type: "json_object" } });
let rjOk = false;
try { rjOk = typeof JSON.parse(rj.choices[0].message.content) === "object"; } catch {}
ok(rjOk, "JSON mode on an R1 model: the answer parses");
await rs.stop();

if (failed()) { console.error(`${failed()} failure(s)`); process.exit(1); }
console.log("all passed");
