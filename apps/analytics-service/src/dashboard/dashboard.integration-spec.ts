import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { ClickHouseClient } from '@clickhouse/client';
import { migrateStackDatabases } from '@phoenix/common/testing';
import { Browser, BrowserContext, Page, chromium } from 'playwright-core';
import {
  ADMIN_TOKEN,
  TelemetryRow,
  dropMonths,
  hourOf,
  insertFleet,
  insertTelemetry,
  realisticMix,
  stackClickHouse,
  startStatsApp,
  statsConfig,
  testLocation,
  testMonth,
  times,
} from '../../test/stats-support';

// Debian's chromium (tools/deps/debian.sh, group `test`), driven by playwright-core: never a
// downloaded browser. Missing, the suite fails — it does not skip.
const CHROMIUM = '/usr/bin/chromium';
const WORKSPACE_ROOT = path.resolve(__dirname, '../../../..');
const SCREENSHOT = path.join(WORKSPACE_ROOT, 'artifacts/screenshots/analytics-dashboard.png');
const PANELS = ['connections', 'throughput', 'sessions', 'blocking', 'platforms', 'fleet'];

// The page's globals as far as the in-page checks use them (this spec compiles without the DOM
// library; Playwright runs these callbacks in Chromium, where the real objects are).
interface PageElement {
  textContent: string | null;
  innerText: string;
  getBoundingClientRect(): { left: number; top: number };
  dataset: Record<string, string | undefined>;
  querySelector(selector: 'canvas'): PageCanvas | null;
}
interface PageCanvas {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
}
interface EChartsOption {
  yAxis: Array<{ data: string[] }>;
  series: Array<{ name: string; data: Array<number[] | number | null | { value: number }> }>;
}
interface PageGlobals {
  document: {
    body: PageElement;
    getElementById(id: string): PageElement | null;
    addEventListener(type: 'securitypolicyviolation', listener: (e: { violatedDirective: string; blockedURI: string }) => void): void;
  };
  console: { error(message: string): void };
  echarts: { getInstanceByDom(el: PageElement): { getOption(): EChartsOption; convertToPixel(finder: { seriesIndex: number }, value: number[]): number[] } | undefined };
}

