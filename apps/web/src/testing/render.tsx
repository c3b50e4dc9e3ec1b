// Renders a page the way the app does (services, session, router), with stand-ins for the API
// and Firebase: each test says what the services answer.
import { render } from '@testing-library/react';
import { IDBFactory } from 'fake-indexeddb';
import type { ReactElement } from 'react';
import { MemoryRouter, Route, Routes } from 'react-router';
import { vi } from 'vitest';
import { ServicesProvider, type Services } from '../app/services';
import type { Api } from '../lib/api';
import type { AuthClient, AuthUser } from '../lib/auth';
import { indexedDbTokenStore } from '../lib/token-store';

export const NOW = new Date('2026-11-30T12:00:00Z');

/** An Api whose every call fails loudly unless the test gives it an answer. */
export function fakeApi(answers: Partial<Api> = {}): Api {
  const unexpected = (name: string) => vi.fn(async () => Promise.reject(new Error(`unexpected call: ${name}`)));
  const names: Array<keyof Api> = ['account', 'subscription', 'startTrial', 'payments', 'preferences', 'savePreferences', 'exportAccount', 'deleteAccount', 'checkout', 'portal', 'issuerDirectory', 'vpnToken', 'locations', 'tokenChallenge', 'redeem'];
  return Object.fromEntries(names.map((n) => [n, answers[n] ? vi.fn(answers[n]) : unexpected(n)])) as unknown as Api;
}

export function fakeAuth(user: AuthUser | null = { uid: 'u1', email: 'ada@example.test' }, over: Partial<AuthClient> = {}): AuthClient {
  return {
    onChange: (listener) => {
      listener(user);
      return () => undefined;
    },
    signIn: vi.fn(async () => undefined),
    signUp: vi.fn(async () => undefined),
    signOut: vi.fn(async () => undefined),
    deleteUser: vi.fn(async () => undefined),
    idToken: vi.fn(async () => 'id-token'),
    ...over,
  };
}

export function renderPage(page: ReactElement, opts: { api?: Api; auth?: AuthClient; path?: string; services?: Partial<Services> } = {}) {
  const services: Services = { api: opts.api ?? fakeApi(), auth: opts.auth ?? fakeAuth(), tokens: indexedDbTokenStore(new IDBFactory()), now: () => NOW, ...opts.services };
  const path = opts.path ?? '/page';
  const view = render(
    <ServicesProvider services={services}>
      <MemoryRouter initialEntries={[path]}>
        <Routes>
          <Route path={path} element={page} />
          <Route path="*" element={<p>Navigated elsewhere</p>} />
        </Routes>
      </MemoryRouter>
    </ServicesProvider>,
  );
  return { ...view, services };
}
