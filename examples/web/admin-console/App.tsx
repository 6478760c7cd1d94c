/**
 * The SaaS provider's admin console: sign-in against the control plane's administrators' pool, then the tenants
 * (list, onboard, detail, offboard), all through the control plane's API (docs/web-apps.md).
 */
import { createContext, useContext, useEffect, useMemo, useState } from 'react';
import { Link, Navigate, Route, Routes, useLocation, useNavigate } from 'react-router';
import { ApiClient } from '../shared/api';
import { configureAuth, currentSession, endSession, idToken } from '../shared/auth';
import { loadConfig } from '../shared/config';
import { AdminConsoleConfig } from '../shared/contract';
import { SignIn } from '../shared/SignIn';
import { AppHeader, ErrorNotice, Loading, usePageAnnouncement } from '../shared/ui';
import { OnboardPage } from './OnboardPage';
import { TenantPage } from './TenantPage';
import { TenantsPage } from './TenantsPage';

export interface Console {
  readonly config: AdminConsoleConfig;
  readonly api: ApiClient;
}

const ConsoleContext = createContext<Console | undefined>(undefined);

export function useConsole(): Console {
  const value = useContext(ConsoleContext);
  if (!value) {
    throw new Error('useConsole outside the console');
  }
  return value;
}

/** The signed-in console: its header and pages. Exported for the component tests. */
export function ConsolePages(props: { readonly console: Console; readonly user?: string; readonly onSignOut: () => void }) {
  usePageAnnouncement('SaaS admin console', useLocation().pathname);
  return (
    <ConsoleContext.Provider value={props.console}>
      <AppHeader
        appName="SaaS admin console"
        links={<li><Link to="/tenants">Tenants</Link></li>}
        user={props.user}
        onSignOut={props.onSignOut}
      />
      <main className="container">
        <Routes>
          <Route path="/" element={<Navigate to="/tenants" replace />} />
          <Route path="/tenants" element={<TenantsPage />} />
          <Route path="/tenants/new" element={<OnboardPage />} />
          <Route path="/tenants/:tenantId" element={<TenantPage />} />
          <Route path="*" element={<p>There is no such page. <Link to="/tenants">See the tenants</Link>.</p>} />
        </Routes>
      </main>
    </ConsoleContext.Provider>
  );
}

export function App() {
  const [config, setConfig] = useState<AdminConsoleConfig | undefined>();
  const [problem, setProblem] = useState<unknown>();
  const [user, setUser] = useState<string | null | undefined>(undefined);
  const navigate = useNavigate();

  useEffect(() => {
    loadConfig<AdminConsoleConfig>(['region', 'controlPlaneApiUrl', 'userPoolId', 'appClientId']).then((c) => {
      configureAuth({ userPoolId: c.userPoolId, appClientId: c.appClientId, endpoint: c.local?.cognitoEndpoint });
      setConfig(c);
      return currentSession().then((s) => setUser(s ? String(s.claims.email ?? s.claims['cognito:username'] ?? '') : null));
    }).catch(setProblem);
  }, []);

  // A 401, or no token left: back to sign-in.
  const api = useMemo(() => (config ? new ApiClient({ baseUrl: config.controlPlaneApiUrl, token: idToken, onUnauthorized: () => setUser(null) }) : undefined), [config]);

  if (problem) {
    return <main className="container"><ErrorNotice error={problem} /></main>;
  }
  if (!config || !api || user === undefined) {
    return <main className="container"><Loading label="Loading the console" /></main>;
  }
  if (user === null) {
    return (
      <main className="container">
        <SignIn
          heading="Sign in to the SaaS admin console"
          issuer="SaaS admin console"
          onSignedIn={() => {
            void currentSession().then((s) => setUser(s ? String(s.claims.email ?? s.claims['cognito:username'] ?? '') : null));
          }}
        />
      </main>
    );
  }
  return (
    <ConsolePages
      console={{ config, api }}
      user={user}
      onSignOut={() => {
        void endSession().finally(() => {
          setUser(null);
          navigate('/');
        });
      }}
    />
  );
}
