import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { User } from '../database/entities';
import type { FirebaseIdentity } from './firebase.adapter';

/** Users: found by Firebase uid, created on first sight. */
@Injectable()
export class UsersRepository {
  constructor(private readonly ds: DataSource) {}

  findByFirebaseUid(uid: string, m: EntityManager = this.ds.manager): Promise<User | null> {
    return m.findOne(User, { where: { firebaseUid: uid } });
  }

  findById(id: string, m: EntityManager = this.ds.manager): Promise<User | null> {
    return m.findOne(User, { where: { id } });
  }

  findByStripeCustomer(customerId: string, m: EntityManager = this.ds.manager): Promise<User | null> {
    return m.findOne(User, { where: { stripeCustomerId: customerId } });
  }

  /** The user for a verified identity; inserted when new (race-free: ON CONFLICT), email kept current. */
  async ensure(identity: FirebaseIdentity): Promise<User> {
    const existing = await this.findByFirebaseUid(identity.uid);
    if (existing) {
      if (identity.email !== null && existing.email !== identity.email) {
        await this.ds.manager.update(User, { id: existing.id }, { email: identity.email });
        existing.email = identity.email;
      }
      return existing;
    }
    await this.ds
      .createQueryBuilder()
      .insert()
      .into(User)
      .values({ id: randomUUID(), firebaseUid: identity.uid, email: identity.email, stripeCustomerId: null })
      .orIgnore()
      .execute();
    const created = await this.findByFirebaseUid(identity.uid);
    if (!created) throw new Error('user vanished right after insert');
    return created;
  }

  setStripeCustomer(userId: string, customerId: string, m: EntityManager = this.ds.manager): Promise<unknown> {
    return m.update(User, { id: userId }, { stripeCustomerId: customerId });
  }
}
