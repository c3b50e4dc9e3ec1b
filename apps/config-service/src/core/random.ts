import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { RandomSource } from '@phoenix/wireguard';

/** Randomness (CSPRNG), injectable so tests can seed it. */
@Injectable()
export class Random {
  readonly source: RandomSource = (n) => new Uint8Array(randomBytes(n));

  bytes(n: number): Buffer {
    return randomBytes(n);
  }
}
