// Content scans for the privacy invariants (ARCHITECTURE.md, invariants 2, 3 and 6): look for known
// values — a test user's id, email, Firebase uid, Stripe ids, a tenant user's id and device id, the
// client's addresses, a token's bytes — in every row of every table of a database (Postgres or
// ClickHouse), every Redis key and value under a pattern, every label of a `/metrics` page, every
// line of a log and every file under a directory. The scans read what is there after a real run; they
// do not trust column names or code paths. Each scan reports what it read, so a test can also prove
// it saw the run's data (a scan that reads nothing finds nothing).
//
// Matching: text needles case-insensitively (also percent-encoded, as in a URL); addresses only as
// whole addresses (`127.0.0.1` is not found in `127.0.0.10`, `::1` not in `fd00:70:1::1`, but both
// are found in `[::1]:3000`, `::ffff:127.0.0.1` or `127.0.0.1/32`); bytes exactly (binary Redis
// values are read as latin1).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { Client } from 'pg';

export interface Needle {
  /** What the value is, for the report: "alice's user id". */
  what: string;
  value: string;
  kind: 'text' | 'address' | 'bytes';
}

export interface Finding {
  /** Where: `postgres phoenix_network public.lease`, `redis cfg:x (hash)`, `metrics config-service`, `log node-daemon`. */
  place: string;
  what: string;
  /** The text around the match (at most 160 characters). */
  excerpt: string;
}

export interface ScanReport {
  place: string;
  /** How many items (rows, keys, label values, lines) were read. */
  items: number;
  findings: Finding[];
}

/** A value looked for as text, case-insensitively (and percent-encoded when that differs). */
export function textNeedle(what: string, value: string): Needle {
  if (!value) throw new Error(`empty needle: ${what}`);
  return { what, value, kind: 'text' };
}

/** An IPv4 or IPv6 address (a `/prefix` suffix is dropped), found only as a whole address. */
export function addressNeedle(what: string, address: string): Needle {
  const value = address.replace(/\/\d+$/, '');
  if (!/^[0-9.]+$/.test(value) && !/^[0-9a-f:.]+$/i.test(value)) throw new Error(`not an address: ${address} (${what})`);
  return { what, value, kind: 'address' };
}

/** Raw bytes, found exactly in binary values (and in text as latin1). */
export function bytesNeedle(what: string, bytes: Uint8Array): Needle {
  if (!bytes.length) throw new Error(`empty needle: ${what}`);
  return { what, value: Buffer.from(bytes).toString('latin1'), kind: 'bytes' };
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

type Matcher = (haystack: string, lower: string) => number;

function matcherFor(n: Needle): Matcher {
  if (n.kind === 'bytes') return (h) => h.indexOf(n.value);
  if (n.kind === 'text') {
    const forms = [...new Set([n.value, encodeURIComponent(n.value)].map((f) => f.toLowerCase()))];
    return (_h, lower) => {
      for (const f of forms) {
        const i = lower.indexOf(f);
        if (i !== -1) return i;
      }
      return -1;
    };
  }
  const re = n.value.includes(':')
    ? new RegExp(`(?<![0-9a-f:])${escapeRe(n.value)}(?![0-9a-f:])`, 'i')
    : new RegExp(`(?<![0-9.])${escapeRe(n.value)}(?![0-9]|\\.[0-9])`);
  return (h) => re.exec(h)?.index ?? -1;
}

/** The needles found in `text`, one finding per needle. */
export function findIn(place: string, text: string, needles: readonly Needle[]): Finding[] {
  const lower = text.toLowerCase();
  const found: Finding[] = [];
  for (const n of needles) {
    const at = matcherFor(n)(text, lower);
    if (at === -1) continue;
    const from = Math.max(0, at - 60);
    const excerpt = text.slice(from, Math.min(text.length, from + 160)).replace(/[^\x20-\x7e]/g, '·');
    found.push({ place, what: n.what, excerpt });
  }
  return found;
}

/** Throws, listing every finding, when any report has one. */
export function assertClean(reports: readonly ScanReport[]): void {
  const findings = reports.flatMap((r) => r.findings);
  if (!findings.length) return;
  const lines = findings.slice(0, 50).map((f) => `  - ${f.what} in ${f.place}: …${f.excerpt}…`);
  if (findings.length > 50) lines.push(`  … and ${findings.length - 50} more`);
  throw new Error(`privacy scan found ${findings.length} value(s) that must not be there:\n${lines.join('\n')}`);
}

// ---------------------------------------------------------------- Postgres

const ROW_BATCH = 1000;
const MAX_ROWS_PER_TABLE = 10_000_000;

/**
 * Every row of every table (plain, partitioned, materialized views) of every non-system schema of
 * the database at `url`, each row as text (`row::text`: every column cast to text), read through a
 * cursor. A table the connecting role cannot read fails the scan (it must see everything).
 */
export async function scanPostgres(url: string, needles: readonly Needle[]): Promise<ScanReport & { tables: string[] }> {
  const pg = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await pg.connect();
  const database = new URL(url).pathname.slice(1);
  const report = { place: `postgres ${database}`, items: 0, findings: [] as Finding[], tables: [] as string[] };
  try {
    const { rows: tables } = await pg.query<{ name: string }>(
      `SELECT format('%I.%I', n.nspname, c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 1`,
    );
    await pg.query('BEGIN READ ONLY');
    try {
      for (const { name } of tables) {
        report.tables.push(name);
        await pg.query(`DECLARE scan NO SCROLL CURSOR FOR SELECT t::text AS r FROM ${name} t`);
        for (let read = 0; read < MAX_ROWS_PER_TABLE; ) {
          const { rows } = await pg.query<{ r: string }>(`FETCH ${ROW_BATCH} FROM scan`);
          if (!rows.length) break;
          read += rows.length;
          report.items += rows.length;
          for (const row of rows) report.findings.push(...findIn(`${report.place} ${name}`, row.r, needles));
        }
        await pg.query('CLOSE scan');
      }
    } finally {
      await pg.query('ROLLBACK');
    }
    return report;
  } finally {
    await pg.end();
  }
}

// ---------------------------------------------------------------- Redis

const MAX_SCAN_ROUNDS = 100_000;

/** Every key matching `pattern` (SCAN, bounded). */
export async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const keys = new Set<string>();
  let cursor = '0';
  for (let round = 0; round < MAX_SCAN_ROUNDS; round++) {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    for (const k of batch) keys.add(k);
    cursor = next;
    if (cursor === '0') return [...keys];
  }
  throw new Error(`SCAN ${pattern} did not finish in ${MAX_SCAN_ROUNDS} rounds`);
}

