import { useState } from 'react';
import { Link } from 'react-router';
import { ButtonLink, Empty, ErrorNotice, Loading, useLoad } from '../shared/ui';
import { useConsole } from './App';
import { lastFailure, loadTenantPage } from './tenants';

export const PAGE_SIZE = 10;

/** The tenants, a page at a time: name, tier, status, and why an onboarding failed. */
export function TenantsPage() {
  const { api } = useConsole();
  // The tokens of the pages before this one (undefined: the first page), so "Previous" can go back.
  const [tokens, setTokens] = useState<Array<string | undefined>>([undefined]);
  const token = tokens[tokens.length - 1];
  const [page, reload] = useLoad(() => loadTenantPage(api, PAGE_SIZE, token), [api, token]);

  return (
    <section aria-labelledby="tenants-heading">
      <hgroup>
        <h1 id="tenants-heading">Tenants</h1>
        <p>Every tenant the control plane has registered.</p>
      </hgroup>
      <p><ButtonLink to="/tenants/new">Onboard a tenant</ButtonLink> <button type="button" className="secondary outline" onClick={reload}>Refresh</button></p>
      {page.state === 'loading' ? <Loading label="Loading tenants" /> : null}
      {page.state === 'error' ? <ErrorNotice error={page.error} onRetry={reload} /> : null}
      {page.state === 'ready' && page.data.rows.length === 0 ? (
        <Empty>{tokens.length === 1 ? 'No tenants yet. Onboard the first one.' : 'No more tenants.'}</Empty>
      ) : null}
      {page.state === 'ready' && page.data.rows.length > 0 ? (
        <>
          <div className="overflow-auto">
            <table>
              <caption className="visually-hidden">Tenants, page {tokens.length}</caption>
              <thead>
                <tr><th scope="col">Name</th><th scope="col">Tier</th><th scope="col">Status</th><th scope="col">Administrator</th></tr>
              </thead>
              <tbody>
                {page.data.rows.map(({ tenant, registration, status }) => (
                  <tr key={tenant.tenantId}>
                    <td><Link to={`/tenants/${encodeURIComponent(tenant.tenantId)}`}>{tenant.tenantName ?? tenant.tenantId}</Link></td>
                    <td>{tenant.tier ?? '-'}</td>
                    <td>
                      <span className={lastFailure(registration) ? 'status-failed' : undefined}>{status}</span>
                      {lastFailure(registration) ? <><br /><small>{lastFailure(registration)}</small></> : null}
                    </td>
                    <td>{tenant.email ?? '-'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : null}
      {/* Drawn on every page, the empty last one included (a full page always has a next_token), and disabled while a page loads. */}
      {page.state !== 'error' && (tokens.length > 1 || (page.state === 'ready' && page.data.nextToken)) ? (
        <nav className="pager" aria-label="Pages of tenants">
          <button type="button" className="secondary" disabled={tokens.length === 1 || page.state === 'loading'} onClick={() => setTokens((t) => t.slice(0, -1))}>Previous page</button>
          <button type="button" className="secondary" disabled={page.state !== 'ready' || !page.data.nextToken}
            onClick={() => page.state === 'ready' && page.data.nextToken && setTokens((t) => [...t, page.data.nextToken])}>Next page</button>
        </nav>
      ) : null}
    </section>
  );
}
