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
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { constants, createPublicKey, privateDecrypt, publicEncrypt, timingSafeEqual } = require('node:crypto');
const keys = new Map();
parentPort.on('message', (m) => {
  try {
    if (m.key) keys.set(m.keyId, { sk: m.key, pk: createPublicKey(m.key) });
    const k = keys.get(m.keyId);
    if (!k) throw new Error('unknown key');
    const msg = Buffer.from(m.msg.buffer, m.msg.byteOffset, m.msg.byteLength);
    const s = privateDecrypt({ key: k.sk, padding: constants.RSA_NO_PADDING }, msg);
    const check = publicEncrypt({ key: k.pk, padding: constants.RSA_NO_PADDING }, s);
    if (s.length !== msg.length || !timingSafeEqual(check, msg)) throw new Error('RSAVP1(pk, s) != m');
    parentPort.postMessage({ id: m.id, sig: s });
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: String(e && e.message || e) });
  }
});
`;

interface Pending {
  resolve: (sig: Uint8Array) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
  keys: Set<string>;
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
 * busy worker. With `SIGNING_WORKERS=0` it signs on the main thread with @phoenix/crypto.
 */
@Injectable()
export class SignerPool implements OnApplicationShutdown {
  private readonly logger = new Logger('SignerPool');
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private closed = false;

  constructor(@Inject(APP_CONFIG) config: AuthConfig) {
    for (let i = 0; i < config.SIGNING_WORKERS; i++) this.slots.push(this.spawn());
  }

  get size(): number {
    return this.slots.length;
  }

  private spawn(): Slot {
    const worker = new Worker(WORKER_SOURCE, { eval: true, name: 'issuer-signer' });
    const slot: Slot = { worker, pending: new Map(), keys: new Set() };
    worker.on('message', (m: { id: number; sig?: Uint8Array; error?: string }) => {
      const p = slot.pending.get(m.id);
      if (!p) return;
      slot.pending.delete(m.id);
      if (m.sig) p.resolve(new Uint8Array(m.sig.buffer, m.sig.byteOffset, m.sig.byteLength));
      else p.reject(new SigningError(m.error ?? 'signing failed'));
    });
    const fail = (why: string) => {
      for (const p of slot.pending.values()) p.reject(new SigningError(why));
      slot.pending.clear();
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
    const sendKey = !slot.keys.has(keyId);
    if (sendKey) slot.keys.add(keyId);
    return new Promise<Uint8Array>((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.worker.postMessage(sendKey ? { id, keyId, key: privateKey, msg } : { id, keyId, msg });
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