/** A key's value as strings (binary values as latin1), whatever its type. */
async function valueOf(redis: Redis, key: string): Promise<{ type: string; parts: string[] }> {
  const type = await redis.type(key);
  const bin = (bs: Buffer[]) => bs.map((b) => b.toString('latin1'));
  switch (type) {
    case 'none':
      return { type, parts: [] }; // expired meanwhile
    case 'string':
      return { type, parts: bin([(await redis.getBuffer(key)) ?? Buffer.alloc(0)]) };
    case 'hash':
      return { type, parts: Object.entries(await redis.hgetallBuffer(key)).flatMap(([f, v]) => [f, v.toString('latin1')]) };
    case 'list':
      return { type, parts: bin(await redis.lrangeBuffer(key, 0, -1)) };
    case 'set':
      return { type, parts: bin(await redis.smembersBuffer(key)) };
    case 'zset':
      return { type, parts: bin(await redis.zrangeBuffer(key, 0, -1, 'WITHSCORES')) };
    case 'stream':
      return { type, parts: (await redis.xrangeBuffer(key, '-', '+')).flatMap(([id, fields]) => [id.toString('latin1'), ...bin(fields)]) };
    default:
      throw new Error(`Redis key ${key} has type ${type}, which the privacy scan cannot read`);
  }
}

/**
 * Every key matching `pattern` and its whole value (string, hash, list, set, zset, stream), read
 * with `redis`'s own user: a key that user cannot read fails the scan (NOPERM), so scanning with a
 * side's user shows what that side can see. The keys are listed by `lister` (default `redis`): a
 * side's user may not SCAN (README "Redis users"), so it lists as the admin with the side's pattern.
 */
export async function scanRedis(redis: Redis, pattern: string, needles: readonly Needle[], lister: Redis = redis): Promise<ScanReport & { keys: string[] }> {
  const keys = await scanKeys(lister, pattern);
  const report = { place: `redis ${pattern}`, items: 0, findings: [] as Finding[], keys };
  for (const key of keys) {
    const { type, parts } = await valueOf(redis, key);
    report.items++;
    const place = `redis ${key} (${type})`;
    for (const text of [key, ...parts]) {
      // Text stored as UTF-8 reads differently as latin1 once it has non-ASCII: scan both.
      report.findings.push(...findIn(place, text, needles));
      const utf8 = Buffer.from(text, 'latin1').toString('utf8');
      if (utf8 !== text) report.findings.push(...findIn(place, utf8, needles.filter((n) => n.kind !== 'bytes')));
    }
  }
  return report;
}

/**
 * The key patterns a Redis ACL user may read (`ACL GETUSER`, asked as the admin): `~pattern` and
 * `%R~pattern` selectors; `allkeys`/`~*` is `*`. A user with no key access has none.
 */
export async function readableKeyPatterns(admin: Redis, user: string): Promise<string[]> {
  const reply = (await admin.call('ACL', 'GETUSER', user)) as unknown[] | null;
  if (!Array.isArray(reply)) throw new Error(`Redis has no ACL user ${user}`);
  const i = reply.findIndex((x) => String(x) === 'keys');
  const keys = String(reply[i + 1] ?? '');
  return [
    ...new Set(
      keys
        .split(/\s+/)
        .filter((k) => k === 'allkeys' || k.startsWith('~') || /^%R?W?~/.test(k))
        .filter((k) => !/^%W~/.test(k))
        .map((k) => (k === 'allkeys' ? '*' : k.replace(/^%[RW]*~|^~/, ''))),
    ),
  ];
}

