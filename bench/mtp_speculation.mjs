// See bench/mtp_speculation.sh.
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const [preset, steps, rounds, threads] = process.argv.slice(2);
const seek = process.env.SEEK ?? "./build/seek";
const corpus = path.resolve("../shared/data/tinyshakespeare/input.txt");
const dir = path.join(process.env.SEEK_BENCH_DIR ?? "/tmp/seek-bench-mtp", `${preset}-${steps}`);
const run = (args, opts = {}) => execFileSync(seek, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], ...opts });
fs.mkdirSync(dir, { recursive: true });
const tok = path.join(dir, "tok"), data = path.join(dir, "data"), out = path.join(dir, "run");
if (!fs.existsSync(tok)) run(["tokenizer-train", "--input", corpus, "--vocab-size", "2048", "--out", tok]);
if (!fs.existsSync(data)) run(["data", "--tokenizer", tok, "--input", corpus, "--out", data]);
if (!fs.existsSync(path.join(out, "summary.json"))) {
  fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify({
    preset, data, seq_len: 128, batch_size: 16, max_steps: Number(steps), eval_every: Number(steps),
    sample_every: Number(steps), checkpoint_every: Number(steps), precision: "bf16",
  }));
  const t0 = Date.now();
  console.log(`training ${preset} for ${steps} steps ...`);
  run(["train", "--config", path.join(dir, "config.json"), "--out", out, "--threads", threads], { stdio: ["ignore", "pipe", "inherit"] });
  console.log(`trained in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}
const summary = JSON.parse(fs.readFileSync(path.join(out, "summary.json"), "utf8"));
console.log(`model: ${preset}, ${steps} steps, val loss ${summary.final_val_loss?.toFixed(3)} (unigram ${summary.unigram_val_loss?.toFixed(3)})`);

const prompts = ["ROMEO:\n", "First Citizen:\nBefore we proceed", "KING RICHARD III:\nNow is the", "JULIET:\nO Romeo, Romeo!"];
const ids = prompts.map((t) => JSON.parse(run(["tokenize", "--tokenizer", out, "--text", t])).join(","));
// one generation: its ids, decode tokens/s and drafts kept, from seek generate's stdout and one-line report
function timed(p, speculative) {
  const args = ["generate", "--model", out, "--tokens", p, "--max-new", "256", "--ignore-eos", "--threads", threads];
  if (speculative) args.push("--speculative", "mtp");
  const r = spawnSync(seek, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`seek ${args.join(" ")} failed: ${r.stderr}`);
  const m = /generated (\d+) tokens in ([\d.]+)s/.exec(r.stderr);
  const a = /(\d+) of (\d+) drafts kept/.exec(r.stderr);
  return { ids: r.stdout.trim(), tps: Number(m[1]) / Number(m[2]), kept: a ? Number(a[1]) : 0, drafted: a ? Number(a[2]) : 0 };
}

const plain = [], spec = [];
let kept = 0, drafted = 0, same = true;
for (let r = 0; r < Number(rounds); r++)
  for (const p of ids) {
    const a = timed(p, false), b = timed(p, true);
    same &&= a.ids === b.ids;
    plain.push(a.tps), spec.push(b.tps);
    kept += b.kept, drafted += b.drafted;
  }
const stats = (v) => { const s = [...v].sort((x, y) => x - y); return [s[0], s[s.length >> 1], s[s.length - 1]]; };
const [pmin, pmed, pmax] = stats(plain), [smin, smed, smax] = stats(spec);
console.log(`greedy ids identical to plain decoding: ${same ? "yes" : "NO"} (${ids.length} prompts x ${rounds} rounds, 256 tokens each)`);
console.log(`drafts kept: ${kept} of ${drafted} (${(100 * kept / drafted).toFixed(1)}%), ${(1 + kept / drafted).toFixed(2)} tokens per main-model step`);
console.log(`decode tok/s plain ${pmin.toFixed(1)} / ${pmed.toFixed(1)} / ${pmax.toFixed(1)}, speculative ${smin.toFixed(1)} / ${smed.toFixed(1)} / ${smax.toFixed(1)}: ${(smed / pmed).toFixed(2)}x (medians)`);
if (!same) process.exit(1);
