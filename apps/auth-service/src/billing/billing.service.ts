import { Injectable } from '@nestjs/common';
import { AppError, ErrorCode } from '@phoenix/common';
import { EntitlementService } from '../entitlement/entitlement.service';
import type { FirebaseIdentity } from '../identity/firebase.adapter';
import { UsersRepository } from '../identity/users.repository';
import { Plan, StripeGateway } from './stripe.gateway';

@Injectable()
export class BillingService {
  constructor(
    private readonly users: UsersRepository,
    private readonly stripe: StripeGateway,
    private readonly entitlement: EntitlementService,
  ) {}

  async checkout(identity: FirebaseIdentity, plan: Plan): Promise<{ url: string }> {
    const user = await this.users.ensure(identity);
    const current = await this.entitlement.forUser(user.id);
    if (current.entitled && current.subscription && current.subscription.provider !== 'trial') {
      throw new AppError(ErrorCode.CONFLICT, 'already subscribed; manage the plan in the billing portal');
    }
    let customerId = user.stripeCustomerId;
    if (!customerId) {
      customerId = await this.stripe.createCustomer(user.id, user.email);
      await this.users.setStripeCustomer(user.id, customerId);
    }
    return { url: await this.stripe.createCheckoutSession(customerId, user.id, plan) };
  }

  async portal(identity: FirebaseIdentity): Promise<{ url: string }> {
    const user = await this.users.ensure(identity);
    if (!user.stripeCustomerId) throw new AppError(ErrorCode.NOT_FOUND, 'no Stripe billing account for this user; start with checkout');
    return { url: await this.stripe.createPortalSession(user.stripeCustomerId) };
  }
}
