import { useCallback, useEffect, useState } from 'react';
import { useServices, useSession } from '../../app/services';
import { Button, Loading, Notice, PageTitle } from '../../components/ui';
import type { Account } from '../../lib/api';
import { describeError } from '../../lib/errors';
import { DataCard } from './DataCard';
import { PaymentsCard } from './PaymentsCard';
import { PreferencesForm } from './PreferencesForm';
import { SubscriptionCard, type Redirect } from './SubscriptionCard';

const leave: Redirect = (url) => window.location.assign(url);

export function AccountPage({ redirect = leave }: { redirect?: Redirect }) {
  const { api } = useServices();
  const session = useSession();
  const [account, setAccount] = useState<Account | null>(null);
  const [error, setError] = useState<string | null>(null);
  const checkout = new URLSearchParams(window.location.search).get('checkout');

  const load = useCallback(async () => {
    setError(null);
    try {
      setAccount(await api.account());
    } catch (e) {
      setError(describeError(e));
    }
  }, [api]);

  useEffect(() => {
    void load();
  }, [load]);

  return (
    <div className="space-y-6">
      <PageTitle lead={session.status === 'signed-in' && session.user.email ? `Signed in as ${session.user.email}.` : undefined}>Account</PageTitle>
      {checkout === 'success' ? <Notice kind="success">Thank you. Your subscription shows here once Stripe confirms the payment.</Notice> : null}
      {checkout === 'cancel' ? <Notice kind="info">Checkout was canceled; nothing was charged.</Notice> : null}
      {error ? (
        <div className="space-y-3">
          <Notice kind="error">{error}</Notice>
          <Button variant="secondary" onClick={() => void load()}>
            Try again
          </Button>
        </div>
      ) : !account ? (
        <Loading label="Loading your account…" className="h-48" />
      ) : (
        <>
          <SubscriptionCard subscription={account.subscription} onChange={(subscription) => setAccount({ ...account, subscription })} redirect={redirect} />
          <PreferencesForm initial={account.preferences} onSaved={(preferences) => setAccount({ ...account, preferences })} />
          <PaymentsCard />
          <DataCard />
        </>
      )}
    </div>
  );
}
