/**
 * One signing thread of {@link SignerPool}: `blindSignRaw` of @phoenix/crypto — RSASP1 (OpenSSL's
 * constant-time, blinded CRT private operation), then the RSAVP1 check RFC 9474 §4.3 requires —
 * the very function the RFC 9474 vectors test. The main thread has already checked length and
 * range; the worker checks again (it is the same function).
 *
 * Jobs arrive in batches and every message the port delivers in one turn is queued; the queue is
 * then signed (at most `signaturesPerReply` jobs) and all results go back in ONE message. Under
 * load that turns one thread wake-up per signature into one per batch — on a virtual machine a
 * wake-up of an idle thread costs as much as a tenth of the signature itself. With one job
 * waiting the batch is that job: an idle issuer adds no latency.
 *
 * This file is the worker's entry point: it serves its parent port when loaded in a worker thread
 * and does nothing when imported elsewhere.
 */
import type { KeyObject } from 'node:crypto';
import { isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { blindSignRaw } from '@phoenix/crypto';

/** What the pool hands a new worker. */
export interface SignerWorkerData {
  /** Most signatures a worker makes before it reports back. */
  signaturesPerReply: number;
}

export interface SignJob {
  id: number;
  keyId: string;
  msg: Uint8Array;
}

/** Pool → worker: keys the worker has not seen yet, and jobs. */
export interface SignRequest {
  keys: Array<[string, KeyObject]>;
  jobs: SignJob[];
}

/** Worker → pool: one entry per job of a batch. */
export interface SignResult {
  id: number;
  sig?: Uint8Array;
  error?: string;
}

function serve(port: MessagePort, signaturesPerReply: number): void {
  const keys = new Map<string, KeyObject>();
  const queue: SignJob[] = [];
  let scheduled = false;

  const signOne = (job: SignJob): Uint8Array => {
    const key = keys.get(job.keyId);
    if (!key) throw new Error('unknown key');
    return blindSignRaw(key, job.msg);
  };

  const run = (): void => {
    scheduled = false;
    const results: SignResult[] = queue.splice(0, signaturesPerReply).map((job) => {
      try {
        return { id: job.id, sig: signOne(job) };
      } catch (e) {
        return { id: job.id, error: e instanceof Error ? e.message : String(e) };
      }
    });
    port.postMessage(results);
    if (queue.length > 0) schedule();
  };

  const schedule = (): void => {
    if (!scheduled) {
      scheduled = true;
      setImmediate(run);
    }
  };

  port.on('message', (m: SignRequest) => {
    for (const [keyId, key] of m.keys) keys.set(keyId, key);
    for (const job of m.jobs) queue.push(job);
    schedule();
  });
}

if (!isMainThread && parentPort) serve(parentPort, (workerData as SignerWorkerData).signaturesPerReply);
