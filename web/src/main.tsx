import { lazy, StrictMode, Suspense } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter, Route, Routes } from 'react-router-dom';
import { App } from './App.tsx';
import { AuthProvider } from './auth.tsx';
import { I18nProvider } from './i18n.tsx';
import './global.css';

/** The portal is its own chunk: console users never load it, portal visitors never load the console pages. */
const PortalApp = lazy(() => import('./pages/open/portal/PortalApp.tsx').then((m) => ({ default: m.PortalApp })));

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <I18nProvider>
      <BrowserRouter>
        <Routes>
          {/* The public open-data portal: no console shell, no console sign-in. */}
          <Route
            path="/open/*"
            element={
              <Suspense>
                <PortalApp />
              </Suspense>
            }
          />
          <Route
            path="*"
            element={
              <AuthProvider>
                <App />
              </AuthProvider>
            }
          />
        </Routes>
      </BrowserRouter>
    </I18nProvider>
  </StrictMode>,
);
