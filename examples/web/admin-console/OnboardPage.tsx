import { FormEvent, useState } from 'react';
import { useNavigate } from 'react-router';
import { TENANT_ID_RULE } from '../../../src/contract/tenant-id';
import { fieldProps } from '../shared/forms';
import { ButtonLink, ErrorNotice } from '../shared/ui';
import { useConsole } from './App';
import { nameTaken, onboard, OnboardingInput, validateOnboarding } from './tenants';

/** Onboards a tenant: name, administrator email and tier, checked with the library's rules before it is sent. */
export function OnboardPage() {
  const { api, config } = useConsole();
  const navigate = useNavigate();
  const [input, setInput] = useState<OnboardingInput>({ tenantName: '', email: '', tier: config.tiers[0] ?? '' });
  const [problems, setProblems] = useState<ReturnType<typeof validateOnboarding>>({});
  const [failure, setFailure] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const found = validateOnboarding(input, config.tiers);
    setProblems(found);
    if (Object.keys(found).length > 0) {
      return;
    }
    setBusy(true);
    setFailure(undefined);
    try {
      if (await nameTaken(api, input.tenantName)) {
        setProblems({ tenantName: `A tenant named '${input.tenantName}' exists already. Names identify tenants at sign-in, so an offboarded tenant's name stays taken.` });
        setBusy(false);
        return;
      }
      const { tenantId } = await onboard(api, input);
      navigate(`/tenants/${encodeURIComponent(tenantId)}`);
    } catch (error) {
      setFailure(error);
      setBusy(false);
    }
  };
  const field = (name: keyof OnboardingInput) => fieldProps(name, { values: { ...input }, problems, set: (v) => setInput(v as OnboardingInput), hints: true });

  return (
    <section aria-labelledby="onboard-heading">
      <h1 id="onboard-heading">Onboard a tenant</h1>
      <form onSubmit={(e) => void submit(e)} noValidate>
        <label htmlFor="tenantName">Tenant name</label>
        <input {...field('tenantName')} autoComplete="off" required />
        <small id={problems.tenantName ? 'tenantName-problem' : 'tenantName-hint'}>{problems.tenantName ?? `${TENANT_ID_RULE}. Users sign in with it.`}</small>
        <label htmlFor="email">Administrator email</label>
        <input {...field('email')} type="email" autoComplete="off" required />
        <small id={problems.email ? 'email-problem' : 'email-hint'}>{problems.email ?? 'The tenant\'s first administrator: Cognito sends the invitation there.'}</small>
        <label htmlFor="tier">Tier</label>
        <select {...field('tier')} required>
          {config.tiers.map((t) => <option key={t} value={t}>{t}</option>)}
        </select>
        <small id={problems.tier ? 'tier-problem' : 'tier-hint'}>{problems.tier ?? 'Basic tenants share the pooled services; advanced and premium tenants get their own.'}</small>
        {failure ? <ErrorNotice error={failure} /> : null}
        <div className="grid">
          <ButtonLink to="/tenants" className="secondary">Cancel</ButtonLink>
          <button type="submit" disabled={busy} aria-busy={busy ? 'true' : undefined}>Onboard</button>
        </div>
      </form>
    </section>
  );
}
