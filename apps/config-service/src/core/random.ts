import { randomBytes, randomFillSync } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { RandomSource } from '@phoenix/wireguard';

/** Bytes drawn from the CSPRNG at a time for {@link Random.source}. */
const POOL_BYTES = 4096;

/** Randomness (CSPRNG), injectable so tests can seed it. */
@Injectable()
export class Random {
  private readonly pool = Buffer.alloc(POOL_BYTES);
  private offset = POOL_BYTES;

  /**
   * `n` CSPRNG bytes, served from a pool refilled 4 KiB at a time: address drawing asks for a few
   * bytes at a time, many times per redemption, and one `randomBytes` call costs microseconds.
   * Every byte is handed out once, as a copy.
   */
  readonly source: RandomSource = (n) => {
    if (n > POOL_BYTES) return new Uint8Array(randomBytes(n));
    if (this.offset + n > POOL_BYTES) {
      randomFillSync(this.pool);
      this.offset = 0;
    }
    const out = new Uint8Array(this.pool.subarray(this.offset, this.offset + n));
    this.offset += n;
    return out;
  };

  bytes(n: number): Buffer {
    return randomBytes(n);
  }
}
