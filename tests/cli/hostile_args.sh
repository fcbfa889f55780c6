#!/usr/bin/env bash
# Every documented command with hostile arguments: each case must end with exactly one line on stderr naming what is
# wrong and exit status 1 — never a crash (>1), a hang (killed by `timeout`), a silent default or exit 0.
source "$(dirname "$0")/lib.bash"
cd "$WORK"
FIX="$SHARED/fixtures/deepseek-v3-tiny"

# bad WHAT NEEDLE... -- ARGS...: `seek ARGS` (stdin empty, at most 120 s) fails cleanly and names every NEEDLE.
bad() {
  local what=$1; shift
  local needles=()
  while [ "$1" != "--" ]; do needles+=("$1"); shift; done
  shift
  expect_error "$what" "${needles[@]}" -- timeout 120 "$SEEK" "$@" </dev/null
}

# ---- fixtures: a text model (a small BPE vocabulary + random weights of the tiny V3 shape), a data folder, a run
head -c 20000 "$SHARED/data/tinyshakespeare/input.txt" > corpus.txt
"$SEEK" tokenizer-train --input corpus.txt --vocab-size 300 --out tok >/dev/null
"$SEEK" data --tokenizer tok --input corpus.txt --out data >/dev/null
sed 's/"vocab_size": 256/"vocab_size": 300/' "$FIX/config.json" > text-config.json
"$SEEK" synth --out textmodel --config text-config.json >/dev/null 2>&1
cp tok/tokenizer.json tok/tokenizer_config.json textmodel/
echo not-a-folder > afile
mkdir -p adir
M=textmodel

# ---- the program itself
bad "no command" "subcommand" -- 
bad "unknown command" "bogus" -- bogus
bad "unknown option" "--bogus" -- info --model "$M" --bogus

# ---- --threads: the same bounds in every command that takes it
for cmd in "forward --model $M --tokens 1 --logits-out x.f32" "generate --model $M --tokens 1" \
           "chat --model $M --prompt hi" "bench --model $M" "loss-grad --model $M --tokens 1,2 --out g.st" \
           "train --preset tiny --data data --out t0" "demo pretrain --dir demo0" "demo --out demo0r" \
           "rl --model nope --out r0"; do
  name=${cmd%% *}
  # shellcheck disable=SC2086
  {
    bad "$name --threads 0" "--threads" "at least 1" -- $cmd --threads 0
    bad "$name --threads -3" "--threads" -- $cmd --threads -3
    bad "$name --threads 100000" "--threads" "100000" "per core" -- $cmd --threads 100000
    bad "$name --threads abc" "--threads" "abc" -- $cmd --threads abc
  }
done
[ -e t0 ] || [ -e demo0 ] && fail "a rejected --threads still started work"

# ---- model folders
for cmd in info forward generate chat bench loss-grad; do
  extra=(); case $cmd in forward) extra=(--tokens 1 --logits-out x.f32);; generate) extra=(--tokens 1);;
    chat) extra=(--prompt hi);; loss-grad) extra=(--tokens 1,2 --out g.st);; esac
  bad "$cmd --model FILE" "afile" "is a file, not a model folder" -- $cmd --model afile "${extra[@]}"
  bad "$cmd --model missing" "nope/model" "no such model folder" -- $cmd --model nope/model "${extra[@]}"
  bad "$cmd --model empty folder" "adir" -- $cmd --model adir "${extra[@]}"
