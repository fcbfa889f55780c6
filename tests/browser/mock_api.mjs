// DEVELOPMENT TOOL ONLY — not used by the browser test, which always drives the real `seek serve`.
//
// A stand-in for `seek serve` that speaks the same API contract (GET /health, GET /v1/models,
// POST /v1/chat/completions with Server-Sent Events, reasoning first, then the answer, then a usage chunk), so the
// chat page can be worked on without building the server:
//
//   node tests/browser/mock_api.mjs --port 8080                # then open http://127.0.0.1:8080/
//   MOCK_API_KEY=secret node tests/browser/mock_api.mjs --port 8080   # requests need "Authorization: Bearer secret"
//   MOCK_DELAY_MS=5 ...                                        # milliseconds between streamed tokens (25)
//
// It takes `seek serve`'s --port and --host and ignores --model. It serves the page from the source tree on every
// request, so an edit shows on reload.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const page = path.join(here, '..', '..', 'src', 'serve', 'web', 'chat.html');
const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : dflt; };
if (!process.argv.includes('--port')) {  // run bare (say, by a test runner globbing *.mjs): not a test, do nothing
  console.log('mock_api.mjs is a development tool, not a test: node tests/browser/mock_api.mjs --port 8080');
  process.exit(0);
}
const port = Number(arg('--port', 8080)), host = arg('--host', '127.0.0.1');
const key = process.env.MOCK_API_KEY || '';
const delayMs = Number(process.env.MOCK_DELAY_MS || 25);

const ANSWER = `## A sample answer

Here is **bold**, *italic*, \`inline code\` and a [link](https://example.com).

- first item
- second item
  1. nested one
  2. nested two

\`\`\`js
const x = "<b>not bold</b>";
console.log(x);
\`\`\`

<script>alert("this must show as text")</script> and a final paragraph. `;
const words = s => s.match(/\s*\S+|\s+/g) || [];

function json(res, status, obj) {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(obj));
}
const apiError = (res, status, message, type = 'invalid_request_error') =>
  json(res, status, { error: { message, type, param: null, code: null } });

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  if (req.method === 'GET' && url.pathname === '/') {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    return res.end(fs.readFileSync(page));
  }
  if (req.method === 'GET' && url.pathname === '/health') return json(res, 200, { status: 'ok' });
  if (url.pathname.startsWith('/v1/') && key && req.headers.authorization !== `Bearer ${key}`)
    return apiError(res, 401, 'Invalid API key', 'authentication_error');
  if (req.method === 'GET' && url.pathname === '/v1/models')
    return json(res, 200, { object: 'list', data: [{ id: 'mock-r1', object: 'model', created: 0, owned_by: 'seek' }] });
  if (req.method !== 'POST' || url.pathname !== '/v1/chat/completions') return apiError(res, 404, 'not found');

  let body = '';
  for await (const c of req) body += c;
  let r;
  try { r = JSON.parse(body); } catch { return apiError(res, 400, 'the request body is not JSON'); }
  if (!Array.isArray(r.messages) || !r.messages.length) return apiError(res, 400, "'messages' must be a non-empty array");
  const last = r.messages.at(-1).content;
  if (/^error/i.test(last)) return apiError(res, 400, 'mock error: the message starts with "error"');
  const maxTokens = r.max_tokens ?? 200, budget = r.thinking_budget ?? 12;

  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
  let closed = false;
  res.on('close', () => { closed = true; });
  const id = 'chatcmpl-mock' + Date.now(), created = Math.floor(Date.now() / 1000);
  const send = (delta, finish = null) => res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk',
    created, model: 'mock-r1', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`);
  const sleep = ms => new Promise(f => setTimeout(f, ms));
  send({ role: 'assistant', content: '' });
  res.write(': keep-alive\n\n');
  const thought = words(`Let me think about "${last.slice(0, 40)}". ` + 'hmm '.repeat(200));
  const answer = words(ANSWER + 'and more words '.repeat(400));
  let n = 0, reasoning = 0;
  for (; n < maxTokens && reasoning < Math.min(budget, thought.length); n++, reasoning++) {
    if (closed) return;
    send({ reasoning_content: thought[reasoning] });
    await sleep(delayMs);
  }
  for (let a = 0; n < maxTokens && a < answer.length; n++, a++) {
    if (closed) return;
    send({ content: answer[a] });
    if (a % 20 === 0) res.write(': keep-alive\n\n');
    await sleep(delayMs);
  }
  send({}, 'length');
  res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: 'mock-r1', choices: [],
    usage: { prompt_tokens: 17, completion_tokens: n, total_tokens: 17 + n,
      completion_tokens_details: { reasoning_tokens: reasoning }, prompt_cache_hit_tokens: 0,
      prompt_cache_miss_tokens: 17 } })}\n\n`);
  res.end('data: [DONE]\n\n');
});
server.listen(port, host, () => console.log(`mock API on http://${host}:${port}/`));
