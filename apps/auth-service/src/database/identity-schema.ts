// The identity side's entities and migrations. Only auth-service imports these.
import { IssuerKey, PaymentHistory, ProcessedWebhookEvent, Subscription, Tenant, TenantApiKey, TenantDevice, TenantRefreshToken, TenantUser, TrialClaim, User, UserPreferences } from './entities';
import { IdentityInitial1767225600000 } from './migrations/1767225600000-identity-initial';
import { Tenants1796083200000 } from './migrations/1796083200000-tenants';
import { TenantBilling1796090400000 } from './migrations/1796090400000-tenant-billing';
import { TenantIssuerKeys1796086800000 } from './migrations/1796086800000-tenant-issuer-keys';

export const IDENTITY_ENTITIES: Function[] = [User, Subscription, PaymentHistory, UserPreferences, IssuerKey, ProcessedWebhookEvent, TrialClaim, Tenant, TenantApiKey, TenantUser, TenantRefreshToken, TenantDevice];
export const IDENTITY_MIGRATIONS: Function[] = [IdentityInitial1767225600000, Tenants1796083200000, TenantIssuerKeys1796086800000, TenantBilling1796090400000];
