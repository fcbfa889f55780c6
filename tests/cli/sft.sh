#!/usr/bin/env bash
# seek sft as a user runs it, on a tiny chat set and a small random Qwen2-shaped model (its folder name makes it
# chat through the built-in R1 template, which strips reasoning from history):
#  - full fine-tuning learns the set: the loss ends far below where it started, and the fine-tuned model answers a
#    trained prompt with the trained reply, reasoning included (seek generate on OUT);
#  - LoRA learns too, writes a PEFT adapter (adapter_config.json + adapter_model.safetensors) that `--adapter`
#    applies in forward / generate / chat, and `--merge` writes a model whose logits equal base + adapter;
#  - --resume from an earlier checkpoint continues to the same losses as the uninterrupted run;
#  - a DeepSeek-V3-shaped model (random weights written by seek synth, the same tokenizer) fine-tunes in full the same
#    way, and its checkpoint says stage "sft" / prompt style "chat" in its trainer state, which --prompt-style auto
#    follows;
#  - bad input (unknown role, no assistant turn, a sample longer than --seq-len, an adapter for another base, LoRA on
#    a DeepSeek model) is a one-line error naming it.
source "$(dirname "$0")/lib.bash"
cd "$WORK"

cat > chats.jsonl <<'JSONL'
{"messages": [{"role": "user", "content": "What is the capital of France?"}, {"role": "assistant", "content": "<think>\nFrance has one capital.\n</think>\n\nParis."}]}
{"messages": [{"role": "user", "content": "Name a red fruit."}, {"role": "assistant", "content": "<think>\nApples can be red.\n</think>\n\nApple."}]}
{"messages": [{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": "What is two plus two?"}, {"role": "assistant", "content": "<think>\n2 + 2 = 4\n</think>\n\nFour."}]}
{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}, {"role": "user", "content": "What color is the sky?"}, {"role": "assistant", "content": "<think>\nOn a clear day it is blue.\n</think>\n\nBlue."}]}
{"messages": [{"role": "user", "content": "Which animal barks?"}, {"role": "assistant", "content": "<think>\nDogs bark.\n</think>\n\nA dog."}]}
{"messages": [{"role": "user", "content": "What is ice made of?"}, {"role": "assistant", "content": "<think>\nIce is frozen water.\n</think>\n\nWater."}]}
JSONL
tr -d '{}[]"' < chats.jsonl > corpus.txt
"$SEEK" tokenizer-train --input corpus.txt --vocab-size 300 --min-frequency 1 --out tiny-r1 >/dev/null 2>&1 \
  || fail "tokenizer-train"
# A random Qwen2-shaped model (F32 weights written by a few lines of JavaScript, not by seek).
node "$ROOT/tests/cli/random_qwen2.js" tiny-r1 7 || fail "writing the base model"

# The loss of the first and last logged steps, and the trained reply (printed in the summary).
loss_at() { node -e "const r=require('fs').readFileSync('$1/metrics.jsonl','utf8').trim().split('\n').map(JSON.parse); console.log(r[$2 === -1 ? r.length - 1 : $2].loss)"; }
falls() {  # $1 run folder, $2 factor: the last loss is below the first / factor
  node -e "const r=require('fs').readFileSync('$1/metrics.jsonl','utf8').trim().split('\n').map(JSON.parse);
    const a=r[0].loss, b=r[r.length-1].loss; console.log('$1: loss '+a.toFixed(3)+' -> '+b.toFixed(4));
    process.exit(b < a / $2 ? 0 : 1)" || fail "$1: the loss did not fall below 1/$2 of its start"
}

# ---- full fine-tuning ----
"$SEEK" sft --model tiny-r1 --data chats.jsonl --out full --epochs 60 --batch 2 --seq-len 96 --lr 3e-3 \
  --checkpoint-every 20 --keep-checkpoints 0 >full.json 2>full.err || { tail -3 full.err; fail "full fine-tuning"; }
falls full 20
grep -q '"reply":"<think>\\nFrance has one capital.\\n</think>\\n\\nParis."' full.json \
  || fail "the summary's sample is not the trained reply: $(grep -o '"sample":{[^}]*}' full.json)"
out=$("$SEEK" generate --model full --prompt "What is the capital of France?" --temperature 0 --max-new 40 2>/dev/null)
echo "generate: $out" | tr '\n' ' '; echo
case "$out" in *"Paris."*) ;; *) fail "the fine-tuned model does not answer a trained prompt: $out" ;; esac
case "$out" in *"France has one capital."*) ;; *) fail "the trained reasoning is missing: $out" ;; esac
[ -f full/report.html ] && [ -f full/summary.json ] || fail "no report.html / summary.json"

