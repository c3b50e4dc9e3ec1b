import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Injectable } from '@nestjs/common';

export interface DashboardAsset {
  body: Buffer;
  contentType: string;
  etag: string;
}

// The page's own files sit beside this module (the image copies them next to the compiled code).
const PUBLIC_DIR = path.join(__dirname, 'public');
// ECharts' browser build from node_modules (the pinned `echarts` dependency): served by this
// service, never from a CDN. Its package exports only `require` → dist/echarts.js; the minified
// build is beside it.
const ECHARTS_MIN = path.join(path.dirname(require.resolve('echarts')), 'echarts.min.js');

const FILES: Record<string, { file: string; contentType: string }> = {
  'index.html': { file: path.join(PUBLIC_DIR, 'index.html'), contentType: 'text/html; charset=utf-8' },
  'dashboard.js': { file: path.join(PUBLIC_DIR, 'dashboard.js'), contentType: 'text/javascript; charset=utf-8' },
  'dashboard.css': { file: path.join(PUBLIC_DIR, 'dashboard.css'), contentType: 'text/css; charset=utf-8' },
  'favicon.svg': { file: path.join(PUBLIC_DIR, 'favicon.svg'), contentType: 'image/svg+xml' },
  'echarts.min.js': { file: ECHARTS_MIN, contentType: 'text/javascript; charset=utf-8' },
};

/**
 * The dashboard's files, read once at start-up: a missing file stops the service at boot instead
 * of failing the first operator who opens the page.
 */
@Injectable()
export class DashboardAssets {
  private readonly assets = new Map<string, DashboardAsset>();

  constructor() {
    for (const [name, { file, contentType }] of Object.entries(FILES)) {
      const body = readFileSync(file);
      this.assets.set(name, { body, contentType, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` });
    }
  }

  get(name: string): DashboardAsset | undefined {
    return this.assets.get(name);
  }
}
