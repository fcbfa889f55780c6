// Runs a GGUF model in llama.cpp (through node-llama-cpp, CPU, f32 KV cache) and writes the logits after
// every token as JSON [T][vocab]. Used by crosscheck_llamacpp.py; not part of CI.
//   NODE_PATH=<dir>/node_modules node crosscheck_llamacpp.mjs MODEL.gguf EXPECTED.json OUT.json
import fs from "fs";
import {createRequire} from "module";

const [modelPath, expectedJson, outPath] = process.argv.slice(2);
const require = createRequire(process.env.LLAMA_NODE_MODULES + "/");
const {getLlama} = await import(require.resolve("node-llama-cpp"));
const {tokens, shape} = JSON.parse(fs.readFileSync(expectedJson, "utf8"));
const vocab = shape[1];
const llama = await getLlama({gpu: false, build: "never"});
const model = await llama.loadModel({modelPath});
const ctx = await model.createContext({
    contextSize: 128, batchSize: 128, sequences: 1, flashAttention: false,
    experimentalKvCacheKeyType: "F32", experimentalKvCacheValueType: "F32",
});
const seq = ctx.getSequence();
const res = await seq.controlledEvaluate(tokens.map((t) => [t, {generateNext: {logits: true}}]));
const rows = res.map((r) => {
    const row = new Array(vocab).fill(null);
    for (const [k, v] of r.next.logits) row[k] = v;
    return row;
});
fs.writeFileSync(outPath, JSON.stringify(rows));
process.exit(0);
