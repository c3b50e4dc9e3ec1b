import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addressNeedle, assertClean, bytesNeedle, findIn, metricLabels, scanFiles, scanLog, textNeedle } from './privacy-scan';

describe('privacy-scan matching', () => {
  const userId = '3f1c2a9e-8b7d-4c55-a1e2-0d9f6b7c8a11';

  it('finds text case-insensitively and percent-encoded', () => {
    const email = textNeedle('email', 'Alice-1a2b@example.test');
    expect(findIn('x', 'to alice-1A2B@EXAMPLE.test', [email])).toHaveLength(1);
    expect(findIn('x', 'GET /users/alice-1a2b%40example.test', [email])).toHaveLength(1);
    expect(findIn('x', 'alice-1a2b at example.test', [email])).toEqual([]);
    expect(findIn('row', `(zz-a,ZZ,"${userId.toUpperCase()}")`, [textNeedle('user id', userId)])).toEqual([
      { place: 'row', what: 'user id', excerpt: `(zz-a,ZZ,"${userId.toUpperCase()}")` },
    ]);
  });

  it('finds an IPv4 address only as a whole address', () => {
    const lo = [addressNeedle('client', '127.0.0.1')];
    for (const hit of ['from 127.0.0.1', '127.0.0.1:3931', '::ffff:127.0.0.1', '127.0.0.1/32', '"127.0.0.1"', 'at 127.0.0.1.']) expect([hit, findIn('x', hit, lo).length]).toEqual([hit, 1]);
    for (const miss of ['127.0.0.10', '1127.0.0.1', '127.0.0.1.5', '100.127.0.0.1']) expect([miss, findIn('x', miss, lo).length]).toEqual([miss, 0]);
  });

  it('finds an IPv6 address only as a whole address', () => {
    const lo6 = [addressNeedle('client', '::1')];
    for (const hit of ['[::1]:3931', 'from ::1', '(::1,x)', 'inet ::1/128', '"::1"']) expect([hit, findIn('x', hit, lo6).length]).toEqual([hit, 1]);
    for (const miss of ['fd00:70:1::1', '::10', '::1:2', 'a::1', '12:00::1']) expect([miss, findIn('x', miss, lo6).length]).toEqual([miss, 0]);
    expect(findIn('x', 'FD00:70:1::2/128', [addressNeedle('lease', 'fd00:70:1::2/128')])).toHaveLength(1);
  });

  it('finds raw bytes exactly', () => {
    const b = bytesNeedle('token', new Uint8Array([0, 255, 65, 10]));
    expect(findIn('x', Buffer.from([1, 0, 255, 65, 10, 2]).toString('latin1'), [b])).toHaveLength(1);
    expect(findIn('x', Buffer.from([0, 255, 97, 10]).toString('latin1'), [b])).toEqual([]);
  });

  it('reads every label value of a Prometheus exposition, escapes undone', () => {
    const text = [
      '# HELP http_request_duration_seconds x',
      'http_request_duration_seconds_bucket{le="0.1",method="POST",route="/vpn/config",status_code="200",service="config-service"} 3',
      `odd{a="say \\"hi\\" to ${userId}",b="x\\\\y"} 1`,
      'plain 4',
    ].join('\n');
    expect(metricLabels(text)).toEqual([
      ['http_request_duration_seconds_bucket', 'le', '0.1'],
      ['http_request_duration_seconds_bucket', 'method', 'POST'],
      ['http_request_duration_seconds_bucket', 'route', '/vpn/config'],
      ['http_request_duration_seconds_bucket', 'status_code', '200'],
      ['http_request_duration_seconds_bucket', 'service', 'config-service'],
      ['odd', 'a', `say "hi" to ${userId}`],
      ['odd', 'b', 'x\\y'],
    ]);
  });

  it('scans every line of a log, and assertClean fails naming each finding', () => {
    const log = ['{"msg":"started"}', `{"msg":"lease for ${userId}"}`, '{"msg":"peer [::1]:51820"}'].join('\n');
    const report = scanLog('config-service', log, [textNeedle('alice id', userId), addressNeedle('client', '::1')]);
    expect(report.items).toBe(3);
    expect(report.findings.map((f) => [f.place, f.what])).toEqual([
      ['log config-service line 2', 'alice id'],
      ['log config-service line 3', 'client'],
    ]);
    expect(() => assertClean([report])).toThrow(/found 2 value\(s\)[\s\S]*alice id in log config-service line 2[\s\S]*client in log config-service line 3/);
    expect(() => assertClean([scanLog('x', '{"msg":"nothing"}', [textNeedle('alice id', userId)])])).not.toThrow();
  });

  it('refuses empty needles and non-addresses (a needle that matches everything or nothing is a bug)', () => {
    expect(() => textNeedle('x', '')).toThrow();
    expect(() => addressNeedle('x', 'localhost')).toThrow();
  });

  it('scans every file under a directory, nested ones and binary ones too', () => {
    const dir = mkdtempSync(join(tmpdir(), 'phx-scan-files-'));
    try {
      mkdirSync(join(dir, 'sub'));
      writeFileSync(join(dir, 'state.json'), '{"nodeId":"n1"}');
      writeFileSync(join(dir, 'sub', 'blob'), Buffer.concat([Buffer.from([0, 255, 1]), Buffer.from('x')]));
      const needle = textNeedle('user id', userId);
      const clean = scanFiles('node', dir, [needle]);
      expect(clean.files.map((f) => f.slice(dir.length)).sort()).toEqual(['/state.json', '/sub/blob']);
      expect(clean.findings).toEqual([]);
      writeFileSync(join(dir, 'sub', 'blob'), Buffer.concat([Buffer.from([0, 255, 1]), Buffer.from(`peer of ${userId}`)]));
      expect(scanFiles('node', dir, [needle]).findings.map((f) => [f.place.slice(-9), f.what])).toEqual([['/sub/blob', 'user id']]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
