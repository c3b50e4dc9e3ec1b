import { ExternalLink, Receipt } from 'lucide-react';
import { useCallback, useEffect, useState } from 'react';
import { useServices } from '../../app/services';
import { Button, Card, Loading, Notice } from '../../components/ui';
import type { Payment } from '../../lib/api';
import { describeError } from '../../lib/errors';

export const PAGE_SIZE = 10;

/** Amounts come in the currency's minor unit (Stripe's convention). */
export function formatAmount(amount: number, currency: string): string {
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency: currency.toUpperCase() }).format(amount / 100);
  } catch {
    return `${(amount / 100).toFixed(2)} ${currency.toUpperCase()}`;
  }
}

export function PaymentsCard() {
  const { api } = useServices();
  const [items, setItems] = useState<Payment[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(
    async (from: string | null) => {
      setBusy(true);
      setError(null);
      try {
        const page = await api.payments(from, PAGE_SIZE);
        setItems((prev) => (from ? [...(prev ?? []), ...page.items] : page.items));
        setCursor(page.nextCursor);
      } catch (e) {
        setError(describeError(e));
        setItems((prev) => prev ?? []);
      } finally {
        setBusy(false);
      }
    },
    [api],
  );

  useEffect(() => {
    void load(null);
  }, [load]);

  return (
    <Card title="Payments" titleId="payments-title" icon={<Receipt aria-hidden="true" className="size-5 text-orange-700" />}>
      {items === null ? (
        <Loading label="Loading payments…" className="h-20" />
      ) : items.length === 0 && !error ? (
        <p className="text-sm text-slate-700">No payments yet.</p>
      ) : (
        <div className="overflow-x-auto">
          <table className="w-full text-left text-sm">
            <caption className="sr-only">Your payments, newest first</caption>
            <thead className="border-b border-slate-200 text-slate-700">
              <tr>
                <th scope="col" className="py-2 pr-4 font-medium">Date</th>
                <th scope="col" className="py-2 pr-4 font-medium">Amount</th>
                <th scope="col" className="py-2 pr-4 font-medium">Status</th>
                <th scope="col" className="py-2 font-medium">Invoice</th>
              </tr>
            </thead>
            <tbody>
              {items.map((p) => (
                <tr key={p.id} className="border-b border-slate-100">
                  <td className="py-2 pr-4">{p.paidAt ? new Date(p.paidAt).toLocaleDateString() : '—'}</td>
                  <td className="py-2 pr-4">{formatAmount(p.amount, p.currency)}</td>
                  <td className="py-2 pr-4 capitalize">{p.status.replace(/_/g, ' ')}</td>
                  <td className="py-2">
                    {p.invoiceUrl ? (
                      <a href={p.invoiceUrl} target="_blank" rel="noopener noreferrer" className="inline-flex items-center gap-1 font-medium text-orange-800 underline">
                        Invoice <ExternalLink aria-hidden="true" className="size-3" />
                        <span className="sr-only">(opens in a new tab)</span>
                      </a>
                    ) : (
                      '—'
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {error ? (
        <div className="mt-3">
          <Notice kind="error">{error}</Notice>
        </div>
      ) : null}
      {cursor ? (
        <div className="mt-3">
          <Button variant="secondary" busy={busy} onClick={() => void load(cursor)}>
            Load more
          </Button>
        </div>
      ) : null}
    </Card>
  );
}
