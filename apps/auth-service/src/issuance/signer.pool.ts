import { KeyObject } from 'node:crypto';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { blindSignRaw } from '@phoenix/crypto';
import { InjectConfig } from '@phoenix/common';
import type { AuthConfig } from '../config';
import type { SignJob, SignRequest, SignResult, SignerWorkerData } from './signer.worker';

/** Most signatures a worker makes before it reports back (bounds the latency batching adds). */
export const SIGNATURES_PER_REPLY = 8;

// The worker is signer.worker.js beside this file in the build (tsc, then tsc-alias). Run from the
// TypeScript sources (`node -r @swc-node/register`, Jest) it is signer.worker.ts, and the thread
// needs that register hook itself: Jest's transform does not reach worker threads, and a parent
// started by Jest has no `-r` to inherit.
const FROM_SOURCE = __filename.endsWith('.ts');
const WORKER_FILE = path.join(__dirname, FROM_SOURCE ? 'signer.worker.ts' : 'signer.worker.js');
const WORKER_EXEC_ARGV = FROM_SOURCE ? ['--require', require.resolve('@swc-node/register')] : undefined;

interface Pending {
  resolve: (sig: Uint8Array) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
  keys: Set<string>;
  /** Jobs and keys not yet posted: sent together at the end of this event-loop turn. */
  outbox: SignJob[];
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
 * busy worker; jobs are posted once per event-loop turn, not one message each. Each worker
 * (`signer.worker.ts`) signs with `blindSignRaw` of @phoenix/crypto; with `SIGNING_WORKERS=0`
 * the main thread calls the same function.
 */
@Injectable()
export class SignerPool implements OnApplicationShutdown {
  private readonly logger = new Logger('SignerPool');
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private closed = false;
  private flushScheduled = false;

  constructor(@InjectConfig() config: AuthConfig) {
    for (let i = 0; i < config.SIGNING_WORKERS; i++) this.slots.push(this.spawn());
  }

  get size(): number {
    return this.slots.length;
  }

  private spawn(): Slot {
    const workerData: SignerWorkerData = { signaturesPerReply: SIGNATURES_PER_REPLY };
    const worker = new Worker(WORKER_FILE, { name: 'issuer-signer', workerData, execArgv: WORKER_EXEC_ARGV });
    const slot: Slot = { worker, pending: new Map(), keys: new Set(), outbox: [], outKeys: [] };
    worker.on('message', (results: SignResult[]) => {
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
      const request: SignRequest = { keys: slot.outKeys, jobs: slot.outbox };
      slot.worker.postMessage(request);
      slot.outbox = [];
      slot.outKeys = [];
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
