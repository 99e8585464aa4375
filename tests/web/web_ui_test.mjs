// End-to-end test of the web UI in a real browser: Debian's chromium driven by
// playwright-core. Starts its own forklined (FORKLINED) on free ports with a temp data
// dir, walks the scenario of issue 6, and kills the daemon at the end.
//
//   FORKLINED=build/daemon/forklined node --test tests/web/web_ui_test.mjs
//
// Env: FORKLINED (required), CHROMIUM (default /usr/bin/chromium), FORKLINE_WEB_DIR
// (default <repo>/web), FORKLINE_WEB_ARTIFACTS (screenshots; default ./web-artifacts).
// Missing node, chromium, playwright-core or forklined is a failure, never a skip.

import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import test from 'node:test';
import {fileURLToPath} from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');
const FORKLINED = process.env.FORKLINED ? path.resolve(process.env.FORKLINED) : '';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const WEB_DIR = path.resolve(process.env.FORKLINE_WEB_DIR || path.join(REPO, 'web'));
const ARTIFACTS = path.resolve(process.env.FORKLINE_WEB_ARTIFACTS || 'web-artifacts');
const WAIT = 30000;  // the longest any one page state may take to appear

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const {port} = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The daemon under test: one data dir and one pair of ports across restarts.
class Daemon {
  constructor() {
    this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-web-'));
    this.proc = null;
    this.exits = [];
  }

  async configure() {
    this.httpPort = await freePort();
    this.zmqPort = await freePort();
    const wf = path.join(this.tmp, 'workflows');
    fs.mkdirSync(wf);
    this.config = path.join(this.tmp, 'forkline.toml');
    fs.writeFileSync(this.config, [
      `workflows_dir = ${JSON.stringify(wf)}`,
      '',
      '[store]',
      'backend = "rocksdb"',
      `path = ${JSON.stringify(path.join(this.tmp, 'data'))}`,
      '',
      '[zmq]',
      `bind = "tcp://127.0.0.1:${this.zmqPort}"`,
      '',
      '[http]',
      `bind = "127.0.0.1:${this.httpPort}"`,
      `web_dir = ${JSON.stringify(WEB_DIR)}`,
      '',
    ].join('\n'));
    this.base = `http://127.0.0.1:${this.httpPort}`;
    this.log = path.join(this.tmp, 'forklined.log');
  }

