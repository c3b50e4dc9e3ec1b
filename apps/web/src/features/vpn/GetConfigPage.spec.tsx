import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { indexedDbTokenStore } from '../../lib/token-store';
import type { Location, VpnConfigReply } from '../../lib/api';
import { ApiError } from '../../lib/errors';
import { NOW, fakeApi, renderPage } from '../../testing/render';
import { GetConfigPage } from './GetConfigPage';

const LOCATIONS: Location[] = [
  { id: 'de-fra', country: 'DE', city: 'Frankfurt', available: true, load: 'low' },
  { id: 'fr-par', country: 'FR', city: 'Paris', available: false, load: 'high' },
];
const stock = (n: number) => Array.from({ length: n }, (_, i) => ({ token: `tok${i}`, tokenKeyId: 'kid', expiresAt: '2026-12-10T00:00:00Z' }));
const REPLY: VpnConfigReply = {
  config: '[Interface]\nAddress = 100.64.0.2/32\nDNS = 100.64.0.1\n\n[Peer]\nPublicKey = gv0Y17oqZlRkkw68h7tVZUNr402iM4RNak6cB1JFAk4=\nAllowedIPs = 0.0.0.0/0, ::/0\nEndpoint = 198.18.0.2:51820\n',
  interface: { addresses: ['100.64.0.2/32'], dns: ['100.64.0.1'] },
  peer: { publicKey: 'gv0Y17oqZlRkkw68h7tVZUNr402iM4RNak6cB1JFAk4=', endpoint: '198.18.0.2:51820', allowedIps: ['0.0.0.0/0', '::/0'], persistentKeepalive: 25 },
  node: { id: 'n1', location: 'de-fra' },
  expiresAt: '2026-12-01T12:00:00Z',
};

async function withTokens(n: number, answers: Parameters<typeof fakeApi>[0]) {
  // The store is filled before the page mounts (it counts its stock once, at mount).
  const tokens = indexedDbTokenStore(new IDBFactory());
  await tokens.add(stock(n));
  return renderPage(<GetConfigPage />, { api: fakeApi({ locations: async () => LOCATIONS, preferences: async () => Promise.reject(new Error('none')), ...answers }), services: { tokens } });
}

describe('Get a config', () => {
  it('lists locations with their load; an unavailable one is disabled and says why', async () => {
    await withTokens(3, {});
    const paris = await screen.findByLabelText(/Paris, FR/);
    expect((paris as HTMLInputElement).disabled).toBe(true);
    expect(screen.getByText(/fr-par — unavailable: no server has room right now, or the location is under maintenance/)).toBeTruthy();
    expect(screen.getByText('Low load')).toBeTruthy();
    expect((screen.getByLabelText(/Frankfurt, DE/) as HTMLInputElement).disabled).toBe(false);
    expect(await screen.findByText('3 tokens ready in this browser.')).toBeTruthy();
  });

  it('explains NOT_ENTITLED when fetching tokens ahead of time, with the way to the account', async () => {
    await withTokens(0, {
      tokenChallenge: async () => ({ challenge: 'AAIA', issuer: 'x' }),
      issuerDirectory: async () => Promise.reject(new ApiError('auth-service', 403, 'NOT_ENTITLED', '')),
    });
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toMatch(/active subscription or trial/);
    expect(screen.getByRole('link', { name: 'Go to your account' }).getAttribute('href')).toBe('/account');
    expect(await screen.findByText('0 tokens ready in this browser.')).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Get config' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('keeps the token when there is no capacity, and says so', async () => {
    const { services } = await withTokens(3, { redeem: async () => Promise.reject(new ApiError('config-service', 503, 'NO_CAPACITY', '')) });
    await userEvent.click(await screen.findByLabelText(/Frankfurt, DE/));
    await screen.findByText('3 tokens ready in this browser.');
    await userEvent.click(screen.getByRole('button', { name: 'Get config' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/Your token was not used/);
    expect(await services.tokens.count(NOW)).toBe(3);
  });

  it('drops a reused token and tells the user to fetch fresh ones', async () => {
    const { services } = await withTokens(3, { redeem: async () => Promise.reject(new ApiError('config-service', 409, 'TOKEN_REUSED', '')) });
    await screen.findByText('3 tokens ready in this browser.');
    await userEvent.click(screen.getByRole('button', { name: 'Get config' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/already used.*fetch fresh tokens/);
    expect(await services.tokens.count(NOW)).toBe(2);
  });

  it('offers the file and a QR code; the public key sent is the one shown, the private key only in the file', async () => {
    let sent: { authorization: string; location: string; publicKey: string } | null = null;
    await withTokens(3, {
      redeem: async (authorization, location, publicKey) => {
        sent = { authorization, location, publicKey };
        return REPLY;
      },
    });
    await userEvent.click(await screen.findByLabelText(/Frankfurt, DE/));
    await screen.findByText('3 tokens ready in this browser.');
    await userEvent.click(screen.getByRole('button', { name: 'Get config' }));
    expect(await screen.findByRole('button', { name: 'Download phx-de-fra.conf' })).toBeTruthy();
    expect(await screen.findByRole('img', { name: /QR code of the WireGuard config/ })).toBeTruthy();
    expect(sent).toMatchObject({ authorization: 'PrivateToken token="tok0"', location: 'de-fra' });
    expect(screen.getByText((sent as { publicKey: string } | null)?.publicKey ?? 'no public key was sent')).toBeTruthy();
    await waitFor(() => expect(screen.getByText('2 tokens ready in this browser.')).toBeTruthy());
  });
});
