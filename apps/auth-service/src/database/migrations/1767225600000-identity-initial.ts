import { MigrationInterface, QueryRunner } from 'typeorm';

/** The identity database: users, subscriptions, payments, preferences, issuer keys, webhook ids. */
export class IdentityInitial1767225600000 implements MigrationInterface {
  name = 'IdentityInitial1767225600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY,
        firebase_uid text NOT NULL UNIQUE,
        email text,
        stripe_customer_id text UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE subscriptions (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        provider text NOT NULL CHECK (provider IN ('stripe', 'apple', 'trial')),
        provider_subscription_id text NOT NULL,
        provider_customer_id text,
        state text NOT NULL CHECK (state IN ('trialing', 'active', 'past_due', 'canceled', 'ended')),
        plan text,
        current_period_end timestamptz,
        past_due_since timestamptz,
        grace_until timestamptz,
        ended_at timestamptz,
        provider_updated_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (provider, provider_subscription_id)
      )`);
    await q.query(`CREATE INDEX subscriptions_user_idx ON subscriptions (user_id)`);
    await q.query(`CREATE INDEX subscriptions_customer_idx ON subscriptions (provider_customer_id) WHERE provider_customer_id IS NOT NULL`);
    // At most one trial per user, ever (a deleted account is caught by trial_claims).
    await q.query(`CREATE UNIQUE INDEX subscriptions_one_trial ON subscriptions (user_id) WHERE provider = 'trial'`);
    await q.query(`
      CREATE TABLE payment_history (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        provider text NOT NULL CHECK (provider IN ('stripe', 'apple')),
        provider_payment_id text NOT NULL,
        amount bigint NOT NULL,
        currency text NOT NULL,
        status text NOT NULL CHECK (status IN ('paid', 'failed', 'refunded')),
        paid_at timestamptz,
        invoice_url text,
        occurred_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (provider, provider_payment_id)
      )`);
    await q.query(`CREATE INDEX payment_history_page_idx ON payment_history (user_id, occurred_at DESC, id DESC)`);
    await q.query(`
      CREATE TABLE user_preferences (
        user_id uuid PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        default_location text,
        blocklist_enabled boolean NOT NULL,
        kill_switch boolean NOT NULL,
        notify_email boolean NOT NULL,
        notify_push boolean NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE issuer_keys (
        key_id char(64) PRIMARY KEY,
        truncated_key_id smallint NOT NULL CHECK (truncated_key_id BETWEEN 0 AND 255),
        token_key bytea NOT NULL,
        encrypted_private_key bytea NOT NULL,
        publish_from timestamptz NOT NULL,
        not_before timestamptz NOT NULL UNIQUE,
        signs_until timestamptz NOT NULL,
        remove_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CHECK (publish_from <= not_before AND not_before < signs_until AND signs_until <= remove_at)
      )`);
    await q.query(`
      CREATE TABLE processed_webhook_events (
        provider text NOT NULL,
        event_id text NOT NULL,
        event_type text NOT NULL,
        processed_at timestamptz NOT NULL,
        PRIMARY KEY (provider, event_id)
      )`);
    await q.query(`
      CREATE TABLE trial_claims (
        uid_hash char(64) PRIMARY KEY,
        claimed_at timestamptz NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['trial_claims', 'processed_webhook_events', 'issuer_keys', 'user_preferences', 'payment_history', 'subscriptions', 'users']) {
      await q.query(`DROP TABLE IF EXISTS ${t}`);
    }
  }
}
