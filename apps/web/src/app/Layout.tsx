import { Flame, KeyRound, LogOut, ShieldCheck, UserRound } from 'lucide-react';
import { useState } from 'react';
import { NavLink, Outlet, useNavigate } from 'react-router';
import { useServices, useSession } from './services';

const link = ({ isActive }: { isActive: boolean }) =>
  `inline-flex items-center gap-1.5 rounded-md px-3 py-2 text-sm font-medium ${isActive ? 'bg-orange-100 text-orange-900' : 'text-slate-700 hover:bg-slate-100'}`;

export function Layout() {
  const session = useSession();
  const { auth } = useServices();
  const navigate = useNavigate();
  const [signingOut, setSigningOut] = useState(false);
  const signedIn = session.status === 'signed-in';

  return (
    <div className="flex min-h-screen flex-col">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-10 focus:rounded focus:bg-white focus:p-2">
        Skip to content
      </a>
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-5xl flex-wrap items-center justify-between gap-2 px-4 py-3">
          <NavLink to="/" className="flex items-center gap-2 text-lg font-bold text-slate-900">
            <Flame aria-hidden="true" className="size-6 text-orange-700" />
            Phoenix
          </NavLink>
          <nav aria-label="Main" className="flex flex-wrap items-center gap-1">
            {signedIn ? (
              <>
                <NavLink to="/config" className={link}>
                  <KeyRound aria-hidden="true" className="size-4" />
                  Get a config
                </NavLink>
                <NavLink to="/account" className={link}>
                  <UserRound aria-hidden="true" className="size-4" />
                  Account
                </NavLink>
              </>
            ) : null}
            <NavLink to="/privacy" className={link}>
              <ShieldCheck aria-hidden="true" className="size-4" />
              What Phoenix stores
            </NavLink>
            {signedIn ? (
              <button
                type="button"
                disabled={signingOut}
                onClick={async () => {
                  setSigningOut(true);
                  try {
                    await auth.signOut();
                    navigate('/signin');
                  } finally {
                    setSigningOut(false);
                  }
                }}
                className="inline-flex items-center gap-1.5 rounded-md px-3 py-2 text-sm font-medium text-slate-700 hover:bg-slate-100"
              >
                <LogOut aria-hidden="true" className="size-4" />
                Sign out
              </button>
            ) : session.status === 'signed-out' ? (
              <NavLink to="/signin" className={link}>
                Sign in
              </NavLink>
            ) : null}
          </nav>
        </div>
      </header>
      <main id="main" className="mx-auto w-full max-w-5xl flex-1 px-4 py-8">
        <Outlet />
      </main>
      <footer className="border-t border-slate-200 bg-white">
        <div className="mx-auto max-w-5xl px-4 py-4 text-sm text-slate-700">
          Phoenix cannot link the configs you get to your account. <NavLink to="/privacy" className="font-medium text-orange-800 underline">What Phoenix stores</NavLink>
        </div>
      </footer>
    </div>
  );
}