  async start() {
    const out = fs.openSync(this.log, 'a');
    this.proc = spawn(FORKLINED, ['--config', this.config], {cwd: this.tmp, stdio: ['ignore', out, out]});
    fs.closeSync(out);
    const proc = this.proc;
    proc.on('exit', (code, signal) => this.exits.push({code, signal}));
    const deadline = Date.now() + WAIT;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw new Error(`forklined exited at start (${proc.exitCode ?? proc.signalCode}):\n${this.tail()}`);
      }
      try {
        const res = await fetch(`${this.base}/healthz`);
        if (res.ok && (await res.json()).ok) return;
      } catch { /* not listening yet */ }
      await sleep(100);
    }
    throw new Error(`forklined did not become healthy in ${WAIT} ms:\n${this.tail()}`);
  }

  kill9() {
    const proc = this.proc;
    return new Promise((resolve) => {
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return resolve();
      proc.once('exit', () => resolve());
      proc.kill('SIGKILL');
    });
  }

  tail() {
    try { return fs.readFileSync(this.log, 'utf8').split('\n').slice(-30).join('\n'); } catch { return ''; }
  }

  async api(method, p, body) {
    const res = await fetch(this.base + p, {
      method, headers: body ? {'Content-Type': 'application/json'} : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }
}

async function loadPlaywright() {
  try {
    return (await import('playwright-core')).chromium;
  } catch (e) {
    throw new Error(`playwright-core is not installed (run scripts/npm-deps): ${e.message}`);
  }
}

test('web UI: create, step, pause, resume, auto, fork, reconnect', {timeout: 300000}, async (t) => {
  assert.ok(FORKLINED, 'FORKLINED must name the forklined binary');
  assert.ok(fs.existsSync(FORKLINED), `no forklined at ${FORKLINED}`);
  assert.ok(fs.existsSync(CHROMIUM), `no chromium at ${CHROMIUM} (scripts/deps installs Debian's chromium)`);
  assert.ok(fs.existsSync(path.join(WEB_DIR, 'index.html')), `no web UI at ${WEB_DIR}`);
  const chromium = await loadPlaywright();
  fs.mkdirSync(ARTIFACTS, {recursive: true});

  const daemon = new Daemon();
  await daemon.configure();
  await daemon.start();
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-web-chromium-'));
  const context = await chromium.launchPersistentContext(userDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: {width: 1280, height: 800},
  });
  const page = context.pages()[0] || await context.newPage();
  page.setDefaultTimeout(WAIT);
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  // Failed loads are expected while the daemon is down; script errors are not.
  page.on('console', (m) => {
    if (m.type() === 'error' && !/net::ERR_|Failed to load resource|EventSource/.test(m.text())) {
      pageErrors.push(`console: ${m.text()}`);
    }
  });
  page.on('dialog', (d) => d.accept());

  const shot = async (name, opts = {}) => {
    const file = path.join(ARTIFACTS, `${name}.png`);
    await page.screenshot({path: file, ...opts});
    t.diagnostic(`screenshot ${file}`);
  };
  // Waits for a page condition: fn runs in the page, arg is passed to it.
  const until = (fn, arg) => page.waitForFunction(fn, arg, {timeout: WAIT, polling: 'raf'});
  const field = (name) => page.locator(`[data-field="${name}"]`);
  const button = (name) => page.locator('.controls').getByRole('button', {name, exact: name !== 'Auto'});
  const waitField = (name, text) => until(([n, want]) => {
    const el = document.querySelector(`[data-field="${n}"]`);
    return el && el.textContent.trim() === want;
  }, [name, text]);
  const waitDisabled = (name, disabled) => until(([label, want]) => {
    const b = [...document.querySelectorAll('.controls button')].find((x) => x.textContent.trim().startsWith(label));
    return b && b.disabled === want;
  }, [name, disabled]);
  const completedSteps = () => page.locator('.timeline li[data-status="completed"]').count();
  const noAlert = async (what) => {
    const text = (await page.locator('.alerts').textContent()) || '';
    assert.equal(text.trim(), '', `${what}: the page shows an error: ${text}`);
  };

  // A subtest that stops the scenario when it fails (later steps build on earlier ones).
  const step = async (name, fn) => {
    let failure = null;
    await t.test(name, async () => {
      try { await fn(); } catch (e) { failure = e; throw e; }
    });
    if (failure) throw failure;
  };

  let sourceId = '';
  let forkId = '';
  let sourceVersion = 0;
  try {
    await step('runs list, then a new run from the sample novel', async () => {
      await page.goto(`${daemon.base}/`);
      await page.getByRole('heading', {name: 'Runs'}).waitFor();
      await until(() => document.getElementById('connection').dataset.state === 'live');
      await page.getByRole('link', {name: 'New run'}).first().click();
      await page.getByRole('heading', {name: 'New run'}).waitFor();
      await until(() => document.querySelectorAll('#run-kind option').length > 0);
      await page.getByRole('button', {name: 'Use the sample novel'}).click();
      await until(() => document.getElementById('run-text').value.includes('CHAPTER I.'));
      assert.equal(await page.getByLabel('Title', {exact: true}).inputValue(), "Alice's Adventures in Wonderland");
      await shot('new-run-1280');
      await page.getByRole('button', {name: 'Create run'}).click();
      await page.waitForURL(/#\/runs\/r_[0-9a-f]+$/);
      sourceId = decodeURIComponent(page.url().split('#/runs/')[1]);
      await waitField('status', 'queued');
      await waitField('cursor', '0 / 5');
      assert.equal(await page.locator('.timeline li').count(), 5, 'the timeline lists every step');
      await page.evaluate(() => { window.__noReload = 'still here'; });
    });

    await step('Next step twice: two completed steps', async () => {
      await button('Next step').click();
      await waitField('cursor', '1 / 5');
      await waitDisabled('Next step', false);
      await button('Next step').click();
      await waitField('cursor', '2 / 5');
      await until(() => document.querySelectorAll('.timeline li[data-status="completed"]').length === 2);
      assert.equal(await completedSteps(), 2);
      assert.equal(await field('status').textContent(), 'running');
      await noAlert('after two steps');
      // The output of a completed step is readable.
      await page.locator('.timeline li[data-index="1"] summary', {hasText: 'Output'}).click();
      await page.locator('.timeline li[data-index="1"] pre.json').waitFor();
      assert.match(await page.locator('.timeline li[data-index="1"] pre.json').textContent(), /"characters"/);
      await shot('run-two-steps-1280');
    });

    await step('Pause: status paused, Next step disabled; Resume', async () => {
      await button('Pause').click();
      await waitField('status', 'paused');
      await waitDisabled('Next step', true);
      assert.ok(await button('Next step').isDisabled(), 'Next step is disabled while paused');
      assert.ok(await button('Pause').isDisabled(), 'Pause is disabled while paused');
      assert.ok(await button('Resume').isEnabled(), 'Resume is enabled while paused');
      await button('Resume').click();
      await waitField('status', 'running');
      await waitDisabled('Next step', false);
      assert.equal(await field('cursor').textContent(), '2 / 5', 'resume keeps the cursor');
      await noAlert('after resume');
    });

    await step('Auto: completes without a reload, the screenplay is shown', async () => {
      await button('Auto').click();
      await waitField('status', 'completed');
      await waitField('cursor', '5 / 5');
      await until(() => document.querySelectorAll('.timeline li[data-status="completed"]').length === 5);
      await page.locator('.screenplay .sp-scene').first().waitFor();
      assert.equal(await page.evaluate(() => window.__noReload), 'still here', 'the page was not reloaded');
      assert.ok(await page.locator('.screenplay .sp-character').count() > 0, 'character cues are rendered');
      assert.ok(await page.locator('.screenplay .sp-dialogue').count() > 0, 'dialogue is rendered');
      const link = page.getByRole('link', {name: 'Download .fountain'});
      assert.match(await link.getAttribute('download'), /\.fountain$/);
      for (const name of ['Next step', 'Pause', 'Resume', 'Cancel', 'Retry']) {
        assert.ok(await button(name).isDisabled(), `${name} is disabled on a completed run`);
      }
      await noAlert('after auto');
      await shot('run-completed-1280');
      await page.evaluate(() => document.querySelector('.screenplay-section').scrollIntoView());
      await shot('screenplay-1280');
      // Inside the page: the first scene with dialogue at the top.
      await page.evaluate(() => {
        const cue = document.querySelector('.screenplay .sp-character');
        const paper = document.querySelector('.screenplay');
        paper.scrollTop = cue.offsetTop - paper.offsetTop - 120;
      });
      await shot('screenplay-dialogue-1280');
      sourceVersion = (await daemon.api('GET', `/v1/runs/${sourceId}`)).run.version;
    });

    await step('Fork from here on step 2: the fork has cursor 2, the source is unchanged', async () => {
      const step2 = page.locator('.timeline li[data-index="1"]');
      await step2.getByRole('button', {name: 'Fork from here'}).click();
      await step2.getByRole('button', {name: 'Create fork'}).click();
      await page.waitForURL((u) => /#\/runs\/r_[0-9a-f]+$/.test(u.hash) && !u.hash.endsWith(sourceId));
      forkId = decodeURIComponent(page.url().split('#/runs/')[1]);
      await waitField('cursor', '2 / 5');
      await waitField('status', 'queued');
      await until(() => document.querySelectorAll('.timeline li[data-status="completed"]').length === 2);
      await page.locator('.lineage-tree a', {hasText: "Alice's Adventures in Wonderland"}).first().waitFor();
      const src = (await daemon.api('GET', `/v1/runs/${sourceId}`)).run;
      assert.equal(src.status, 'completed');
      assert.equal(src.cursor, 5);
      assert.equal(src.version, sourceVersion, 'forking did not touch the source');
      const fork = (await daemon.api('GET', `/v1/runs/${forkId}`)).run;
      assert.equal(fork.cursor, 2);
      assert.equal(fork.parent.run_id, sourceId);
      assert.equal(fork.parent.at, 2);
      await noAlert('fork page');
      await shot('fork-1280');
      // Side by side with the source: steps 1-2 the same, 3-5 only in the source.
      await page.getByRole('link', {name: 'Compare with source'}).click();
      await page.locator('.compare-table tbody tr').nth(4).waitFor();
      const verdicts = await page.locator('.compare-table .verdict').allTextContents();
      assert.deepEqual(verdicts, ['same', 'same', 'only in source', 'only in source', 'only in source']);
      // The source's own page, reached from the compare page, still shows 5 / 5.
      await page.locator('.compare-table').waitFor();
      await page.goBack();
      await waitField('cursor', '2 / 5');
    });

    await step('phone width: the run page and the runs list', async () => {
      await page.setViewportSize({width: 390, height: 844});
      await page.goto(`${daemon.base}/#/runs/${sourceId}`);
      await waitField('cursor', '5 / 5');
      await page.locator('.screenplay .sp-scene').first().waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `no horizontal scrolling at phone width (overflow ${overflow}px)`);
      await shot('run-phone');
      await page.evaluate(() => document.querySelector('.screenplay .sp-character').scrollIntoView({block: 'center'}));
      await shot('screenplay-phone');
      await page.goto(`${daemon.base}/#/`);
      await page.locator('.runs-table tbody tr').nth(1).waitFor();
      await shot('runs-phone');
      await page.setViewportSize({width: 1280, height: 800});
      await shot('runs-1280');
      // The list is live: a run created and stepped elsewhere shows up without a reload.
      await until(() => document.getElementById('connection').dataset.state === 'live');
      await page.evaluate(() => { window.__listMarker = 1; });
      const {run: other} = await daemon.api('POST', '/v1/runs', {
        kind: 'novel_to_script', title: 'Made elsewhere', input: {text: 'CHAPTER I.\n\n"Hello," said Ann.\n'}});
      const row = page.locator(`.runs-table tr[data-run-id="${other.id}"]`);
      await row.getByRole('link', {name: 'Made elsewhere'}).waitFor();
      await daemon.api('POST', `/v1/runs/${other.id}/next`, {});
      await until((id) => document.querySelector(`tr[data-run-id="${id}"] .progress-text`)?.textContent === '1/5', other.id);
      assert.equal(await row.locator('.badge').textContent(), 'running');
      // Filters: only completed runs.
      await page.getByLabel('Status').selectOption('completed');
      await until(() => document.querySelectorAll('.runs-table tbody tr').length === 1);
      assert.equal(await page.evaluate(() => window.__listMarker), 1, 'the list was not reloaded');
      // An API error is shown in the page.
      await page.goto(`${daemon.base}/#/runs/r_nosuchrun`);
      await page.locator('.alerts .alert', {hasText: 'not_found'}).waitFor();
      // Back to the fork's page for the restart.
      await page.goto(`${daemon.base}/#/runs/${forkId}`);
      await waitField('cursor', '2 / 5');
      await until(() => document.getElementById('connection').dataset.state === 'live');
    });

    await step('kill -9 and restart the daemon: the page reconnects and catches up', async () => {
      await page.evaluate(() => { window.__noReload = 'fork page'; });
      // Hold the page's stream off until after the restart and a new step, so that it
      // must catch up with events it missed (Last-Event-ID), not just see new ones.
      let hold = true;
      await page.route('**/v1/runs/*/events*', (route) => (hold ? route.abort('connectionrefused') : route.continue()));
      await daemon.kill9();
      await until(() => document.getElementById('connection').dataset.state === 'reconnecting');
      assert.match(await page.locator('#connection').textContent(), /Reconnecting/);
      await shot('reconnecting-1280');
      await daemon.start();
      const next = await daemon.api('POST', `/v1/runs/${forkId}/next`, {});
      assert.equal(next.run.cursor, 3);
      assert.equal(await field('cursor').textContent(), '2 / 5', 'the page has not seen the step yet');
      hold = false;
      await page.unroute('**/v1/runs/*/events*');
      await waitField('cursor', '3 / 5');
      await until(() => document.querySelectorAll('.timeline li[data-status="completed"]').length === 3);
      await until(() => document.getElementById('connection').dataset.state === 'live');
      // And it is live again: a step made now shows up too.
      await daemon.api('POST', `/v1/runs/${forkId}/next`, {});
      await waitField('cursor', '4 / 5');
      assert.equal(await page.evaluate(() => window.__noReload), 'fork page', 'no reload');
      await noAlert('after the restart');
    });

    await step('Fork from here with an edited output: the comparison shows the change', async () => {
      await page.goto(`${daemon.base}/#/runs/${sourceId}`);
      await waitField('cursor', '5 / 5');
      const step1 = page.locator('.timeline li[data-index="0"]');
      await step1.getByRole('button', {name: 'Fork from here'}).click();
      await step1.getByLabel('Title of the fork').fill('Edited ingest');
      await step1.getByLabel("Edit this step's output before forking").check();
      const area = step1.locator('textarea');
      await until(() => document.querySelector('.timeline li[data-index="0"] textarea')?.value.startsWith('{'));
      const edited = JSON.parse(await area.inputValue());
      edited.words = 12345;
      await area.fill(JSON.stringify(edited, null, 2));
      await step1.getByRole('button', {name: 'Create fork'}).click();
      await page.waitForURL((u) => /#\/runs\/r_[0-9a-f]+$/.test(u.hash) && !u.hash.endsWith(sourceId));
      await waitField('cursor', '1 / 5');
      await page.getByRole('heading', {name: 'Edited ingest'}).waitFor();
      await page.getByRole('link', {name: 'Compare with source'}).click();
      await page.locator('.compare-table tbody tr').nth(4).waitFor();
      const verdicts = await page.locator('.compare-table .verdict').allTextContents();
      assert.equal(verdicts[0], 'changed');
      await shot('compare-1280');
    });

    assert.deepEqual(pageErrors, [], 'no script errors in the page');
  } catch (e) {
    await shot('failure').catch(() => {});
    t.diagnostic(`page at failure: ${page.url()}\n${daemon.tail()}`);
    throw e;
  } finally {
    await context.close().catch(() => {});
    await daemon.kill9();
    fs.rmSync(userDir, {recursive: true, force: true});
    if (process.env.FORKLINE_WEB_KEEP) t.diagnostic(`daemon files kept in ${daemon.tmp}`);
    else fs.rmSync(daemon.tmp, {recursive: true, force: true});
  }
});
