import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppError, Clock, ErrorCode, InjectConfig } from '@phoenix/common';
import { base64urlDecode, base64urlEncode } from '@phoenix/crypto';
import { StripeGateway } from '../billing/stripe.gateway';
import { PaymentHistory, User, UserPreferences } from '../database/entities';
import { EntitlementService, SubscriptionView, subscriptionView } from '../entitlement/entitlement.service';
import type { FirebaseIdentity } from '../identity/firebase.adapter';
import { UsersRepository } from '../identity/users.repository';
import { QuotaService } from '../issuance/quota.service';
import { Notifier } from '../notifications/notifier';
import type { AuthConfig } from '../config';
import { SubscriptionsRepository } from '../subscriptions/subscriptions.repository';
import { AccountRepository, PageCursor } from './account.repository';
import type { PaymentDto, PaymentsPageDto, PreferencesDto } from './dto/account.dto';

const DAY_MS = 86_400_000;

export const DEFAULT_PREFERENCES: PreferencesDto = { defaultLocation: null, blocklistEnabled: true, killSwitch: false, notifications: { email: true, push: true } };

function preferencesView(p: UserPreferences | null): PreferencesDto {
  if (!p) return { ...DEFAULT_PREFERENCES, notifications: { ...DEFAULT_PREFERENCES.notifications } };
  return { defaultLocation: p.defaultLocation, blocklistEnabled: p.blocklistEnabled, killSwitch: p.killSwitch, notifications: { email: p.notifyEmail, push: p.notifyPush } };
}

function paymentView(p: PaymentHistory): PaymentDto {
  return { id: p.id, provider: p.provider, amount: p.amount, currency: p.currency, status: p.status, paidAt: p.paidAt?.toISOString() ?? null, invoiceUrl: p.invoiceUrl };
}

// Opaque to clients: base64url of the last row's sort key.
function encodeCursor(p: PaymentHistory): string {
  return base64urlEncode(Buffer.from(JSON.stringify([p.occurredAt.toISOString(), p.id])));
}

function decodeCursor(cursor: string): PageCursor {
  try {
    const [at, id] = JSON.parse(Buffer.from(base64urlDecode(cursor)).toString('utf8')) as unknown[];
    const occurredAt = new Date(String(at));
    if (typeof at !== 'string' || Number.isNaN(occurredAt.getTime()) || typeof id !== 'string' || !/^[0-9a-f-]{36}$/.test(id)) throw new Error('bad');
    return { occurredAt, id };
  } catch {
    throw new AppError(ErrorCode.VALIDATION_FAILED, 'cursor is not a cursor this service issued');
  }
}

/** A Firebase account's one trial is remembered by this hash, which survives erasure. */
export function trialClaimHash(firebaseUid: string): string {
  return createHash('sha256').update(`phoenix-trial:${firebaseUid}`).digest('hex');
}

@Injectable()
export class AccountService {
  constructor(
    private readonly users: UsersRepository,
    private readonly accounts: AccountRepository,
    private readonly subscriptions: SubscriptionsRepository,
    private readonly entitlement: EntitlementService,
    private readonly stripe: StripeGateway,
    private readonly quota: QuotaService,
    private readonly notifier: Notifier,
    private readonly clock: Clock,
    @InjectConfig() private readonly config: AuthConfig,
  ) {}

  async account(identity: FirebaseIdentity) {
    const user = await this.users.ensure(identity);
    const [e, prefs] = await Promise.all([this.entitlement.forUser(user.id), this.accounts.preferences(user.id)]);
    return { id: user.id, email: user.email, createdAt: user.createdAt.toISOString(), subscription: subscriptionView(e), preferences: preferencesView(prefs) };
  }

  async subscription(identity: FirebaseIdentity): Promise<SubscriptionView> {
    const user = await this.users.ensure(identity);
    return subscriptionView(await this.entitlement.forUser(user.id));
  }

