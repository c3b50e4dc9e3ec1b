import type { ReactNode } from 'react';
import { Navigate, Route, Routes, useLocation } from 'react-router';
import { Loading } from '../components/ui';
import { AccountPage } from '../features/account/AccountPage';
import { SignInPage } from '../features/auth/SignInPage';
import { PrivacyPage } from '../features/privacy/PrivacyPage';
import { GetConfigPage } from '../features/vpn/GetConfigPage';
import { Layout } from './Layout';
import { useSession } from './services';

function RequireAuth({ children }: { children: ReactNode }) {
  const session = useSession();
  const location = useLocation();
  if (session.status === 'loading') return <Loading label="Checking your session…" className="h-48" />;
  if (session.status === 'signed-out') return <Navigate to="/signin" replace state={{ from: location.pathname }} />;
  return children;
}

function Home() {
  const session = useSession();
  if (session.status === 'loading') return <Loading label="Checking your session…" className="h-48" />;
  return <Navigate to={session.status === 'signed-in' ? '/config' : '/signin'} replace />;
}

export function AppRoutes() {
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route index element={<Home />} />
        <Route path="signin" element={<SignInPage mode="signin" />} />
        <Route path="signup" element={<SignInPage mode="signup" />} />
        <Route path="privacy" element={<PrivacyPage />} />
        <Route path="config" element={<RequireAuth><GetConfigPage /></RequireAuth>} />
        <Route path="account" element={<RequireAuth><AccountPage /></RequireAuth>} />
        <Route path="*" element={<Navigate to="/" replace />} />
      </Route>
    </Routes>
  );
}
