/**
 * Opens HTML reports in headless Chromium (Debian `chromium`, driven by
 * playwright-core) and checks the plots rendered and nothing complained.
 * Without Chromium: fails under CI=true (with the install line), skips loudly
 * elsewhere.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../sim/cli.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const INSTALL = 'apt-get update && apt-get install -y chromium';
if (CHROMIUM === undefined && process.env.CI === 'true') {
  throw new Error(`headless Chromium is required for the HTML report tests under CI=true; install it with: ${INSTALL}`);
}
if (CHROMIUM === undefined) console.warn(`\n*** SKIPPING HTML report browser tests: no Chromium found. Install it with: ${INSTALL} ***\n`);

const ROOT = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'mco-html-'));

let browser: Browser;
beforeAll(async () => {
  if (CHROMIUM === undefined) return;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

async function open(file: string): Promise<{ count: (selector: string) => Promise<number>; texts: (selector: string) => Promise<string[]>; errors: string[]; close: () => Promise<void> }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => {
    if (!r.url().startsWith('file:')) errors.push(`network request: ${r.url()}`);
  });
  await page.goto(`file://${file}`);
  return { count: (s) => page.locator(s).count(), texts: (s) => page.locator(s).allTextContents(), errors, close: () => page.close() };
}

describe.skipIf(CHROMIUM === undefined)('HTML reports in a browser', () => {
  it('the two-parameter sweep shows a heatmap with one cell per grid point', async () => {
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const html = join(dir, 'sweep.html');
    const code = await main([
      'sweep', join(ROOT, 'scenarios/clock-skew.yaml'), '--vary', 'faults.clock.offset.max=0ms..60ms:20ms', '--vary', 'owner.refreshInterval=20ms,40ms,80ms',
      '--seeds', '2', '--workers', '1', '--html', html,
    ]);
    vi.restoreAllMocks();
    expect(code).toBe(0);
    const page = await open(html);
    expect(await page.count('svg')).toBe(4); // heatmap, rate and per-acquisition rate (a line per refreshInterval), latencies
    expect(await page.count('g.mark-rect.role-mark path')).toBe(4 * 3);
    expect(await page.count('table tbody tr')).toBe(12);
    expect(page.errors).toEqual([]);
    await page.close();
  });

  it('a numeric sweep under two strategies: log x axis, CI bars and a legend per strategy, specs beside the page', async () => {
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const html = join(dir, 'overlay.html');
    const code = await main([
      'sweep', join(ROOT, 'scenarios/clock-skew.yaml'), '--vary', 'owner.refreshInterval=5ms,50ms,500ms', '--vary', 'owner.strategy=lakefs,fixed',
      '--seeds', '2', '--set', 'duration=1s', '--workers', '1', '--html', html,
    ]);
    vi.restoreAllMocks();
    expect(code).toBe(0);
    const page = await open(html);
    expect(await page.count('svg')).toBe(3); // rate, per acquisition, latencies
    const rate = 'svg >> nth=0';
    // one CI bar per cell (3 values × 2 strategies), two legend entries
    expect(await page.count(`${rate} >> g.mark-rule.role-mark line`)).toBe(6);
    expect(await page.count(`${rate} >> g.role-legend-symbol path`)).toBe(2);
    // a log axis over 5..500 ms shows decades; a linear one would start at 0
    const ticks = await page.texts(`${rate} >> g.mark-text.role-axis-label >> nth=0 >> text`); // the x axis comes first
    expect(ticks).toEqual(expect.arrayContaining(['10', '100', '1,000']));
    expect(ticks).not.toContain('0');
    expect(page.errors).toEqual([]);
    await page.close();
    // the same plots as files: SVG and the Vega-Lite spec
    for (const name of ['violation-rate', 'per-acquisition', 'latency']) {
      expect(readFileSync(join(dir, `overlay.${name}.svg`), 'utf8')).toMatch(/^<svg/);
      expect((JSON.parse(readFileSync(join(dir, `overlay.${name}.vl.json`), 'utf8')) as { $schema: string }).$schema).toContain('vega-lite');
    }
  });

  it('the replay timeline shows belief bars and shaded overlaps', async () => {
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const html = join(dir, 'replay.html');
    const skewed = ['--set', 'nodes=[{offset: 0ms}, {offset: 30ms}]', '--set', 'duration=400ms'];
    const code = await main(['replay', join(ROOT, 'scenarios/clock-skew.yaml'), '--seed', '1', ...skewed, '--html', html]);
    vi.restoreAllMocks();
    expect(code).toBe(0);
    expect(readFileSync(html, 'utf8')).toContain('First violation');
    const page = await open(html);
    expect(await page.count('g.mark-rect.role-mark path')).toBeGreaterThan(0); // shaded overlaps
    expect(await page.count('g.mark-rect path, g.mark-bar path, g.role-mark path')).toBeGreaterThan(5);
    expect(page.errors).toEqual([]);
    await page.close();
  });
});
