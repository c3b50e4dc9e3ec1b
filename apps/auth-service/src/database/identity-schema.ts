// The identity side's entities and migrations. Only auth-service imports these.
import { IssuerKey, PaymentHistory, ProcessedWebhookEvent, Subscription, TrialClaim, User, UserPreferences } from './entities';
import { IdentityInitial1767225600000 } from './migrations/1767225600000-identity-initial';

export const IDENTITY_ENTITIES: Function[] = [User, Subscription, PaymentHistory, UserPreferences, IssuerKey, ProcessedWebhookEvent, TrialClaim];
export const IDENTITY_MIGRATIONS: Function[] = [IdentityInitial1767225600000];
