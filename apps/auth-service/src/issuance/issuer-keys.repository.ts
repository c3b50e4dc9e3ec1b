import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, In } from 'typeorm';
import { IssuerKey } from '../database/entities';
import type { KeyTimes } from './key-schedule';

// One lock for every change to the key schedule, across replicas: the first replica to take it
// creates the next key; the others then see it and create nothing.
const SCHEDULE_LOCK = "hashtext('phoenix:identity:issuer-keys')";

@Injectable()
export class IssuerKeysRepository {
  constructor(private readonly ds: DataSource) {}

  all(m: EntityManager = this.ds.manager): Promise<IssuerKey[]> {
    return m.find(IssuerKey, { order: { notBefore: 'ASC' } });
  }

  /** Runs `fn` in a transaction holding the schedule's advisory lock (released at commit/rollback). */
  withScheduleLock<T>(fn: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.ds.transaction(async (m) => {
      await m.query(`SELECT pg_advisory_xact_lock(${SCHEDULE_LOCK})`);
      return fn(m);
    });
  }

  insert(m: EntityManager, key: Omit<IssuerKey, 'createdAt'>): Promise<unknown> {
    return m.insert(IssuerKey, key);
  }

  updateTimes(m: EntityManager, keyId: string, times: KeyTimes): Promise<unknown> {
    return m.update(IssuerKey, { keyId }, times);
  }

  remove(m: EntityManager, keyIds: string[]): Promise<unknown> {
    return keyIds.length ? m.delete(IssuerKey, { keyId: In(keyIds) }) : Promise.resolve();
  }
}
