import { useEffect, useRef, useState } from 'react';
import { Link, useParams } from 'react-router';
import { ConfirmDialog, ErrorNotice, Loading, Notice, useLoad } from '../shared/ui';
import { useConsole } from './App';
import { inProgress, lastFailure, offboard, parseTenantConfig, TenantRecord, viewOf } from './tenants';

/** While a tenant is onboarding or offboarding, its page looks again this often. */
export const POLL_MILLISECONDS = 3000;

/** A tenant: its configuration, its status (with the failure reason), and offboarding. */
export function TenantPage() {
  const { api } = useConsole();
  const { tenantId = '' } = useParams();
  const [view, reload] = useLoad(async () => viewOf(api, (await api.get<{ data: TenantRecord }>(`tenants/${encodeURIComponent(tenantId)}`)).data), [api, tenantId]);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<unknown>();
  const heading = useRef<HTMLHeadingElement>(null);

  // The registration as it was when this page asked to offboard: until the lifecycle's reply changes it, the page
  // waits for that reply, even when the registration still shows an earlier failure.
  const [sentWith, setSentWith] = useState<string | undefined>();
  const awaitingReply = view.state === 'ready' && sentWith !== undefined && JSON.stringify(view.data.registration ?? null) === sentWith;
  // An offboarding whose last reply was a failure waits for the administrator, not for the lifecycle.
  const polling = view.state === 'ready' && (awaitingReply
    || (inProgress(view.data.status) && !(view.data.status === 'Offboarding' && lastFailure(view.data.registration))));
  useEffect(() => {
    if (!polling) {
      return;
    }
    const timer = setTimeout(reload, POLL_MILLISECONDS);
    return () => clearTimeout(timer);
  }, [polling, view, reload]);

  if (view.state === 'loading') {
    return <Loading label="Loading the tenant" />;
  }
  if (view.state === 'error') {
    return <><h1>Tenant</h1><ErrorNotice error={view.error} onRetry={reload} /></>;
  }
  const { tenant, registration, status } = view.data;
  const config = parseTenantConfig(tenant);
  const name = tenant.tenantName ?? tenant.tenantId;
  const failed = lastFailure(registration);
  // Offboarding again is offered after a failure, whichever operation failed (the lifecycle's steps are idempotent).
  const canOffboard = tenant.tenantRegistrationId !== undefined && !awaitingReply
    && (status === 'Active' || status === 'Failed' || (status === 'Offboarding' && failed !== undefined));

  const confirm = async () => {
    setBusy(true);
    setFailure(undefined);
    try {
      await offboard(api, tenant.tenantRegistrationId!);
      setSentWith(JSON.stringify(registration ?? null));
      setConfirming(false);
      reload();
      // The button that opened the dialog is gone: focus goes to the page's heading and its status.
      heading.current?.focus();
    } catch (error) {
      setFailure(error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="tenant-heading">
      <p><Link to="/tenants">All tenants</Link></p>
      <hgroup>
        <h1 id="tenant-heading" ref={heading} tabIndex={-1}>{name}</h1>
        <p role="status">Status: <strong className={failed ? 'status-failed' : undefined} data-testid="tenant-status">{status}</strong>{polling ? <span aria-busy="true"> (updating)</span> : null}</p>
      </hgroup>
      {failed && !awaitingReply ? (
        <section role="alert" className="notice error">
          <p><strong>{status === 'Failed' ? 'Onboarding failed' : 'The last lifecycle operation failed'}</strong></p>
          <p>{failed}</p>
          {status === 'Offboarding' ? <p>Offboard again to retry: every step of offboarding can run again safely.</p> : null}
        </section>
      ) : null}
      <h2>Tenant</h2>
      <dl className="details">
        <dt>Tenant id</dt><dd><code>{tenant.tenantId}</code></dd>
        <dt>Tier</dt><dd>{tenant.tier ?? '-'}</dd>
        <dt>Administrator</dt><dd>{tenant.email ?? '-'}</dd>
        <dt>Registration</dt><dd><code>{tenant.tenantRegistrationId ?? '-'}</code></dd>
      </dl>
      <h2>Configuration</h2>
      {config ? (
        <dl className="details">
          <dt>User pool</dt><dd><code>{config.userPoolId ?? '-'}</code></dd>
          <dt>App client</dt><dd><code>{config.appClientId ?? '-'}</code></dd>
          <dt>API URL</dt><dd><code>{config.apiGatewayUrl ?? '-'}</code></dd>
        </dl>
      ) : <p className="empty">Not yet: the lifecycle writes it when the tenant is provisioned.</p>}
      <h2>Status history</h2>
      <p className="empty">
        The control plane (SaaS Builder Toolkit) keeps only a registration's latest status: {registration?.registrationStatus ?? 'none yet'}.
      </p>
      {failure ? <ErrorNotice error={failure} /> : null}
      {canOffboard ? <button type="button" className="danger" onClick={() => setConfirming(true)}>Offboard {name}</button> : null}
      {(status === 'Offboarding' && (!failed || awaitingReply)) || status === 'Offboarded' ? <Notice>{status === 'Offboarding' ? 'Offboarding: its resources and users are being removed.' : 'Offboarded: its resources and users are removed.'}</Notice> : null}
      <ConfirmDialog
        open={confirming}
        title={`Offboard ${name}?`}
        confirmLabel="Offboard"
        typeToConfirm={name}
        busy={busy}
        onCancel={() => setConfirming(false)}
        onConfirm={() => void confirm()}
      >
        <p>Its users will no longer be able to sign in, and its services and data are removed. This cannot be undone.</p>
      </ConfirmDialog>
    </section>
  );
}
