import { createHash } from 'node:crypto';
import type { RedisClient } from '@phoenix/common';

/** A batch as it waits in the queue: its rows (TabSeparated lines, see `parseEventBatch`) and its nonce. */
export interface QueuedBatch {
  /** The stream entry id. */
  id: string;
  nonce: Buffer;
  rows: string[];
}

/** An entry that is not a batch this service wrote (it can never be inserted). */
export interface MalformedEntry {
  id: string;
  events: number;
}

export interface ReadResult {
  batches: QueuedBatch[];
  malformed: MalformedEntry[];
}

/** The consumer group every inserter of every replica reads in. */
export const INSERTERS_GROUP = 'inserters';
const ENTRY_VERSION = '1';

// Check and append in one step, so replicas answering at once never overshoot the backlog
// together. The group is (re)created with the stream, reading from its start: a batch is never
// in a stream that has no group to deliver it.
const ENQUEUE = `
local n = tonumber(ARGV[3])
local backlog = tonumber(redis.call('GET', KEYS[2]) or '0')
if backlog + n > tonumber(ARGV[2]) then return -1 end
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('XGROUP', 'CREATE', KEYS[1], ARGV[1], '0', 'MKSTREAM') end
redis.call('XADD', KEYS[1], '*', 'v', ARGV[6], 'n', ARGV[3], 'k', ARGV[4], 'r', ARGV[5])
return redis.call('INCRBY', KEYS[2], n)`;

// Acknowledge, delete and uncount in one step, each entry once: an entry another consumer already
// acknowledged (both inserted it, one after a takeover) is not uncounted again. An empty stream
// means an empty backlog, whatever the counter says.
const ACK = `
local entries, events = 0, 0
for i = 2, #ARGV, 2 do
  if redis.call('XACK', KEYS[1], ARGV[1], ARGV[i]) == 1 then
    redis.call('XDEL', KEYS[1], ARGV[i])
    entries = entries + 1
    events = events + tonumber(ARGV[i + 1])
  end
end
if events > 0 then redis.call('DECRBY', KEYS[2], events) end
if redis.call('XLEN', KEYS[1]) == 0 or tonumber(redis.call('GET', KEYS[2]) or '0') < 0 then redis.call('SET', KEYS[2], '0') end
return {entries, events}`;

type Fields = string[];
type Entry = [string, Fields] | null;