  async startTrial(identity: FirebaseIdentity): Promise<SubscriptionView> {
    const user = await this.users.ensure(identity);
    const now = this.clock.now();
    const end = new Date(now.getTime() + this.config.TRIAL_DAYS * DAY_MS);
    await this.accounts.ds.transaction(async (m) => {
      const first = await this.accounts.claimTrial(m, trialClaimHash(identity.uid), now);
      if (!first || (await this.accounts.hasTrial(m, user.id))) throw new AppError(ErrorCode.TRIAL_USED, 'this account has already had its trial');
      await this.accounts.insertTrial(m, user.id, now, end);
      // A reminder a day before the trial ends (job-worker sends it).
      await this.notifier.enqueue('trial-ending', { userId: user.id, trialEndsAt: end.toISOString() }, `trial-ending-${user.id}`, { delay: Math.max(0, end.getTime() - DAY_MS - now.getTime()) });
    });
    return subscriptionView(await this.entitlement.forUser(user.id));
  }

  async payments(identity: FirebaseIdentity, cursor: string | undefined, limit = 20): Promise<PaymentsPageDto> {
    const after = cursor ? decodeCursor(cursor) : null;
    const user = await this.users.ensure(identity);
    const rows = await this.accounts.payments(user.id, limit + 1, after);
    const page = rows.slice(0, limit);
    return { items: page.map(paymentView), nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1]) : null };
  }

  async preferences(identity: FirebaseIdentity): Promise<PreferencesDto> {
    const user = await this.users.ensure(identity);
    return preferencesView(await this.accounts.preferences(user.id));
  }

  async putPreferences(identity: FirebaseIdentity, p: PreferencesDto): Promise<PreferencesDto> {
    const user = await this.users.ensure(identity);
    await this.accounts.savePreferences({
      userId: user.id,
      defaultLocation: p.defaultLocation,
      blocklistEnabled: p.blocklistEnabled,
      killSwitch: p.killSwitch,
      notifyEmail: p.notifications.email,
      notifyPush: p.notifications.push,
    });
    return preferencesView(await this.accounts.preferences(user.id));
  }

  /** Everything stored about the user (GDPR access / portability). */
  async export(identity: FirebaseIdentity) {
    const user = await this.users.ensure(identity);
    const [subs, payments, prefs, claimed, used, e] = await Promise.all([
      this.subscriptions.listForUser(user.id),
      this.accounts.allPayments(user.id),
      this.accounts.preferences(user.id),
      this.accounts.trialClaimed(trialClaimHash(identity.uid)),
      this.quota.used(user.id),
      this.entitlement.forUser(user.id),
    ]);
    return {
      exportedAt: this.clock.now().toISOString(),
      user: exportUser(user),
      subscription: subscriptionView(e),
      subscriptions: subs.map((s) => ({
        id: s.id,
        provider: s.provider,
        providerSubscriptionId: s.providerSubscriptionId,
        providerCustomerId: s.providerCustomerId,
        state: s.state,
        plan: s.plan,
        currentPeriodEnd: s.currentPeriodEnd?.toISOString() ?? null,
        pastDueSince: s.pastDueSince?.toISOString() ?? null,
        graceUntil: s.graceUntil?.toISOString() ?? null,
        endedAt: s.endedAt?.toISOString() ?? null,
        createdAt: s.createdAt.toISOString(),
        updatedAt: s.updatedAt.toISOString(),
      })),
      payments: payments.map(paymentView),
      preferences: preferencesView(prefs),
      trial: { claimed },
      // The only thing stored about issuance: how many tokens were issued in the rolling day.
      issuance: { tokensIssuedLast24h: used },
    };
  }

  /**
   * GDPR erasure. Provider side first (cancel the Stripe subscriptions, delete the customer), then
   * the quota counts, then the rows; a failure before the rows go answers 503 and a retry
   * finishes the job. Idempotent: an unknown user is already erased.
   */
  async erase(identity: FirebaseIdentity): Promise<void> {
    const user = await this.users.findByFirebaseUid(identity.uid);
    if (!user) return;
    const subs = await this.subscriptions.listForUser(user.id);
    for (const s of subs) {
      if (s.provider === 'stripe' && s.state !== 'ended') await this.stripe.cancelSubscription(s.providerSubscriptionId);
    }
    if (user.stripeCustomerId) await this.stripe.deleteCustomer(user.stripeCustomerId);
    await this.quota.forget(user.id);
    await this.notifier.cancel(`trial-ending-${user.id}`);
    await this.accounts.deleteUser(user.id);
    this.entitlement.subscriptionsChanged();
  }
}

function exportUser(u: User) {
  return { id: u.id, firebaseUid: u.firebaseUid, email: u.email, stripeCustomerId: u.stripeCustomerId, createdAt: u.createdAt.toISOString(), updatedAt: u.updatedAt.toISOString() };
}
