/**
 * The tenants' app: sign-in by tenant name (the control plane's tenant-config route gives the tenant's pool and API),
 * with the MFA its pool requires, then products, orders and, for tenant administrators, users. Every call goes to
 * the tenant's own API with the user's ID token (docs/web-apps.md).
 */
import { createContext, FormEvent, useContext, useEffect, useMemo, useState } from 'react';
import { Link, Navigate, Route, Routes, useLocation, useNavigate } from 'react-router';
import { ApiClient } from '../shared/api';
import { configureAuth, currentSession, endSession, idToken } from '../shared/auth';
import { loadConfig } from '../shared/config';
import { TenantAppConfig } from '../shared/contract';
import { SignIn } from '../shared/SignIn';
import { AppHeader, ErrorNotice, Loading, usePageAnnouncement } from '../shared/ui';
import { NewOrderPage, OrderPage, OrdersPage } from './OrdersPages';
import { ProductFormPage, ProductsPage } from './ProductsPages';
import { lookUpTenant, rememberedTenant, rememberTenant, TenantSettings, TenantUser, userOf } from './tenant';
import { UsersPage } from './UsersPage';

export interface TenantContext {
  readonly tenant: TenantSettings;
  readonly user: TenantUser;
  readonly api: ApiClient;
}

const Context = createContext<TenantContext | undefined>(undefined);

export function useTenant(): TenantContext {
  const value = useContext(Context);
  if (!value) {
    throw new Error('useTenant outside the app');
  }
  return value;
}

/** The signed-in app: header and pages. Exported for the component tests. */
export function TenantPages(props: { readonly context: TenantContext; readonly onSignOut: () => void }) {
  const { tenant, user } = props.context;
  usePageAnnouncement(tenant.tenantName, useLocation().pathname);
  return (
    <Context.Provider value={props.context}>
      <AppHeader
        appName={tenant.tenantName}
        links={<>
          <li><Link to="/products">Products</Link></li>
          <li><Link to="/orders">Orders</Link></li>
          {user.isAdmin ? <li><Link to="/users">Users</Link></li> : null}
        </>}
        user={`${user.email} (${user.role})`}
        onSignOut={props.onSignOut}
      />
      <main className="container">
        <Routes>
          <Route path="/" element={<Navigate to="/products" replace />} />
          <Route path="/products" element={<ProductsPage />} />
          <Route path="/products/new" element={<ProductFormPage />} />
          <Route path="/products/:id/edit" element={<ProductFormPage />} />
          <Route path="/orders" element={<OrdersPage />} />
          <Route path="/orders/new" element={<NewOrderPage />} />
          <Route path="/orders/:id" element={<OrderPage />} />
          <Route path="/users" element={<UsersPage />} />
          <Route path="*" element={<p>There is no such page. <Link to="/products">See the products</Link>.</p>} />
        </Routes>
      </main>
    </Context.Provider>
  );
}

/** The first step of sign-in: which tenant. */
export function TenantLookup(props: { readonly config: TenantAppConfig; readonly onFound: (t: TenantSettings) => void }) {
  const [name, setName] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      // Tenant names are lowercase (the tenant-id rule): 'Acme' finds acme.
      props.onFound(await lookUpTenant(props.config, name.trim().toLowerCase()));
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      setBusy(false);
    }
  };
  return (
    <article className="sign-in">
      <h1>Sign in to your tenant</h1>
      <form onSubmit={(e) => void submit(e)}>
        <label>
          Tenant name
          <input name="tenantName" required autoComplete="organization" value={name} onChange={(e) => setName(e.target.value)} aria-describedby={error ? 'lookup-error' : undefined} />
        </label>
        {error ? <p id="lookup-error" role="alert" className="error-text">{error}</p> : null}
        <button type="submit" disabled={busy} aria-busy={busy ? 'true' : undefined}>Continue</button>
      </form>
    </article>
  );
}

export function App() {
  const [config, setConfig] = useState<TenantAppConfig | undefined>();
  const [problem, setProblem] = useState<unknown>();
  const [tenant, setTenant] = useState<TenantSettings | undefined>(() => rememberedTenant());
  const [user, setUser] = useState<TenantUser | null | undefined>(undefined);
  const navigate = useNavigate();

  useEffect(() => {
    loadConfig<TenantAppConfig>(['region', 'controlPlaneApiUrl']).then(setConfig).catch(setProblem);
  }, []);
  useEffect(() => {
    if (!config) {
      return;
    }
    if (!tenant) {
      setUser(null);
      return;
    }
    configureAuth({ userPoolId: tenant.userPoolId, appClientId: tenant.appClientId, endpoint: config.local?.cognitoEndpoint });
    void currentSession().then((s) => setUser(s ? userOf(s.claims) : null));
  }, [config, tenant]);

  // A 401, or no token left: back to sign-in.
  const api = useMemo(() => (tenant ? new ApiClient({ baseUrl: tenant.apiUrl, token: idToken, onUnauthorized: () => setUser(null) }) : undefined), [tenant]);

  if (problem) {
    return <main className="container"><ErrorNotice error={problem} /></main>;
  }
  if (!config || user === undefined) {
    return <main className="container"><Loading label="Loading" /></main>;
  }
  if (!tenant || !api) {
    return <main className="container"><TenantLookup config={config} onFound={(t) => { rememberTenant(t); setUser(undefined); setTenant(t); }} /></main>;
  }
  if (user === null) {
    return (
      <main className="container">
        <SignIn
          heading={`Sign in to ${tenant.tenantName}`}
          issuer={`SaaS ${tenant.tenantName}`}
          onSignedIn={() => void currentSession().then((s) => setUser(s ? userOf(s.claims) : null))}
        />
        <p className="sign-in"><button type="button" className="secondary outline" onClick={() => { rememberTenant(undefined); setTenant(undefined); }}>Use another tenant</button></p>
      </main>
    );
  }
  return (
    <TenantPages
      context={{ tenant, user, api }}
      onSignOut={() => {
        void endSession().finally(() => {
          rememberTenant(undefined);
          setTenant(undefined);
          setUser(null);
          navigate('/');
        });
      }}
    />
  );
}