describe('GET /dashboard in headless Chromium', () => {
  const ch: ClickHouseClient = stackClickHouse();
  const m = testMonth(2086, 2099);
  const locations = [testLocation(), testLocation(), testLocation()].sort();
  const [L1, L2] = locations as [string, string, string];
  let app: NestFastifyApplication;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: the dashboard test needs Debian's chromium (source tools/deps/debian.sh; deps_ensure test)`);
    }
    migrateStackDatabases(['analytics-service']);
    const { telemetry, fleet } = realisticMix(m, locations);
    // The cells the suppression checks look for: L1 at 05h has exactly k − 1 = 9 attempts, L2 at
    // 06h exactly k, all successes.
    const rows = telemetry.filter((r) => !(r.type === 'connection' && ((r.location === L1 && hourOf(r) === 5) || (r.location === L2 && hourOf(r) === 6))));
    rows.push(...times(9, { type: 'connection', hour: m.at(2, 5), location: L1, outcome: 'success', handshake_ms: 100 } as TelemetryRow));
    rows.push(...times(10, { type: 'connection', hour: m.at(3, 6), location: L2, outcome: 'success', handshake_ms: 100 } as TelemetryRow));
    await insertTelemetry(ch, rows);
    await insertFleet(ch, fleet);
    ({ app, base } = await startStatsApp(statsConfig()));
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await dropMonths(ch, [m.partition]);
    await ch.close();
  });

  it('asks for credentials with a Basic challenge and serves nothing of the page without them', async () => {
    for (const p of ['/dashboard', '/dashboard/dashboard.js', '/dashboard/echarts.min.js']) {
      const res = await fetch(`${base}${p}`);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Basic realm="Phoenix analytics", charset="UTF-8"');
      const wrong = await fetch(`${base}${p}`, { headers: { authorization: `Basic ${Buffer.from('admin:wrong').toString('base64')}` } });
      expect(wrong.status).toBe(401);
    }
    const context = await browser.newContext();
    try {
      // A browser with nothing to answer the challenge with: Chromium reports the prompt it could
      // not fill (Playwright cancels it), and no part of the page loads.
      const page = await context.newPage();
      const loaded: string[] = [];
      page.on('requestfinished', (r) => loaded.push(r.url()));
      await expect(page.goto(`${base}/dashboard`)).rejects.toThrow(/ERR_INVALID_AUTH_CREDENTIALS/);
      expect(loaded.filter((u) => !u.endsWith('/dashboard'))).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('serves the page with a strict Content-Security-Policy and ECharts from the service itself', async () => {
    const headers = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const page = await fetch(`${base}/dashboard`, { headers });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    const html = await page.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
    expect(html).not.toMatch(/\sstyle=/); // no inline style
    expect(html).not.toMatch(/https?:\/\//); // nothing from elsewhere
    const echarts = await fetch(`${base}/dashboard/echarts.min.js`, { headers });
    expect(echarts.status).toBe(200);
    expect(echarts.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await echarts.text()).toContain('echarts');
    const again = await fetch(`${base}/dashboard/echarts.min.js`, { headers: { ...headers, 'if-none-match': echarts.headers.get('etag') ?? '' } });
    expect(again.status).toBe(304);
    expect((await fetch(`${base}/dashboard/nope.js`, { headers })).status).toBe(404);
  });

  describe('with the token given once, as a browser asks for it', () => {
    let context: BrowserContext;
    let page: Page;
    const requests: string[] = [];
    const problems: string[] = [];

    beforeAll(async () => {
      context = await browser.newContext({
        // What the operator types into the browser's prompt: Chromium answers the 401 challenge.
        httpCredentials: { username: 'admin', password: ADMIN_TOKEN, origin: base },
        viewport: { width: 1440, height: 1000 },
      });
      await context.addInitScript(() => {
        const g = globalThis as unknown as PageGlobals;
        g.document.addEventListener('securitypolicyviolation', (e) => g.console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));
      });
      page = await context.newPage();
      page.on('request', (r) => requests.push(r.url()));
      page.on('console', (msg) => {
        if (msg.type() === 'error' || msg.type() === 'warning') problems.push(`${msg.type()}: ${msg.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));

      const res = await page.goto(`${base}/dashboard`);
      expect(res?.status()).toBe(200);
      // The default window: the last 7 days.
      await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.body.dataset.state !== 'loading');
      const today = new Date().toISOString().slice(0, 10);
      expect(await page.inputValue('#to')).toBe(today);
      expect(await page.inputValue('#from')).toBe(new Date(Date.parse(`${today}T00:00:00Z`) - 6 * 86_400_000).toISOString().slice(0, 10));
      // Then the operator picks the seeded week.
      await page.fill('#from', m.day(1));
      await page.fill('#to', m.day(7));
      await page.click('button[type=submit]');
      await page.waitForFunction((from) => {
        const { document } = globalThis as unknown as PageGlobals;
        return document.body.dataset.state === 'ready' && (document.getElementById('status')?.textContent ?? '').includes(from);
      }, m.day(1));
    });

    afterAll(async () => {
      await context?.close();
    });

    it('renders every chart: an ECharts instance with series data and a canvas that is not blank', async () => {
      const charts = await page.evaluate((panels) => {
        const g = globalThis as unknown as PageGlobals;
        return panels.map((p) => {
          const el = g.document.getElementById(`chart-${p}`)!;
          const option = g.echarts.getInstanceByDom(el)?.getOption();
          const canvas = el.querySelector('canvas');
          let inked = 0;
          if (canvas) {
            const px = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
            for (let i = 0; i < px.length; i += 4) if (px[i + 3]! > 0 && (px[i]! < 235 || px[i + 1]! < 235 || px[i + 2]! < 235)) inked++;
          }
          return { panel: p, points: option ? option.series.reduce((n, s) => n + s.data.filter((d) => d !== null).length, 0) : 0, canvas: !!canvas, inked };
        });
      }, PANELS);
      for (const c of charts) {
        expect(c).toMatchObject({ canvas: true });
        expect(c.points).toBeGreaterThan(0);
        expect(c.inked).toBeGreaterThan(2000);
      }
    });

    it('marks a cell of k − 1 events as suppressed, shows one of k, and reports the suppressed counts', async () => {
      const cells = await page.evaluate(
        ({ l1, l2 }) => {
          const g = globalThis as unknown as PageGlobals;
          const option = g.echarts.getInstanceByDom(g.document.getElementById('chart-connections')!)!.getOption();
          const ys = option.yAxis[0]!.data;
          // Heatmap points are [x = hour, y = location index, value].
          const points = (series: number): number[][] => option.series[series]!.data.filter((d): d is number[] => Array.isArray(d));
          const at = (series: number, loc: string, hour: number): number[] | undefined => points(series).find((d) => d[0] === hour && d[1] === ys.indexOf(loc));
          return {
            suppressedSeries: option.series[1]!.name,
            l1At5Shown: at(0, l1, 5),
            l1At5Suppressed: at(1, l1, 5),
            l2At6Shown: at(0, l2, 6),
            l2At6Suppressed: at(1, l2, 6),
          };
        },
        { l1: L1, l2: L2 },
      );
      expect(cells.suppressedSeries).toBe('fewer than k events');
      expect(cells.l1At5Shown).toBeUndefined();
      expect(cells.l1At5Suppressed).toBeDefined();
      expect(cells.l2At6Shown).toEqual([6, expect.any(Number), 1]); // success rate 100 %
      expect(cells.l2At6Suppressed).toBeUndefined();

      // The page's counts are the API's.
      for (const panel of PANELS) {
        const api = (await (await fetch(`${base}/v1/stats/${panel}?from=${m.day(1)}&to=${m.day(7)}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as {
          suppressed: { cells: number; events: number };
        };
        const text = await page.textContent(`#suppressed-${panel}`);
        if (api.suppressed.cells === 0) expect(text).toContain('Nothing suppressed');
        else expect(text).toContain(`Suppressed: ${api.suppressed.cells} cell${api.suppressed.cells === 1 ? '' : 's'} with ${api.suppressed.events} event`);
      }
      expect(await page.textContent('#suppressed-connections')).toMatch(/Suppressed: \d+ cells with \d+ events/);
      expect(await page.getAttribute('#suppressed-blocking', 'class')).toContain('has');
      expect(await page.textContent('#k-note')).toContain('k = 10');
    });

    it('shows a cell’s attempts, success rate and top failure reason on hover, in a tooltip the CSP allows', async () => {
      const point = await page.evaluate((l2) => {
        const g = globalThis as unknown as PageGlobals;
        const el = g.document.getElementById('chart-connections')!;
        const chart = g.echarts.getInstanceByDom(el)!;
        const [x, y] = chart.convertToPixel({ seriesIndex: 0 }, [6, chart.getOption().yAxis[0]!.data.indexOf(l2)]) as [number, number];
        const box = el.getBoundingClientRect();
        return { x: box.left + x, y: box.top + y };
      }, L2);
      await page.mouse.move(point.x, point.y);
      await page.waitForFunction(() => ((globalThis as unknown as PageGlobals).document.getElementById('chart-connections')!.innerText ?? '').includes('attempts:'));
      const tooltip = await page.evaluate(() => (globalThis as unknown as PageGlobals).document.getElementById('chart-connections')!.innerText);
      expect(tooltip).toContain(`${L2}, 06h`);
      expect(tooltip).toContain('attempts: 10');
      expect(tooltip).toContain('success rate: 100 %');
      expect(tooltip).toContain('top failure reason: — (none with k or more failures)');
      await page.mouse.move(0, 0);
    });

    it('sends no request to another origin, never the token in a URL, and breaks no CSP rule', async () => {
      const origin = new URL(base).origin;
      expect(requests.length).toBeGreaterThanOrEqual(10); // page, 4 files, 6 panels (twice)
      for (const url of requests) {
        expect(new URL(url).origin).toBe(origin);
        expect(url).not.toContain(ADMIN_TOKEN);
        expect(url).not.toContain(encodeURIComponent(ADMIN_TOKEN));
      }
      for (const panel of PANELS) expect(requests).toContain(`${origin}/v1/stats/${panel}?from=${m.day(1)}&to=${m.day(7)}`);
      expect(problems).toEqual([]);
    });

    it('keeps a screenshot as a test artifact', async () => {
      mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      expect(existsSync(SCREENSHOT)).toBe(true);
    });
  });
});