done
# a safetensors header with a negative offset
mkdir -p negoff && cp "$FIX/config.json" negoff/
hdr='{"model.norm.weight":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}    '
n=${#hdr}
printf "$(printf '\\x%02x\\x%02x' $((n & 255)) $((n >> 8)))\\x00\\x00\\x00\\x00\\x00\\x00" > negoff/model.safetensors
printf '%s' "$hdr" >> negoff/model.safetensors
printf '\0\0\0\0' >> negoff/model.safetensors
bad "negative data_offsets" "data_offsets" "negative" -- info --model negoff

# ---- forward / generate / chat: token lists, prompts, sampling
bad "forward --tokens ''" "--tokens" "empty" -- forward --model "$FIX" --tokens '' --logits-out x.f32
bad "forward --tokens 1,,2" "--tokens" -- forward --model "$FIX" --tokens 1,,2 --logits-out x.f32
bad "forward --tokens 1," "--tokens" -- forward --model "$FIX" --tokens 1, --logits-out x.f32
bad "forward --tokens 99999999999" "--tokens" -- forward --model "$FIX" --tokens 99999999999 --logits-out x.f32
bad "forward --mode" "--mode" "sideways" -- forward --model "$FIX" --tokens 1 --logits-out x.f32 --mode sideways
bad "forward --logits-out DIR" "adir" -- forward --model "$FIX" --tokens 1 --logits-out adir
bad "generate --prompt ''" "--prompt" "empty" -- generate --model "$M" --prompt ''
bad "generate --tokens ''" "--tokens" "empty" -- generate --model "$M" --tokens ''
bad "generate both" "exactly one" -- generate --model "$M" --tokens 1 --prompt hi
bad "generate neither" "exactly one" -- generate --model "$M"
bad "generate --max-new -1" "--max-new" -- generate --model "$M" --tokens 1 --max-new -1
for t in inf nan -inf; do
  bad "generate --temperature $t" "--temperature" "not a finite number" -- generate --model "$M" --prompt hi --temperature $t
done
bad "generate --temperature -1" "temperature" ">= 0" -- generate --model "$M" --prompt hi --temperature -1
bad "generate --top-p 2" "top_p" -- generate --model "$M" --prompt hi --top-p 2
bad "generate --top-k -1" "top_k" -- generate --model "$M" --prompt hi --top-k -1
bad "generate --stop ''" "--stop" "empty" -- generate --model "$M" --prompt hi --stop ''
[ -s "$WORK/out" ] && fail "generate --stop '' printed before its error: $(cat "$WORK/out")"
bad "generate --stop with --tokens" "--stop" "--prompt" -- generate --model "$M" --tokens 1 --stop x
bad "generate --template bogus" "bogus" -- generate --model "$M" --prompt hi --template bogus
bad "generate --dtype" "--dtype" -- generate --model "$M" --prompt hi --dtype f64
bad "chat --prompt ''" "--prompt" "empty" -- chat --model "$M" --prompt ''
bad "chat --max-tokens 0" "--max-tokens" -- chat --model "$M" --prompt hi --max-tokens 0
bad "chat --temperature inf" "--temperature" "finite" -- chat --model "$M" --prompt hi --temperature inf
bad "chat --stop ''" "--stop" "empty" -- chat --model "$M" --prompt hi --stop ''
bad "chat --template bogus" "bogus" -- chat --model "$M" --prompt hi --template bogus
bad "chat without tokenizer" "tokenizer.json" -- chat --model "$FIX" --prompt hi

# ---- template
bad "template nothing" "template" -- template --messages nothere.json
echo '{' > broken.json
bad "template broken messages" "broken.json" "JSON" -- template --builtin deepseek-v3 --messages broken.json
bad "template messages folder" "adir" "folder" -- template --builtin deepseek-v3 --messages adir
bad "template --builtin bogus" "--builtin" -- template --builtin bogus --messages broken.json
echo '[{"content": "no role"}]' > norole.json
bad "template message without role" "role" -- template --builtin deepseek-v3 --messages norole.json

# ---- tokenize / detokenize
bad "tokenize nothing" "exactly one" -- tokenize --tokenizer tok
bad "tokenize both" "exactly one" -- tokenize --tokenizer tok --text a --file corpus.txt
bad "tokenize --file DIR" "adir" "folder" -- tokenize --tokenizer tok --file adir
bad "tokenize --file ''" "no path" -- tokenize --tokenizer tok --file ''
bad "tokenize missing tokenizer" "nope" -- tokenize --tokenizer nope --text a
bad "detokenize --ids ''" "--ids" "empty" -- detokenize --tokenizer tok --ids ''
bad "detokenize --ids 1,,2" "--ids" "comma" -- detokenize --tokenizer tok --ids 1,,2
bad "detokenize --ids 1,2," "--ids" "comma" -- detokenize --tokenizer tok --ids 1,2,
bad "detokenize --ids x" "--ids" "'x'" -- detokenize --tokenizer tok --ids 1,x
bad "detokenize --ids -1" "-1" "vocabulary" -- detokenize --tokenizer tok --ids -1
bad "detokenize --ids huge" "99999999" "vocabulary" -- detokenize --tokenizer tok --ids 99999999
bad "detokenize --file DIR" "adir" "folder" -- detokenize --tokenizer tok --file adir
bad "detokenize --ids-json" "--ids-json" -- detokenize --tokenizer tok --ids-json '[1,"a"]'
bad "detokenize nothing" "exactly one" -- detokenize --tokenizer tok

# ---- tokenizer-train / data
bad "tokenizer-train missing input" "nope.txt" -- tokenizer-train --input nope.txt --vocab-size 300 --out tk1
bad "tokenizer-train --vocab-size 0" "vocab" -- tokenizer-train --input corpus.txt --vocab-size 0 --out tk2
bad "tokenizer-train --vocab-size -5" "vocab" -- tokenizer-train --input corpus.txt --vocab-size -5 --out tk3
bad "tokenizer-train --vocab-size huge" "vocab" -- tokenizer-train --input corpus.txt --vocab-size 99999999999 --out tk4
bad "data missing tokenizer" "nope" -- data --tokenizer nope --input corpus.txt --out d1
bad "data missing input" "nope.txt" -- data --tokenizer tok --input nope.txt --out d2
bad "data --val-fraction 2" "val" -- data --tokenizer tok --input corpus.txt --out d3 --val-fraction 2
bad "data --shard-tokens 0" "--shard-tokens" -- data --tokenizer tok --input corpus.txt --out d4 --shard-tokens 0

# ---- train
bad "train --max-steps 0" "max_steps" "--max-steps" ">= 1" -- train --preset tiny --data data --out t1 --max-steps 0
bad "train --max-steps -5" "--max-steps" -- train --preset tiny --data data --out t2 --max-steps -5
bad "train --price-per-hour -1" "--price-per-hour" ">= 0" -- train --preset tiny --data data --out t3 --price-per-hour -1
bad "train --seq-len 0" "--seq-len" -- train --preset tiny --data data --out t4 --seq-len 0
bad "train --batch 0" "--batch" -- train --preset tiny --data data --out t5 --batch 0
bad "train --precision" "precision" "fp4" -- train --preset tiny --data data --out t6 --precision fp4
bad "train no data" "--data" -- train --preset tiny --out t7
bad "train data is a file" "afile" -- train --preset tiny --data afile --out t8
model() {  # model KEY VALUE...: the tiny V3 shape with these fields changed, as a train config
  local extra=""
  while [ $# -gt 0 ]; do extra="$extra, \"$1\": $2"; shift 2; done
  echo "{\"data\": \"data\", \"model\": {\"model_type\": \"deepseek_v3\", \"vocab_size\": 300, \"hidden_size\": 48,
    \"intermediate_size\": 96, \"moe_intermediate_size\": 24, \"num_hidden_layers\": 3, \"first_k_dense_replace\": 1,
    \"num_attention_heads\": 2, \"n_routed_experts\": 4, \"num_experts_per_tok\": 2, \"kv_lora_rank\": 16,
    \"q_lora_rank\": 24, \"qk_nope_head_dim\": 16, \"qk_rope_head_dim\": 8, \"v_head_dim\": 16,
    \"max_position_embeddings\": 256 $extra}}"
}
model num_hidden_layers 1000000000 > layers.json
model num_hidden_layers 1000000000000 > layers12.json
model n_routed_experts 1000000 moe_intermediate_size 256 hidden_size 256 > experts.json
model hidden_size 100000000 > hidden.json
model vocab_size 10000000000 > vocab.json
bad "train a billion layers" "num_hidden_layers" "parameters" "this machine has" -- train --config layers.json --out t9
bad "train 1e12 layers" "num_hidden_layers" "this machine has" -- train --config layers12.json --out t10
bad "train a million experts" "n_routed_experts = 1000000" "this machine has" -- train --config experts.json --out t11
bad "train hidden 1e8" "hidden_size = 100000000" "this machine has" -- train --config hidden.json --out t12
bad "train vocab 1e10" "vocab_size" "this machine has" -- train --config vocab.json --out t13
bad "train batch too big" "batch_size" "seq_len" -- train --config <(model) --out t14 --batch 10000000 --seq-len 200
for o in t1 t2 t3 t4 t5 t9 t10 t11 t12 t13 t14; do [ -e $o/latest ] && fail "$o: a refused run wrote a checkpoint"; done

# ---- synth
bad "synth --params 0" "--params" -- synth --out s1 --params 0
bad "synth --params abc" "--params" -- synth --out s2 --params abc
bad "synth --params 1e20" "--params" -- synth --out s3 --params 1e20
bad "synth --dtype" "--dtype" -- synth --out s4 --dtype f64
bad "synth --vocab 0" "--vocab" -- synth --out s5 --vocab 0
bad "synth --shard-mb -1" "--shard-mb" -- synth --out s6 --shard-mb -1
jq .model layers12.json > s-layers.json
jq '.model | .num_hidden_layers = 1000000000' layers.json > s-layers9.json
jq '.model | .n_routed_experts = 10000000' experts.json > s-experts.json
bad "synth 1e12 layers" "num_hidden_layers" "this machine has" -- synth --out s7 --config s-layers.json
bad "synth a billion layers" "num_hidden_layers" "this machine has" -- synth --out s8 --config s-layers9.json
bad "synth 1e7 experts" "n_routed_experts" "this machine has" -- synth --out s9 --config s-experts.json
echo '[1]' > array.json
bad "synth config not an object" "array.json" -- synth --out s10 --config array.json
for o in s1 s2 s3 s4 s5 s6 s7 s8 s9 s10; do [ -e $o ] && fail "synth $o: a refused checkpoint was written"; done

# ---- cost
bad "cost --tokens -1" "--tokens" -- cost --preset deepseek-v3 --tokens -1
bad "cost --tokens abc" "--tokens" -- cost --preset deepseek-v3 --tokens abc
bad "cost --price-per-hour -1" "--price-per-hour" -- cost --preset deepseek-v3 --price-per-hour -1
bad "cost --device" "h9000" -- cost --preset deepseek-v3 --device h9000
bad "cost --utilization 2" "utilization" -- cost --preset deepseek-v3 --utilization 2
bad "cost --config missing" "nope.json" -- cost --config nope.json --tokens 1T --device h800
bad "cost --seq-len 0" "--seq-len" -- cost --preset deepseek-v3 --seq-len 0

# ---- bench / loss-grad / demo
bad "bench --prompt 0" "--prompt" -- bench --model "$FIX" --prompt 0
bad "bench --dtype" "--dtype" -- bench --model "$FIX" --dtype f64
bad "loss-grad one token" "--tokens" -- loss-grad --model "$FIX" --tokens 1 --out g.st
bad "loss-grad --tokens ''" "--tokens" "empty" -- loss-grad --model "$FIX" --tokens '' --out g.st
bad "loss-grad --mtp-lambda nan" "--mtp-lambda" -- loss-grad --model "$FIX" --tokens 1,2 --out g.st --mtp-lambda nan
bad "demo pretrain --steps 0" "--steps" -- demo pretrain --dir demo1 --steps 0
bad "demo pretrain --corpus missing" "nope.txt" -- demo pretrain --dir demo2 --corpus nope.txt
bad "rl --steps 0" "'steps'" -- rl --model nope --out r1 --steps 0
bad "rl --temperature nan" "'temperature'" -- rl --model nope --out r2 --temperature nan
bad "rl --lr -1" "'lr'" -- rl --model nope --out r3 --lr -1
bad "rl --loss-type" "loss" "bogus" -- rl --model nope --out r4 --loss-type bogus
bad "rl --price-per-hour -1" "'price_per_hour'" -- rl --model nope --out r5 --price-per-hour -1
bad "rl --config missing" "nope.json" -- rl --config nope.json --out r6
bad "rl --resume nothing" "no checkpoint" -- rl --out r7 --resume
bad "demo --rl-steps 0" "--rl-steps" -- demo --out demo3 --rl-steps 0
bad "demo --task gsm8k" "synthetic" -- demo --out demo4 --task gsm8k
bad "demo --wrong-fraction 1" "--wrong-fraction" -- demo --out demo5 --wrong-fraction 1
finish
