import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import type { Api } from '../lib/api';
import type { AuthClient, AuthUser } from '../lib/auth';
import type { TokenStore } from '../lib/token-store';

/** What the pages talk to: built once in main.tsx, stand-ins in component tests. */
export interface Services {
  api: Api;
  auth: AuthClient;
  tokens: TokenStore;
  /** The clock (tests fix it). */
  now: () => Date;
}

const ServicesContext = createContext<Services | null>(null);

export type Session = { status: 'loading' } | { status: 'signed-out' } | { status: 'signed-in'; user: AuthUser };
const SessionContext = createContext<Session>({ status: 'loading' });

export function ServicesProvider({ services, children }: { services: Services; children: ReactNode }) {
  const [session, setSession] = useState<Session>({ status: 'loading' });
  useEffect(() => services.auth.onChange((user) => setSession(user ? { status: 'signed-in', user } : { status: 'signed-out' })), [services.auth]);
  return (
    <ServicesContext.Provider value={services}>
      <SessionContext.Provider value={session}>{children}</SessionContext.Provider>
    </ServicesContext.Provider>
  );
}

export function useServices(): Services {
  const s = useContext(ServicesContext);
  if (!s) throw new Error('useServices outside ServicesProvider');
  return s;
}

export function useSession(): Session {
  return useContext(SessionContext);
}
