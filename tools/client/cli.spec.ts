import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMANDS, commandHelp, mainHelp, parse, parseCount, parseEventCount, Parsed, run } from './cli';
import { UsageError } from './errors';

describe('client command line', () => {
  // No platform file there: the defaults are the services' own ports whatever this machine runs.
  const env = { HOME: '/home/u', PHOENIX_STACK_DIR: join(tmpdir(), `phx-cli-no-stack-${process.pid}`) };

  it('prints the main help without a command, and per command with --help', async () => {
    expect(parse([], env)).toEqual({ help: mainHelp() });
    for (const name of Object.keys(COMMANDS)) {
      expect(mainHelp()).toContain(`  ${name}`);
      expect(parse([name, '--help'], env)).toEqual({ help: commandHelp(name) });
    }
    let out = '';
    expect(await run(['redeem', '--help'], { out: (l) => (out += l), err: () => undefined, env })).toBe(0);
    expect(out).toContain('usage: npm run client -- redeem');
  });

  it('exits 0 after a command that printed, whatever the printer returns', async () => {
    // A writer that returns what it accumulated (as the e2e journey's does) must not become the exit code.
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/private-token-issuer-directory' });
      res.end(JSON.stringify({ 'issuer-request-uri': '/token-request', 'token-keys': [] }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      let out = '';
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      expect(await run(['directory', '--auth-url', url], { out: (l) => (out += l), err: () => undefined, env })).toBe(0);
      expect(out).toContain('issuer-request-uri');
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('has local-stack defaults (without a platform file), overridden by environment then flags', () => {
    expect((parse(['locations'], env) as Parsed).endpoints).toEqual({
      authUrl: 'http://127.0.0.1:3001',
      configUrl: 'http://127.0.0.1:3002',
      analyticsUrl: 'http://127.0.0.1:3003',
      firebaseEmulator: '127.0.0.1:59099',
      firebaseApiKey: 'fake-api-key',
    });
    expect((parse(['telemetry'], { ...env, PHOENIX_ANALYTICS_URL: 'http://an:3/' }) as Parsed).endpoints.analyticsUrl).toBe('http://an:3');
    expect((parse(['telemetry', '--analytics-url', 'http://flag:4'], { ...env, PHOENIX_ANALYTICS_URL: 'http://an:3' }) as Parsed).endpoints.analyticsUrl).toBe('http://flag:4');
    expect((parse(['locations'], env) as Parsed).stateDir).toBe('/home/u/.phoenix-client');
    const p = parse(['tokens', '--count', '3', '--state-dir', '/s', '--auth-url', 'http://a:1/', '--firebase-emulator', 'none'], { ...env, PHOENIX_CONFIG_URL: 'http://c:2', FIREBASE_API_KEY: 'k' }) as Parsed;
    expect(p).toMatchObject({ command: 'tokens', stateDir: '/s', values: { count: '3' }, endpoints: { authUrl: 'http://a:1', configUrl: 'http://c:2', firebaseEmulator: null, firebaseApiKey: 'k' } });
  });

  it('defaults to the gateways npm run platform wrote (.stack/platform/gateways.env), below environment and flags', () => {
    const stack = mkdtempSync(join(tmpdir(), 'phx-cli-'));
    try {
      mkdirSync(join(stack, 'platform'));
      writeFileSync(
        join(stack, 'platform', 'gateways.env'),
        '# Written by tools/platform/run.sh\nPHOENIX_AUTH_URL=http://127.0.0.1:58081\nPHOENIX_CONFIG_URL=http://127.0.0.1:58082\nPHOENIX_ANALYTICS_URL=http://127.0.0.1:58083\n',
      );
      const env = { HOME: '/home/u', PHOENIX_STACK_DIR: stack };
      expect((parse(['locations'], env) as Parsed).endpoints).toMatchObject({ authUrl: 'http://127.0.0.1:58081', configUrl: 'http://127.0.0.1:58082', analyticsUrl: 'http://127.0.0.1:58083' });
      expect((parse(['locations'], { ...env, PHOENIX_CONFIG_URL: 'http://c:2' }) as Parsed).endpoints).toMatchObject({ authUrl: 'http://127.0.0.1:58081', configUrl: 'http://c:2' });
      expect((parse(['locations', '--auth-url', 'http://a:1'], env) as Parsed).endpoints.authUrl).toBe('http://a:1');
    } finally {
      rmSync(stack, { recursive: true, force: true });
    }
  });

  it.each([
    [['nope']],
    [['tokens', '--bogus']],
    [['redeem', 'positional']],
    [['tokens', '--count']],
    [['locations', '--analytics-url', 'http://x']],
  ])('refuses bad usage %j with exit code 2', async (argv) => {
    expect(() => parse(argv, env)).toThrow(UsageError);
    let err = '';
    expect(await run(argv, { out: () => undefined, err: (l) => (err += l), env })).toBe(2);
    expect(err).toContain('usage:');
  });

  it('takes --count 1..20, default 5', () => {
    expect(parseCount(undefined)).toBe(5);
    expect(parseCount('20')).toBe(20);
    for (const bad of ['0', '21', '-1', '2.5', 'x', '']) expect(() => parseCount(bad)).toThrow(UsageError);
  });

  it('takes telemetry --count 1..100000, default 2000', () => {
    expect(parseEventCount(undefined)).toBe(2000);
    expect(parseEventCount('1')).toBe(1);
    expect(parseEventCount('100000')).toBe(100_000);
    for (const bad of ['0', '100001', '-1', '2.5', 'x', '']) expect(() => parseEventCount(bad)).toThrow(UsageError);
  });

  it('asks to sign in before account commands, without touching the network', async () => {
    let err = '';
    const dir = `/tmp/phx-cli-spec-${process.pid}`;
    expect(await run(['account', '--state-dir', dir], { out: () => undefined, err: (l) => (err += l), env })).toBe(4);
    expect(err).toContain('not signed in: run `signup` or `signin` first');
    expect(await run(['redeem', '--state-dir', dir], { out: () => undefined, err: (l) => (err += l), env })).toBe(4);
    expect(err).toContain('no tokens left: run `tokens` first');
  });
});