# ---- resume: from the step-20 checkpoint of a copy, to the same losses as the run above ----
cp -r full resumed && rm -rf resumed/step-40 resumed/step-60 && ln -sfn step-20 resumed/latest
"$SEEK" sft --model tiny-r1 --data chats.jsonl --out resumed --epochs 60 --batch 2 --seq-len 96 --lr 3e-3 \
  --checkpoint-every 20 --keep-checkpoints 0 --resume >/dev/null 2>resumed.err || { tail -3 resumed.err; fail "resume"; }
cmp <(grep -o '"loss":[-0-9.e]*' full/metrics.jsonl) <(grep -o '"loss":[-0-9.e]*' resumed/metrics.jsonl) \
  || fail "the resumed run's losses differ from the uninterrupted run's"
expect_error "resume with other options" "batch" -- "$SEEK" sft --model tiny-r1 --data chats.jsonl --out resumed \
  --epochs 60 --batch 3 --seq-len 96 --resume

# ---- LoRA ----
lora_opts=(--model tiny-r1 --data chats.jsonl --epochs 40 --batch 2 --seq-len 96 --lr 1e-2 --lora-rank 8
           --lora-alpha 16 --lora-targets q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj)
"$SEEK" sft "${lora_opts[@]}" --out lora >lora.json 2>lora.err || { tail -3 lora.err; fail "LoRA fine-tuning"; }
falls lora 3
[ -f lora/adapter_config.json ] && [ -f lora/adapter_model.safetensors ] || fail "no PEFT adapter files in the run folder"
node - lora <<'JS' || fail "the adapter's layout is not PEFT's"
const fs = require('fs'), dir = process.argv[2];
const c = JSON.parse(fs.readFileSync(`${dir}/adapter_config.json`, 'utf8'));
if (c.peft_type !== 'LORA' || c.r !== 8 || c.lora_alpha !== 16 || c.task_type !== 'CAUSAL_LM') throw new Error(JSON.stringify(c));
const b = fs.readFileSync(`${dir}/adapter_model.safetensors`); const n = Number(b.readBigUInt64LE(0));
const h = JSON.parse(b.subarray(8, 8 + n).toString());
const names = Object.keys(h).filter((k) => k !== '__metadata__');
if (names.length !== 2 * 2 * 7) throw new Error(`${names.length} tensors, expected 28`);
const a = h['base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight'], bb = h['base_model.model.model.layers.1.mlp.down_proj.lora_B.weight'];
if (!a || a.shape.join() !== '8,64' || !bb || bb.shape.join() !== '64,8') throw new Error('lora_A / lora_B names or shapes');
console.log(`ok: ${names.length} PEFT-named tensors, r ${c.r}, alpha ${c.lora_alpha}`);
JS
tokens=0,5,17,42,99,7,250
"$SEEK" forward --model tiny-r1 --tokens $tokens --logits-out base.f32 >/dev/null 2>&1 || fail "forward (base)"
"$SEEK" forward --model tiny-r1 --adapter lora --tokens $tokens --logits-out adapted.f32 >/dev/null 2>&1 \
  || fail "forward --adapter"
cmp -s base.f32 adapted.f32 && fail "--adapter changed nothing"
"$SEEK" sft "${lora_opts[@]}" --merge --out merged >/dev/null 2>merged.err || { tail -3 merged.err; fail "--merge"; }
"$SEEK" forward --model merged --tokens $tokens --logits-out merged.f32 >/dev/null 2>&1 || fail "forward (merged)"
node -e "const fs=require('fs'); const a=new Float32Array(fs.readFileSync('adapted.f32').buffer.slice(0)), b=new Float32Array(fs.readFileSync('merged.f32').buffer.slice(0));
  let m=0; for (let i=0;i<a.length;i++) m=Math.max(m,Math.abs(a[i]-b[i])); console.log('merged vs base+adapter: max |diff| '+m);
  process.exit(a.length===b.length && m<1e-4 ? 0 : 1)" || fail "the merged model's logits differ from base + adapter"
out=$("$SEEK" chat --model tiny-r1 --adapter lora --prompt "What is the capital of France?" --temperature 0 --max-tokens 8 2>/dev/null) \
  || fail "chat --adapter"
