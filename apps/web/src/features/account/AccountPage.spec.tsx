import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { Account, Payment } from '../../lib/api';
import { ApiError } from '../../lib/errors';
import { NOW, fakeApi, fakeAuth, renderPage } from '../../testing/render';
import { AccountPage } from './AccountPage';

const ACCOUNT: Account = {
  id: 'a1',
  email: 'ada@example.test',
  createdAt: '2026-11-01T00:00:00Z',
  subscription: { status: 'none', plan: null, provider: null, currentPeriodEnd: null, entitled: false },
  preferences: { defaultLocation: null, blocklistEnabled: true, killSwitch: false, notifications: { email: true, push: false } },
};
const payment = (i: number): Payment => ({ id: `p${i}`, provider: 'stripe', amount: 499, currency: 'eur', status: 'paid', paidAt: '2026-11-02T00:00:00Z', invoiceUrl: `https://invoice.example/${i}` });
const base = {
  account: async () => ACCOUNT,
  locations: async () => [{ id: 'de-fra', country: 'DE', city: 'Frankfurt', available: true, load: 'low' as const }],
  payments: async () => ({ items: [], nextCursor: null }),
};

describe('the account page', () => {
  it('starts the trial, and explains TRIAL_USED', async () => {
    const startTrial = vi.fn().mockRejectedValueOnce(new ApiError('auth-service', 409, 'TRIAL_USED', '')).mockResolvedValueOnce({ status: 'trialing', plan: 'trial', provider: 'trial', currentPeriodEnd: '2026-12-07T00:00:00Z', entitled: true });
    renderPage(<AccountPage redirect={() => undefined} />, { api: fakeApi({ ...base, startTrial }) });
    await userEvent.click(await screen.findByRole('button', { name: 'Start free trial' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/already used its free trial/);
    await userEvent.click(screen.getByRole('button', { name: 'Start free trial' }));
    expect((await screen.findByTestId('subscription-status')).textContent).toBe('Trial');
    expect(screen.getByText(/Trial ends/)).toBeTruthy();
  });

  it('sends the browser to the Checkout URL auth-service gives', async () => {
    const redirect = vi.fn();
    renderPage(<AccountPage redirect={redirect} />, { api: fakeApi({ ...base, checkout: async (plan) => ({ url: `https://checkout.stripe.test/${plan}` }) }) });
    await userEvent.click(await screen.findByRole('button', { name: 'Subscribe yearly' }));
    await waitFor(() => expect(redirect).toHaveBeenCalledWith('https://checkout.stripe.test/yearly'));
  });

  it('validates and saves preferences', async () => {
    const savePreferences = vi.fn(async (p: Account['preferences']) => p);
    renderPage(<AccountPage redirect={() => undefined} />, { api: fakeApi({ ...base, savePreferences }) });
    await screen.findByRole('option', { name: /Frankfurt, DE/ });
    await userEvent.selectOptions(screen.getByLabelText('Default location'), 'de-fra');
    await userEvent.click(screen.getByLabelText('Kill switch'));
    await userEvent.click(screen.getByRole('button', { name: 'Save preferences' }));
    expect(await screen.findByText('Preferences saved.')).toBeTruthy();
    expect(savePreferences).toHaveBeenCalledWith({ defaultLocation: 'de-fra', blocklistEnabled: true, killSwitch: true, notifications: { email: true, push: false } });
  });

  it('shows auth-service’s validation refusal', async () => {
    renderPage(<AccountPage redirect={() => undefined} />, { api: fakeApi({ ...base, savePreferences: async () => Promise.reject(new ApiError('auth-service', 400, 'VALIDATION_FAILED', 'defaultLocation must be a location id like "de-fra" or null')) }) });
    await userEvent.click(await screen.findByRole('button', { name: 'Save preferences' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/not accepted: defaultLocation must be a location id/);
  });

  it('pages payments with Load more, and shows the empty state', async () => {
    const payments = vi.fn().mockResolvedValueOnce({ items: [payment(1), payment(2)], nextCursor: 'c2' }).mockResolvedValueOnce({ items: [payment(3)], nextCursor: null });
    renderPage(<AccountPage redirect={() => undefined} />, { api: fakeApi({ ...base, payments }) });
    const table = await screen.findByRole('table', { name: /Your payments/ });
    expect(within(table).getAllByRole('link', { name: /Invoice/ })).toHaveLength(2);
    await userEvent.click(screen.getByRole('button', { name: 'Load more' }));
    await waitFor(() => expect(within(table).getAllByRole('link', { name: /Invoice/ })).toHaveLength(3));
    expect(payments).toHaveBeenLastCalledWith('c2', 10);
    expect(screen.queryByRole('button', { name: 'Load more' })).toBeNull();
  });

  it('deletes only after DELETE is typed, then clears this browser’s tokens and signs out', async () => {
    const auth = fakeAuth();
    const deleteAccount = vi.fn(async () => undefined);
    const { services } = renderPage(<AccountPage redirect={() => undefined} />, { api: fakeApi({ ...base, deleteAccount }), auth });
    await services.tokens.add([{ token: 't', tokenKeyId: 'k', expiresAt: '2027-01-01T00:00:00Z' }]);
    const button = (await screen.findByRole('button', { name: 'Delete my account' })) as HTMLButtonElement;
    expect(button.disabled).toBe(true);
    await userEvent.type(screen.getByLabelText('Type DELETE to confirm'), 'delete');
    expect(button.disabled).toBe(true);
    await userEvent.clear(screen.getByLabelText('Type DELETE to confirm'));
    await userEvent.type(screen.getByLabelText('Type DELETE to confirm'), 'DELETE');
    await userEvent.click(button);
    await waitFor(() => expect(auth.signOut).toHaveBeenCalled());
    expect(deleteAccount).toHaveBeenCalledTimes(1);
    expect(auth.deleteUser).toHaveBeenCalled();
    expect(await services.tokens.count(NOW)).toBe(0);
  });

  it('offers to try again when the account cannot be loaded', async () => {
    renderPage(<AccountPage redirect={() => undefined} />, { api: fakeApi({ ...base, account: async () => Promise.reject(new ApiError('auth-service', 503, 'UNAVAILABLE', '', 5)) }) });
    expect((await screen.findByRole('alert')).textContent).toMatch(/account service is temporarily unavailable.*5 seconds/);
    expect(screen.getByRole('button', { name: 'Try again' })).toBeTruthy();
  });
});
