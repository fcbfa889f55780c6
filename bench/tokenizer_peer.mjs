// The speed peer of bench_tokenizer: the reference tokenizer (npm package `tokenizers`) on the same texts, on one
// thread. Prints one line per workload: "<name> <bytes> <cold MB/s> <warm MB/s>".
// usage: node bench/tokenizer_peer.mjs TOKENIZER_JSON SHARED_DIR [RUNS]
process.env.RAYON_NUM_THREADS = '1';
process.env.TOKENIZERS_PARALLELISM = 'false';

import { createRequire } from 'module';
import fs from 'fs';
import path from 'path';
import { fileURLToPath } from 'url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'tests/oracle/package.json'));
const { Tokenizer } = require('tokenizers');

const [tokFile, shared, runsArg] = process.argv.slice(2);
if (!tokFile || !shared) {
  console.error('usage: node bench/tokenizer_peer.mjs TOKENIZER_JSON SHARED_DIR [RUNS]');
  process.exit(2);
}
const runs = Number(runsArg || 3);

const shakespeare = fs.readFileSync(path.join(shared, 'data/tinyshakespeare/input.txt'), 'utf8');
const gsm = [];
for (const f of ['train.jsonl', 'test.jsonl']) {
  for (const line of fs.readFileSync(path.join(shared, 'data/gsm8k', f), 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const r = JSON.parse(line);
    gsm.push(r.question, r.answer);
  }
}
// Paragraphs: the text cut at blank lines, each paragraph keeping its trailing blank line.
const paragraphs = shakespeare.split('\n\n').map((p, i, a) => (i + 1 < a.length ? p + '\n\n' : p));
const workloads = [
  ['shakespeare-whole', [shakespeare]],
  ['shakespeare-paras', paragraphs],
  ['gsm8k-each', gsm],
];

async function encodeAll(tok, texts) {
  const t0 = process.hrtime.bigint();
  if (texts.length === 1) await tok.encode(texts[0], null, { addSpecialTokens: false });
  else await tok.encodeBatch(texts, { addSpecialTokens: false });
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

for (const [name, texts] of workloads) {
  const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t, 'utf8'), 0);
  const tok = Tokenizer.fromFile(tokFile);  // fresh: its word cache starts empty
  const cold = await encodeAll(tok, texts);
  let warm = Infinity;
  for (let i = 0; i < runs; i++) warm = Math.min(warm, await encodeAll(tok, texts));
  console.log(`${name} ${bytes} ${(bytes / cold / 1e6).toFixed(3)} ${(bytes / warm / 1e6).toFixed(3)}`);
}