"$SEEK" generate --model tiny-r1 --adapter lora --prompt "Hi" --temperature 0 --max-new 4 >/dev/null 2>&1 || fail "generate --adapter"

# ---- a DeepSeek model, full fine-tuning ----
node -e "const c=require('$ROOT/tests/fixtures/train-v3/config.json'); c.vocab_size=320; c.eos_token_id=1; c.max_position_embeddings=512;
  require('fs').writeFileSync('v3-config.json', JSON.stringify(c))"
"$SEEK" synth --out tiny-v3 --config v3-config.json --dtype f32 --seed 3 >/dev/null 2>&1 || fail "synth (DeepSeek base)"
cp tiny-r1/tokenizer.json tiny-r1/tokenizer_config.json tiny-v3/
"$SEEK" sft --model tiny-v3 --data chats.jsonl --out v3full --epochs 100 --batch 2 --seq-len 96 --lr 1e-2 \
  --keep-checkpoints 1 >v3full.json 2>v3full.err || { tail -3 v3full.err; fail "DeepSeek full fine-tuning"; }
falls v3full 20
out=$("$SEEK" generate --model v3full --prompt "What is the capital of France?" --temperature 0 --max-new 40 2>/dev/null)
echo "generate (DeepSeek): $out" | tr '\n' ' '; echo
case "$out" in *"Paris."*) ;; *) fail "the fine-tuned DeepSeek model does not answer a trained prompt: $out" ;; esac
node -e "const s=require('./v3full/latest/trainer_state.json').extra;
  process.exit(s.stage==='sft' && s.prompt_style==='chat' ? 0 : 1)" || fail "the sft checkpoint does not record its stage"
# --prompt-style auto follows the recorded stage: chat for the SFT'd model; a trainer state that names no stage (a
# pretraining checkpoint of an older seek) keeps R1-Zero's plain-text prompt
style_of() { "$SEEK" eval --model "$1" --task arithmetic --problems 2 --max-tokens 4 2>/dev/null | grep -o '"prompt_style": "[^"]*"'; }
[ "$(style_of v3full)" = '"prompt_style": "chat"' ] || fail "auto prompt style of the SFT'd model: $(style_of v3full)"
cp -rL v3full/latest nostage
node -e "const f='nostage/trainer_state.json', fs=require('fs'), j=JSON.parse(fs.readFileSync(f));
  delete j.extra.stage; delete j.extra.prompt_style; fs.writeFileSync(f, JSON.stringify(j))"
[ "$(style_of nostage)" = '"prompt_style": "r1-zero"' ] || fail "auto prompt style without a stage: $(style_of nostage)"

# ---- bad input ----
printf '%s\n' '{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}' \
  '{"messages": [{"role": "bot", "content": "a"}, {"role": "assistant", "content": "b"}]}' > badrole.jsonl
expect_error "unknown role" "badrole.jsonl:2" "role 'bot'" -- "$SEEK" sft --model tiny-r1 --data badrole.jsonl --out x1
printf '%s\n' '{"messages": [{"role": "user", "content": "a"}]}' > noanswer.jsonl
expect_error "no assistant turn" "noanswer.jsonl:1" "assistant" -- "$SEEK" sft --model tiny-r1 --data noanswer.jsonl --out x2
expect_error "sample longer than --seq-len" "chats.jsonl:" "--seq-len 16" -- "$SEEK" sft --model tiny-r1 --data chats.jsonl --out x3 --seq-len 16
printf 'not json\n' > notjson.jsonl
expect_error "not JSON" "notjson.jsonl:1" -- "$SEEK" sft --model tiny-r1 --data notjson.jsonl --out x4
expect_error "unknown LoRA target" "no_such_proj" -- "$SEEK" sft --model tiny-r1 --data chats.jsonl --out x5 --lora-rank 4 --lora-targets no_such_proj
expect_error "adapter for another base" "another base model" -- "$SEEK" forward --model "$ROOT/tests/fixtures/qwen2-tiny" --adapter lora --tokens 1,2 --logits-out x.f32
expect_error "LoRA on a DeepSeek model" "LoRA adapters are for dense models" "deepseek_v3" -- "$SEEK" sft --model tiny-v3 --data chats.jsonl --out x6 --lora-rank 4
expect_error "run folder in use" "already holds" -- "$SEEK" sft --model tiny-r1 --data chats.jsonl --out full
finish