// ---------------------------------------------------------------- ClickHouse

const CLICKHOUSE_MAX_ROWS_PER_TABLE = 10_000_000;

async function clickHouseQuery(url: string, query: string): Promise<string> {
  const res = await fetch(url, { method: 'POST', body: query, signal: AbortSignal.timeout(60_000) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`ClickHouse answered ${res.status} to ${query.slice(0, 80)}: ${text.slice(0, 300)}`);
  return text;
}

/**
 * Every row of every table of every database but `system` on the ClickHouse server at `url` (its
 * HTTP interface), each row as one TabSeparated line. Views hold no rows of their own (a
 * materialized view's rows are in its `.inner.` table, scanned as a table); a Distributed table's
 * rows are in the local tables it fronts, scanned on each server they live on.
 */
export async function scanClickHouse(url: string, needles: readonly Needle[]): Promise<ScanReport & { tables: string[] }> {
  const report = { place: `clickhouse ${new URL(url).host}`, items: 0, findings: [] as Finding[], tables: [] as string[] };
  const list = await clickHouseQuery(
    url,
    "SELECT database, name FROM system.tables WHERE database != 'system' AND engine NOT IN ('View', 'MaterializedView', 'Distributed') ORDER BY database, name FORMAT TabSeparated",
  );
  const quote = (id: string) => `\`${id.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;
  for (const line of list.split('\n').filter(Boolean)) {
    const [database = '', name = ''] = line.split('\t');
    const table = `${database}.${name}`;
    report.tables.push(table);
    const rows = await clickHouseQuery(url, `SELECT * FROM ${quote(database)}.${quote(name)} LIMIT ${CLICKHOUSE_MAX_ROWS_PER_TABLE} FORMAT TabSeparated`);
    for (const row of rows.split('\n')) {
      if (!row) continue;
      report.items++;
      report.findings.push(...findIn(`${report.place} ${table}`, row, needles));
    }
  }
  return report;
}

// ---------------------------------------------------------------- files

/** Every file under `dir` (recursively, symlinks not followed), each as text (binary as latin1). */
export function scanFiles(name: string, dir: string, needles: readonly Needle[]): ScanReport & { files: string[] } {
  const report = { place: `files ${name}`, items: 0, findings: [] as Finding[], files: [] as string[] };
  const walk = (d: string, depth: number) => {
    if (depth > 20) throw new Error(`${d}: too deep`);
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path, depth + 1);
      else if (entry.isFile()) {
        report.files.push(path);
        report.items++;
        const bytes = readFileSync(path);
        const found = findIn(`${report.place} ${path}`, bytes.toString('latin1'), needles);
        // Text stored as UTF-8 reads differently as latin1 once it has non-ASCII: the rest in UTF-8 too.
        const rest = needles.filter((n) => n.kind !== 'bytes' && !found.some((f) => f.what === n.what));
        report.findings.push(...found, ...findIn(`${report.place} ${path}`, bytes.toString('utf8'), rest));
      }
    }
  };
  walk(dir, 0);
  return report;
}

// ---------------------------------------------------------------- /metrics

/** Label values of a Prometheus text exposition: `[metric, label, value]` per label. */
export function metricLabels(exposition: string): Array<[string, string, string]> {
  const out: Array<[string, string, string]> = [];
  for (const line of exposition.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\}\s/.exec(line);
    if (!m) continue;
    const [, metric = '', labels = ''] = m;
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
    for (let l = re.exec(labels); l; l = re.exec(labels)) {
      const [, name = '', value = ''] = l;
      out.push([metric, name, value.replace(/\\(.)/g, (_s, c: string) => (c === 'n' ? '\n' : c))]);
    }
  }
  return out;
}

/** Every label value (and every other byte) of the `/metrics` page at `url`. */
export async function scanMetrics(service: string, url: string, needles: readonly Needle[]): Promise<ScanReport & { labels: Array<[string, string, string]> }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
  const text = await res.text();
  const labels = metricLabels(text);
  const place = `metrics ${service}`;
  const findings = labels.flatMap(([metric, label, value]) => findIn(`${place} ${metric}{${label}}`, value, needles));
  // Anything else on the page too (metric names, help texts), once per needle not already found.
  const seen = new Set(findings.map((f) => f.what));
  findings.push(...findIn(place, text, needles).filter((f) => !seen.has(f.what)));
  return { place, items: labels.length, findings, labels };
}

// ---------------------------------------------------------------- logs

/** Every line of a log. */
export function scanLog(name: string, text: string, needles: readonly Needle[]): ScanReport {
  const lines = text.split('\n');
  const place = `log ${name}`;
  return { place, items: lines.length, findings: lines.flatMap((line, i) => findIn(`${place} line ${i + 1}`, line, needles)) };
}
