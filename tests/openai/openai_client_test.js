// bog serve's OpenAI-compatible routes driven by the official `openai` client library: it
// starts `bog serve --bundle models/agnews-lm --port 0`, then completions and chat completions,
// streamed and not, the model list, and the client's error classes for bad requests.
// Usage: node openai_client_test.js BOG_EXE LM_BUNDLE. Prints "N passed, N failed".
'use strict';
const { spawn } = require('node:child_process');
const assert = require('node:assert/strict');
const OpenAI = require('openai');

const [bog, bundle] = process.argv.slice(2);

function startServer() {
  return new Promise((resolve, reject) => {
    const child = spawn(bog, ['serve', '--bundle', bundle, '--port', '0'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    let port = 0;
    const timer = setTimeout(() => reject(new Error('bog serve did not get ready: ' + out)), 60000);
    child.stdout.on('data', (d) => {
      out += d.toString();
      const m = out.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
      if (m) port = Number(m[1]);
      if (port && out.includes('bog serve: ready')) {
        clearTimeout(timer);
        resolve({ child, port });
      }
    });
    child.on('exit', (code) => reject(new Error(`bog serve exited with ${code}: ${out}`)));
  });
}

async function main() {
  const { child, port } = await startServer();
  const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'unused', maxRetries: 0 });
  const results = [];
  const test = async (name, fn) => {
    try {
      await fn();
      results.push([name, null]);
      console.log(`ok   ${name}`);
    } catch (e) {
      results.push([name, e]);
      console.log(`FAIL ${name}: ${e && e.stack ? e.stack : e}`);
    }
  };

  let plain = '';
  await test('models.list names the bundle', async () => {
    const models = await client.models.list();
    const ids = [];
    for await (const m of models) ids.push(m.id);
    assert.deepEqual(ids, ['agnews-lm']);
  });
  await test('completions.create (not streamed)', async () => {
    const r = await client.completions.create({
      model: 'agnews-lm', prompt: 'Stocks rallied on Wall Street as', max_tokens: 12, temperature: 0,
    });
    assert.equal(r.object, 'text_completion');
    assert.equal(r.choices.length, 1);
    assert.ok(['stop', 'length'].includes(r.choices[0].finish_reason));
    assert.ok(r.choices[0].text.length > 0);
    assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
    plain = r.choices[0].text;
  });
  await test('completions.create (streamed) says the same text', async () => {
    const stream = await client.completions.create({
      model: 'agnews-lm', prompt: 'Stocks rallied on Wall Street as', max_tokens: 12, temperature: 0,
      stream: true,
    });
    let text = '';
    let finish = null;
    let chunks = 0;
    for await (const c of stream) {
      chunks += 1;
      text += c.choices[0].text;
      if (c.choices[0].finish_reason) finish = c.choices[0].finish_reason;
    }
    assert.ok(chunks >= 2, `${chunks} chunks`);
    assert.equal(text, plain);
    assert.ok(['stop', 'length'].includes(finish));
  });
  let chatText = '';
  await test('chat.completions.create (not streamed)', async () => {
    const r = await client.chat.completions.create({
      model: 'agnews-lm', max_tokens: 10, temperature: 0,
      messages: [{ role: 'system', content: 'You write news.' }, { role: 'user', content: 'Any sports news?' }],
    });
    assert.equal(r.object, 'chat.completion');
    assert.equal(r.choices[0].message.role, 'assistant');
    assert.equal(typeof r.choices[0].message.content, 'string');
    assert.ok(r.usage.completion_tokens >= 1);
    chatText = r.choices[0].message.content;
  });
  await test('chat.completions.create (streamed, with usage)', async () => {
    const stream = await client.chat.completions.create({
      model: 'agnews-lm', max_tokens: 10, temperature: 0, stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'system', content: 'You write news.' }, { role: 'user', content: 'Any sports news?' }],
    });
    let text = '';
    let role = null;
    let usage = null;
    for await (const c of stream) {
      if (c.usage) usage = c.usage;
      if (!c.choices.length) continue;
      if (c.choices[0].delta.role) role = c.choices[0].delta.role;
      text += c.choices[0].delta.content || '';
    }
    assert.equal(role, 'assistant');
    assert.equal(text, chatText);
    assert.ok(usage && usage.completion_tokens >= 1);
  });
  await test('a bad request is a BadRequestError with OpenAI fields', async () => {
    await assert.rejects(
      client.completions.create({ model: 'agnews-lm', prompt: 'a', max_tokens: 0 }),
      (e) => e instanceof OpenAI.BadRequestError && e.status === 400 && e.param === 'max_tokens' &&
        e.type === 'invalid_request_error' && typeof e.message === 'string');
  });
  await test('an unknown model is a NotFoundError', async () => {
    await assert.rejects(
      client.chat.completions.create({ model: 'gpt-4', messages: [{ role: 'user', content: 'x' }] }),
      (e) => e instanceof OpenAI.NotFoundError && e.status === 404 && e.code === 'model_not_found');
  });

  child.kill('SIGTERM');
  const failed = results.filter(([, e]) => e).length;
  console.log(`${results.length - failed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.log(`openai_client: ${e.stack || e}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
});
