/// <reference types="vitest/config" />
import { fileURLToPath } from 'node:url';
import tailwindcss from '@tailwindcss/vite';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// The account pages, built to static files in dist/apps/web. Where the services are is not built
// in: the page reads /config.json at start (tools/platform/web-server.ts writes it from the env),
// so one build serves every environment.
export default defineConfig({
  root: here('.'),
  base: '/',
  plugins: [react(), tailwindcss()],
  resolve: {
    // The one shared library the web app may use (browser-safe; eslint keeps the rest out).
    alias: { '@phoenix/client-protocol': here('../../libs/client-protocol/src/index.ts') },
  },
  build: {
    outDir: here('../../dist/apps/web'),
    emptyOutDir: true,
    sourcemap: true,
  },
  server: { host: '127.0.0.1', port: 4200, strictPort: true },
  preview: { host: '127.0.0.1', port: 4200, strictPort: true },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.spec.{ts,tsx}'],
    setupFiles: [here('src/testing/setup.ts')],
    restoreMocks: true,
  },
});
