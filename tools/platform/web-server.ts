// Serves the built web app (dist/apps/web) on loopback, as the production gateway would: the
// static files, /config.json made from the environment (where auth-service, config-service and
// Firebase are), any other path without a file extension answered with index.html (client-side
// routes), and a strict Content-Security-Policy: scripts and styles from this origin only, no
// frames, and connections only to the two services and Firebase Auth — a page that holds a
// WireGuard private key talks to nothing else.
//
//   node -r @swc-node/register tools/platform/web-server.ts
//   env: WEB_PORT (4200), WEB_DIST (dist/apps/web), AUTH_URL, CONFIG_URL, FIREBASE_PROJECT_ID,
//        FIREBASE_API_KEY (the emulator takes any), FIREBASE_AUTH_EMULATOR_HOST (host:port or unset)
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';

export interface WebServerOptions {
  dist: string;
  authUrl: string;
  configUrl: string;
  firebase: { apiKey: string; projectId: string; authDomain?: string };
  firebaseAuthEmulator: string | null;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.map': 'application/json',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

/** The page's Content-Security-Policy for these endpoints. */
export function contentSecurityPolicy(o: Pick<WebServerOptions, 'authUrl' | 'configUrl' | 'firebaseAuthEmulator'>): string {
  const firebase = o.firebaseAuthEmulator ? [`http://${o.firebaseAuthEmulator}`] : ['https://identitytoolkit.googleapis.com', 'https://securetoken.googleapis.com'];
  const connect = ["'self'", new URL(o.authUrl).origin, new URL(o.configUrl).origin, ...firebase];
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src ${[...new Set(connect)].join(' ')}`,
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function createWebServer(o: WebServerOptions): Server {
  const root = resolve(o.dist);
  const index = join(root, 'index.html');
  const csp = contentSecurityPolicy(o);
  const config = JSON.stringify({ authUrl: o.authUrl, configUrl: o.configUrl, firebase: o.firebase, firebaseAuthEmulator: o.firebaseAuthEmulator });
  const common = {
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=()',
  };
  return createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...common, allow: 'GET, HEAD' }).end();
      return;
    }
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://web.invalid').pathname);
    } catch {
      res.writeHead(400, common).end();
      return;
    }
    if (path === '/config.json') {
      res.writeHead(200, { ...common, 'content-type': 'application/json', 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : config);
      return;
    }
    const file = normalize(join(root, path));
    const inside = file === root || file.startsWith(root + sep);
    let target: string | null = inside && existsSync(file) && statSync(file).isFile() ? file : null;
    // Client-side routes (/account, /config, …) get the page; a missing asset is a 404.
    if (!target && inside && extname(path) === '') target = existsSync(index) ? index : null;
    if (!target) {
      res.writeHead(404, { ...common, 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    const hashed = target.startsWith(join(root, 'assets') + sep);
    res.writeHead(200, {
      ...common,
      'content-type': TYPES[extname(target)] ?? 'application/octet-stream',
      'cache-control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(target).pipe(res);
  });
}

/** The options from the environment (the platform's and the stack's variables). */
export function webServerOptionsFromEnv(env: NodeJS.ProcessEnv, root = resolve(__dirname, '../..')): WebServerOptions {
  const need = (name: string) => {
    const v = env[name];
    if (!v) throw new Error(`${name} is not set`);
    return v;
  };
  return {
    dist: env.WEB_DIST ?? join(root, 'dist/apps/web'),
    authUrl: need('AUTH_URL'),
    configUrl: need('CONFIG_URL'),
    firebase: { apiKey: env.FIREBASE_API_KEY ?? 'phoenix-emulator-api-key', projectId: need('FIREBASE_PROJECT_ID') },
    firebaseAuthEmulator: env.FIREBASE_AUTH_EMULATOR_HOST || null,
  };
}

if (require.main === module) {
  const options = webServerOptionsFromEnv(process.env);
  if (!existsSync(join(options.dist, 'index.html'))) {
    process.stderr.write(`web-server: ${options.dist}/index.html is missing; build first (npx nx build web)\n`);
    process.exit(1);
  }
  const port = Number(process.env.WEB_PORT ?? 4200);
  const server = createWebServer(options);
  server.listen(port, '127.0.0.1', () => process.stdout.write(`web-server: http://127.0.0.1:${port} (${options.dist})\n`));
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
