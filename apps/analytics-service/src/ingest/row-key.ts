import { createHash, randomBytes } from 'node:crypto';

/** Bytes of a queued batch's nonce. */
export const NONCE_BYTES = 16;

/** A fresh random nonce for a queued batch. */
export function batchNonce(): Buffer {
  return randomBytes(NONCE_BYTES);
}

/**
 * `row_key` of the `index`-th event of a queued batch (infra/clickhouse/migrations/002_telemetry.sql):
 * the first 8 bytes of SHA-256(nonce ‖ index), `index` as a 4-byte big-endian unsigned integer,
 * read as an unsigned 64-bit big-endian integer — decimal, as ClickHouse takes a UInt64 in text.
 * The same batch inserted again gets the same keys, so ReplacingMergeTree (read with FINAL) keeps
 * one row per event; the keys of one batch are unrelated numbers, linking its rows to nothing.
 */
export function rowKey(nonce: Uint8Array, index: number): string {
  const i = Buffer.alloc(4);
  i.writeUInt32BE(index);
  return createHash('sha256').update(nonce).update(i).digest().readBigUInt64BE(0).toString();
}

/** The rows of a queued batch as inserted: each queued line followed by its `row_key` (TabSeparated). */
export function keyedRows(batch: { nonce: Uint8Array; rows: readonly string[] }): string[] {
  return batch.rows.map((row, i) => `${row}\t${rowKey(batch.nonce, i)}`);
}
