import { FormEvent, useState } from 'react';
import { TENANT_ROLES, TENANT_USER_ROLE } from '../../../src/contract/identity';
import { ApiError } from '../shared/api';
import { ErrorNotice, ListStates, LoadMore, Notice, usePagedList } from '../shared/ui';
import { useTenant } from './App';
import { Page, User } from './model';

/** The tenant's users and their roles, for its administrators only: nothing is loaded for anyone else. */
export function UsersPage() {
  const { user } = useTenant();
  if (!user.isAdmin) {
    return <><h1>Users</h1><ErrorNotice error={new ApiError('forbidden', 403, 'only a tenant administrator manages users')} /></>;
  }
  return <TenantUsers />;
}

/** The users, a page of 60 at a time, and the form that adds one with a role. */
function TenantUsers() {
  const { api } = useTenant();
  const users = usePagedList((nextToken?: string) => api.get<Page<User>>('users', { limit: 60, nextToken }), [api]);
  const reload = users.reload;
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<string>(TENANT_USER_ROLE);
  const [problem, setProblem] = useState<string | undefined>();
  const [failure, setFailure] = useState<unknown>();
  const [created, setCreated] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) || email.length > 254) {
      setProblem('Enter the new user\'s email address.');
      return;
    }
    setProblem(undefined);
    setFailure(undefined);
    setCreated(undefined);
    setBusy(true);
    try {
      await api.post('users', { email, role });
      setCreated(email);
      setEmail('');
      reload();
    } catch (err) {
      setFailure(err instanceof ApiError && err.kind === 'conflict' ? new ApiError('conflict', 409, `${email} already has an account`) : err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="users-heading">
      <h1 id="users-heading">Users</h1>
      <ListStates list={users} loading="Loading users" empty="No users." />
      {users.items.length > 0 ? (
        <div className="overflow-auto">
          <table>
            <thead><tr><th scope="col">Email</th><th scope="col">Role</th><th scope="col">Status</th></tr></thead>
            <tbody>
              {users.items.map((u) => (
                <tr key={u.username}><td>{u.email}</td><td>{u.role}</td><td>{u.enabled === false ? 'Disabled' : u.status ?? '-'}</td></tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <LoadMore list={users} label="Load more users" />
      <h2>Add a user</h2>
      <form onSubmit={(e) => void submit(e)} noValidate>
        <div className="grid">
          <div>
            <label htmlFor="new-user-email">Email</label>
            <input id="new-user-email" name="email" type="email" autoComplete="off" value={email} onChange={(e) => setEmail(e.target.value)}
              aria-invalid={problem ? true : undefined} aria-describedby={problem ? 'email-problem' : undefined} required />
            {problem ? <small id="email-problem">{problem}</small> : null}
          </div>
          <div>
            <label htmlFor="new-user-role">Role</label>
            <select id="new-user-role" name="role" value={role} onChange={(e) => setRole(e.target.value)}>
              {TENANT_ROLES.map((r) => <option key={r} value={r}>{r}</option>)}
            </select>
          </div>
        </div>
        {failure ? <ErrorNotice error={failure} /> : null}
        {created ? <Notice>{created} is invited: Cognito emails a temporary password.</Notice> : null}
        <button type="submit" disabled={busy} aria-busy={busy ? 'true' : undefined}>Add user</button>
      </form>
    </section>
  );
}
