/**
 * `npx projen local:token -- <tenant id | admin>`: signs a seeded user of the running `npx projen local` in, as the
 * tenant app or admin console would (SRP; on the first sign-in of a tenant pool, the TOTP set-up the pool requires),
 * and prints the ID token, for `curl -H "Authorization: Bearer $TOKEN" <API URL>products`.
 *
 * Reads where things are from the session file `npx projen local` writes (.local/session.json); keeps the TOTP secret
 * set up for each user there, as an authenticator app keeps it, so later sign-ins answer the TOTP challenge.
 */
import * as fs from 'fs';
import { signInAsClient } from '../local/client';
import { LOCAL_SESSION_FILE, LocalSession } from '../local/saas';

async function main(): Promise<void> {
  const who = process.argv.slice(2).find((a) => a !== '--');
  if (!fs.existsSync(LOCAL_SESSION_FILE)) {
    throw new Error(`no ${LOCAL_SESSION_FILE}: start the example with \`npx projen local\` first`);
  }
  const session: LocalSession = JSON.parse(fs.readFileSync(LOCAL_SESSION_FILE, 'utf8'));
  const user = session.users.find((u) => (who === 'admin' ? u.tenantId === undefined : u.tenantId === who));
  if (!user) {
    const known = ['admin', ...session.users.filter((u) => u.tenantId).map((u) => u.tenantId)].join(', ');
    throw new Error(`who is '${who ?? ''}'? One of: ${known}`);
  }
  const signedIn = await signInAsClient({
    endpoint: session.endpoints.cognito,
    userPoolId: user.userPoolId,
    clientId: user.appClientId,
    username: user.username,
    password: user.password,
    totpSecret: session.totpSecrets?.[user.username],
  });
  if (signedIn.totpSecret) {
    session.totpSecrets = { ...session.totpSecrets, [user.username]: signedIn.totpSecret };
    fs.writeFileSync(LOCAL_SESSION_FILE, JSON.stringify(session, null, 2), { mode: 0o600 });
    console.error(`local:token: TOTP set up for ${user.username} (secret ${signedIn.totpSecret}, kept in ${LOCAL_SESSION_FILE})`);
  }
  if (user.apiUrl) {
    console.error(`local:token: ${user.username} calls ${user.apiUrl}`);
  }
  console.log(signedIn.idToken);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
