export * from './user.entity';
export * from './subscription.entity';
export * from './payment-history.entity';
export * from './user-preferences.entity';
export * from './issuer-key.entity';
export * from './processed-webhook-event.entity';
export * from './trial-claim.entity';
export * from './tenant.entity';
