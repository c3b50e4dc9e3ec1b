import { KeyObject } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { blindSignRaw } from '@phoenix/crypto';
import { APP_CONFIG, AuthConfig } from '../shared/tokens';

/**
 * The worker's code: RSASP1 (OpenSSL's constant-time, blinded CRT private operation) followed by
 * the RSAVP1 check RFC 9474 §4.3 requires, exactly as `blindSignRaw` of @phoenix/crypto does it.
 * It is inline JavaScript on node:crypto alone so a worker starts the same under SWC, Jest and the
 * tsc build, without a TypeScript loader. The main thread has already checked length and range.
 *
 * Jobs arrive in batches and every message the port delivers in one turn is queued; the queue is
 * then signed (at most MAX_BATCH jobs) and all results go back in ONE message. Under load that
 * turns one thread wake-up per signature into one per batch — on a virtual machine a wake-up of
 * an idle thread costs as much as a tenth of the signature itself. With one job waiting the
 * batch is that job: an idle issuer adds no latency.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { constants, createPublicKey, privateDecrypt, publicEncrypt, timingSafeEqual } = require('node:crypto');
const MAX_BATCH = workerData.maxBatch;
const keys = new Map();
const queue = [];
let scheduled = false;
function signOne(job) {
  const k = keys.get(job.keyId);
  if (!k) throw new Error('unknown key');
  const msg = Buffer.from(job.msg.buffer, job.msg.byteOffset, job.msg.byteLength);
  const s = privateDecrypt({ key: k.sk, padding: constants.RSA_NO_PADDING }, msg);
  const check = publicEncrypt({ key: k.pk, padding: constants.RSA_NO_PADDING }, s);
  if (s.length !== msg.length || !timingSafeEqual(check, msg)) throw new Error('RSAVP1(pk, s) != m');
  return s;
}
function run() {
  scheduled = false;
  const batch = queue.splice(0, MAX_BATCH);
  const results = batch.map((job) => {
    try {
      return { id: job.id, sig: signOne(job) };
    } catch (e) {
      return { id: job.id, error: String((e && e.message) || e) };
    }
  });
  parentPort.postMessage(results);
  if (queue.length > 0) schedule();
}
function schedule() {
  if (!scheduled) {
    scheduled = true;
    setImmediate(run);
  }
}
parentPort.on('message', (m) => {
  for (const [keyId, key] of m.keys) keys.set(keyId, { sk: key, pk: createPublicKey(key) });
  for (const job of m.jobs) queue.push(job);
  schedule();
});
`;

/** Most signatures a worker makes before it reports back (bounds the latency batching adds). */
export const MAX_BATCH = 8;

interface Pending {
  resolve: (sig: Uint8Array) => void;
  reject: (e: Error) => void;
}

interface Job {
  id: number;
  keyId: string;
  msg: Uint8Array;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
  keys: Set<string>;
  /** Jobs and keys not yet posted: sent together at the end of this event-loop turn. */
  outbox: Job[];
  outKeys: Array<[string, KeyObject]>;
}

export class SigningError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SigningError';
  }
}

/**
 * The RSA private operation off the event loop, on a pool of worker threads (one per core by
 * default, `SIGNING_WORKERS`): one Node process then signs on every core while its main thread
 * does HTTP, Firebase, Postgres and Redis. Each blinded message of a batch goes to the least
 * busy worker; jobs are posted once per event-loop turn, not one message each. With
 * `SIGNING_WORKERS=0` it signs on the main thread with @phoenix/crypto.
 */
@Injectable()
export class SignerPool implements OnApplicationShutdown {
  private readonly logger = new Logger('SignerPool');
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private closed = false;
  private flushScheduled = false;

  constructor(@Inject(APP_CONFIG) config: AuthConfig) {
    for (let i = 0; i < config.SIGNING_WORKERS; i++) this.slots.push(this.spawn());
  }

  get size(): number {
    return this.slots.length;
  }

  private spawn(): Slot {
    const worker = new Worker(WORKER_SOURCE, { eval: true, name: 'issuer-signer', workerData: { maxBatch: MAX_BATCH } });
    const slot: Slot = { worker, pending: new Map(), keys: new Set(), outbox: [], outKeys: [] };
    worker.on('message', (results: Array<{ id: number; sig?: Uint8Array; error?: string }>) => {
      for (const m of results) {
        const p = slot.pending.get(m.id);
        if (!p) continue;
        slot.pending.delete(m.id);
        if (m.sig) p.resolve(new Uint8Array(m.sig.buffer, m.sig.byteOffset, m.sig.byteLength));
        else p.reject(new SigningError(m.error ?? 'signing failed'));
      }
    });
    const fail = (why: string) => {
      for (const p of slot.pending.values()) p.reject(new SigningError(why));
      slot.pending.clear();
      slot.outbox = [];
      const i = this.slots.indexOf(slot);
      if (i >= 0 && !this.closed) {
        this.logger.error(`signer worker ${why}; replacing it`);
        this.slots[i] = this.spawn();
      }
    };
    worker.on('error', (e) => fail(`failed: ${e.message}`));
    worker.on('exit', (code) => fail(`exited with ${code}`));
    worker.unref();
    return slot;
  }

  /** Signs each blinded message (already checked: 256 bytes, below n) with `privateKey`. */
  async sign(keyId: string, privateKey: KeyObject, blindedMsgs: readonly Uint8Array[]): Promise<Uint8Array[]> {
    if (this.slots.length === 0) {
      return blindedMsgs.map((msg) => {
        try {
          return blindSignRaw(privateKey, msg);
        } catch (e) {
          throw new SigningError((e as Error).message);
        }
      });
    }
    return Promise.all(blindedMsgs.map((msg) => this.signOne(keyId, privateKey, msg)));
  }

  private signOne(keyId: string, privateKey: KeyObject, msg: Uint8Array): Promise<Uint8Array> {
    let slot = this.slots[0];
    for (const s of this.slots) if (s.pending.size < slot.pending.size) slot = s;
    const id = this.nextId++;
    if (!slot.keys.has(keyId)) {
      slot.keys.add(keyId);
      slot.outKeys.push([keyId, privateKey]);
    }
    return new Promise<Uint8Array>((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.outbox.push({ id, keyId, msg });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Posts every slot's waiting jobs (and keys it has not seen) in one message per worker. */
  private flush(): void {
    this.flushScheduled = false;
    for (const slot of this.slots) {
      if (slot.outbox.length === 0) continue;
      slot.worker.postMessage({ keys: slot.outKeys, jobs: slot.outbox });
      slot.outbox = [];
      slot.outKeys = [];
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
