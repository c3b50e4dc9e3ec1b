import { randomBytes } from 'node:crypto';
import { type Algorithm, type Options, hash, verify } from '@node-rs/argon2';
import { Injectable, OnModuleInit } from '@nestjs/common';

/** argon2id with OWASP's first recommended setting (19 MiB, 2 passes, 1 lane). */
// `Algorithm` is a `const enum` (erased under isolated modules): Argon2id is its member 2.
const ARGON2ID = 2 as Algorithm;
const OPTIONS: Options = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

/**
 * Tenant users' passwords. `verifyOrDummy` is the only check login uses: with no stored hash (an
 * unknown email) it verifies against a dummy hash made with the same parameters, so an unknown
 * email costs one argon2id verification exactly like a wrong password.
 */
@Injectable()
export class PasswordHasher implements OnModuleInit {
  private dummy: string | undefined;

  async onModuleInit(): Promise<void> {
    await this.dummyHash();
  }

  hash(password: string): Promise<string> {
    return hash(password, OPTIONS);
  }

  /** True only when `stored` is a real hash and `password` matches it. */
  async verifyOrDummy(stored: string | null, password: string): Promise<boolean> {
    const target = stored ?? (await this.dummyHash());
    const ok = await this.verify(target, password);
    return stored !== null && ok;
  }

  /** One argon2id verification (a malformed stored hash counts as a mismatch). */
  async verify(stored: string, password: string): Promise<boolean> {
    return verify(stored, password).catch(() => false);
  }

  async dummyHash(): Promise<string> {
    this.dummy ??= await hash(randomBytes(32).toString('base64url'), OPTIONS);
    return this.dummy;
  }
}