/** Runs a Lua script by its digest, loading it on first use (EVALSHA, then EVAL on NOSCRIPT). */
class Script {
  private readonly sha: string;
  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: RedisClient, keys: string[], args: Array<string | number>): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (e) {
      if (!String((e as Error).message).startsWith('NOSCRIPT')) throw e;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

const enqueueScript = new Script(ENQUEUE);
const ackScript = new Script(ACK);

function field(fields: Fields, name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

function parseEntry(entry: Entry, out: ReadResult): void {
  if (!entry) return;
  const [id, fields] = entry;
  const n = Number(field(fields, 'n'));
  const nonce = field(fields, 'k');
  const rows = field(fields, 'r');
  const events = Number.isSafeInteger(n) && n > 0 ? n : 0;
  if (field(fields, 'v') !== ENTRY_VERSION || !nonce || !/^[0-9a-f]{32}$/.test(nonce) || rows === undefined) {
    out.malformed.push({ id, events });
    return;
  }
  const lines = rows.split('\n');
  if (lines.length !== events) {
    out.malformed.push({ id, events });
    return;
  }
  out.batches.push({ id, nonce: Buffer.from(nonce, 'hex'), rows: lines });
}

/**
 * The durable queue between `POST /v1/events` and ClickHouse: one Redis Stream with one consumer
 * group, plus a counter of the events in it (the backlog). The stream's keys share a hash tag, so
 * the scripts work on Redis Cluster too. Each method is one Redis round trip (a claim takes two).
 */
export class TelemetryQueue {
  readonly stream: string;
  readonly backlogKey: string;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
  ) {
    this.stream = `${prefix}{telemetry}:queue`;
    this.backlogKey = `${prefix}{telemetry}:backlog`;
  }

  /** Appends a batch unless the backlog would pass `maxBacklog`: the backlog after it, or null when full. */
  async enqueue(rows: string[], nonce: Buffer, maxBacklog: number): Promise<number | null> {
    const r = Number(await enqueueScript.run(this.redis, [this.stream, this.backlogKey], [INSERTERS_GROUP, maxBacklog, rows.length, nonce.toString('hex'), rows.join('\n'), ENTRY_VERSION]));
    return r < 0 ? null : r;
  }

  /** Events queued and not yet acknowledged by an inserter. */
  async backlog(): Promise<number> {
    return Number((await this.redis.get(this.backlogKey)) ?? 0);
  }

  /** Creates the stream and its group if missing (a Redis that lost its data, or a first start). */
  async ensureGroup(): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', this.stream, INSERTERS_GROUP, '0', 'MKSTREAM');
    } catch (e) {
      if (!String((e as Error).message).startsWith('BUSYGROUP')) throw e;
    }
  }

  /** New batches for `consumer` (XREADGROUP), waiting up to `blockMs` for the first. */
  async read(consumer: string, count: number, blockMs: number): Promise<ReadResult> {
    const reply = (await this.redis.call('XREADGROUP', 'GROUP', INSERTERS_GROUP, consumer, 'COUNT', count, 'BLOCK', Math.max(1, Math.round(blockMs)), 'STREAMS', this.stream, '>')) as
      | Array<[string, Entry[]]>
      | null;
    const out: ReadResult = { batches: [], malformed: [] };
    for (const [, entries] of reply ?? []) for (const e of entries) parseEntry(e, out);
    return out;
  }

  /**
   * Takes over batches that another consumer (or this one, before a failed acknowledge) left
   * unacknowledged for `minIdleMs` (XAUTOCLAIM from `cursor`). Returns the next cursor (`0-0`: the
   * whole pending list was seen).
   */
  async claim(consumer: string, minIdleMs: number, cursor: string, count: number): Promise<ReadResult & { cursor: string }> {
    const [next, entries] = (await this.redis.call('XAUTOCLAIM', this.stream, INSERTERS_GROUP, consumer, minIdleMs, cursor, 'COUNT', count)) as [string, Entry[]];
    const out: ReadResult = { batches: [], malformed: [] };
    for (const e of entries) parseEntry(e, out);
    return { ...out, cursor: next };
  }

  /** Resets the idle time of batches `consumer` still works on, so no other consumer takes them over. */
  async touch(consumer: string, ids: string[]): Promise<void> {
    if (ids.length > 0) await this.redis.call('XCLAIM', this.stream, INSERTERS_GROUP, consumer, 0, ...ids, 'JUSTID');
  }

  /** Acknowledges and deletes inserted batches (each with its event count); what was not already acknowledged. */
  async ack(entries: Array<{ id: string; events: number }>): Promise<{ entries: number; events: number }> {
    if (entries.length === 0) return { entries: 0, events: 0 };
    const args: Array<string | number> = [INSERTERS_GROUP];
    for (const e of entries) args.push(e.id, e.events);
    const [acked, events] = (await ackScript.run(this.redis, [this.stream, this.backlogKey], args)) as [number, number];
    return { entries: Number(acked), events: Number(events) };
  }

  /**
   * Forgets consumers that hold nothing and were idle for `minIdleMs` (replicas gone for good),
   * never `self`. A consumer with pending batches is kept: deleting it would drop them from the
   * pending list, where a takeover finds them.
   */
  async pruneConsumers(self: string, minIdleMs: number): Promise<number> {
    const consumers = (await this.redis.call('XINFO', 'CONSUMERS', this.stream, INSERTERS_GROUP)) as Array<Array<string | number>>;
    let pruned = 0;
    for (const c of consumers) {
      const info = new Map<string, string | number>();
      for (let i = 0; i + 1 < c.length; i += 2) info.set(String(c[i]), c[i + 1]);
      const name = String(info.get('name'));
      if (name === self || Number(info.get('pending')) !== 0 || Number(info.get('idle')) < minIdleMs) continue;
      await this.redis.call('XGROUP', 'DELCONSUMER', this.stream, INSERTERS_GROUP, name);
      pruned++;
    }
    return pruned;
  }
}
