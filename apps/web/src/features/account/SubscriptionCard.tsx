import { CreditCard, ExternalLink, Sparkles } from 'lucide-react';
import { useState } from 'react';
import { useServices } from '../../app/services';
import { Button, Card, Notice } from '../../components/ui';
import type { Subscription } from '../../lib/api';
import { describeError } from '../../lib/errors';

const STATUS: Record<Subscription['status'], { label: string; style: string; help: string }> = {
  none: { label: 'No subscription', style: 'bg-slate-200 text-slate-900', help: 'Start the free trial or subscribe to get configs.' },
  trialing: { label: 'Trial', style: 'bg-sky-100 text-sky-900', help: 'Your free trial is active.' },
  active: { label: 'Active', style: 'bg-green-100 text-green-900', help: 'Your subscription is active.' },
  past_due: { label: 'Payment due', style: 'bg-amber-100 text-amber-900', help: 'The last payment failed. Update your payment method to keep access.' },
  canceled: { label: 'Canceled', style: 'bg-slate-200 text-slate-900', help: 'Your subscription was canceled.' },
  expired: { label: 'Expired', style: 'bg-slate-200 text-slate-900', help: 'Your subscription or trial has ended.' },
};

/** Where the browser goes for Stripe (Checkout, customer portal). Tests replace it. */
export type Redirect = (url: string) => void;

export function SubscriptionCard({ subscription, onChange, redirect }: { subscription: Subscription; onChange: (s: Subscription) => void; redirect: Redirect }) {
  const { api } = useServices();
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const s = STATUS[subscription.status] ?? STATUS.none;

  async function act(name: string, f: () => Promise<void>) {
    setBusy(name);
    setError(null);
    try {
      await f();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(null);
    }
  }

  const canTrial = subscription.status === 'none';
  const canUpgrade = !subscription.entitled || subscription.provider === 'trial';
  const canManage = subscription.provider === 'stripe';

  return (
    <Card title="Subscription" titleId="subscription-title" icon={<CreditCard aria-hidden="true" className="size-5 text-orange-700" />}>
      <div className="space-y-4">
        <div className="flex flex-wrap items-center gap-3">
          <span className={`rounded-full px-3 py-1 text-sm font-semibold ${s.style}`} data-testid="subscription-status">
            {s.label}
          </span>
          {subscription.plan ? <span className="text-sm text-slate-700">Plan: {subscription.plan}</span> : null}
          {subscription.currentPeriodEnd ? (
            <span className="text-sm text-slate-700">
              {subscription.status === 'trialing' ? 'Trial ends' : subscription.status === 'active' ? 'Renews or ends' : 'Period ended'} {new Date(subscription.currentPeriodEnd).toLocaleDateString(undefined, { dateStyle: 'long' })}
            </span>
          ) : null}
        </div>
        <p className="text-sm text-slate-700">{s.help}</p>
        <div className="flex flex-wrap gap-2">
          {canTrial ? (
            <Button busy={busy === 'trial'} disabled={busy !== null} onClick={() => void act('trial', async () => onChange(await api.startTrial()))}>
              <Sparkles aria-hidden="true" className="size-4" />
              Start free trial
            </Button>
          ) : null}
          {canUpgrade ? (
            <>
              <Button variant={canTrial ? 'secondary' : 'primary'} busy={busy === 'monthly'} disabled={busy !== null} onClick={() => void act('monthly', async () => redirect((await api.checkout('monthly')).url))}>
                Subscribe monthly
              </Button>
              <Button variant="secondary" busy={busy === 'yearly'} disabled={busy !== null} onClick={() => void act('yearly', async () => redirect((await api.checkout('yearly')).url))}>
                Subscribe yearly
              </Button>
            </>
          ) : null}
          {canManage ? (
            <Button variant="secondary" busy={busy === 'portal'} disabled={busy !== null} onClick={() => void act('portal', async () => redirect((await api.portal()).url))}>
              <ExternalLink aria-hidden="true" className="size-4" />
              Manage billing
            </Button>
          ) : null}
        </div>
        {error ? <Notice kind="error">{error}</Notice> : null}
      </div>
    </Card>
  );
}
