import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { AppRoutes } from './app/routes';
import { ServicesProvider, type Services } from './app/services';
import './index.css';
import { createApi } from './lib/api';
import { firebaseAuthClient } from './lib/auth';
import { loadRuntimeConfig } from './lib/runtime-config';
import { indexedDbTokenStore } from './lib/token-store';

async function start(root: HTMLElement): Promise<void> {
  const config = await loadRuntimeConfig();
  const auth = firebaseAuthClient(config);
  const services: Services = { api: createApi(config, () => auth.idToken()), auth, tokens: indexedDbTokenStore(), now: () => new Date() };
  createRoot(root).render(
    <StrictMode>
      <ServicesProvider services={services}>
        <BrowserRouter>
          <AppRoutes />
        </BrowserRouter>
      </ServicesProvider>
    </StrictMode>,
  );
}

const root = document.getElementById('root') as HTMLElement;
start(root).catch((error: unknown) => {
  root.textContent = `Phoenix could not start: ${error instanceof Error ? error.message : String(error)}`;
});
