/**
 * `npx projen local`: the example SaaS on this machine (docs/local.md). Synthesizes the example, brings up everything
 * it deploys from the synthesized assembly (local/saas.ts), seeds an administrator for the control plane and for each
 * declared tenant, serves the web apps (admin console and tenant app, from `examples/web/build`; a missing build is
 * reported, not fatal), prints where everything is, and runs until Ctrl-C, when it stops every process it started.
 *
 * Options: `--verbose` prints every function's and task's log lines; `--exit-after-start` stops once everything is up
 * (a smoke run).
 */
import * as fs from 'fs';
import * as path from 'path';
import { synthesizeExample } from '../examples/synthesize';
import { LOCAL_SESSION_FILE, LocalSaas, LocalSession } from '../local/saas';

async function main(): Promise<void> {
  const verbose = process.argv.includes('--verbose');
  const started = Date.now();
  console.log('local: synthesizing the example');
  const { outdir } = synthesizeExample();
  const synthesized = Date.now();
  console.log(`local: synthesized in ${((synthesized - started) / 1000).toFixed(1)} s (${outdir}); starting it`);
  const saas = await LocalSaas.start(outdir, {
    onLog: verbose ? (source, line) => console.log(`[${source}] ${line}`) : undefined,
    onError: (source, error) => console.error(`local: delivery of ${source} failed: ${error instanceof Error ? error.message : String(error)}`),
  });
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) {
      return;
    }
    stopping = true;
    console.log('local: stopping');
    await saas.stop();
    fs.rmSync(LOCAL_SESSION_FILE, { force: true });
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  try {
    const seeded = await saas.seed();
    const e = saas.endpoints;
    const session: LocalSession = { endpoints: e, users: seeded };
    fs.mkdirSync(path.dirname(LOCAL_SESSION_FILE), { recursive: true });
    fs.writeFileSync(LOCAL_SESSION_FILE, JSON.stringify(session, null, 2), { mode: 0o600 });
    // The web apps: without their build (or with a port taken), everything else still runs.
    let webApps: string[];
    try {
      const origins = (await saas.startWebApps()).origins;
      webApps = [
        `Admin console: ${origins.adminConsole}/ (sign in as ${seeded.find((u) => !u.tenantId)?.username ?? 'admin@saas.local'})`,
        `Tenant app: ${origins.tenantApp}/ (sign in with a tenant name, e.g. acme)`,
      ];
    } catch (err) {
      webApps = [`Web apps: not served: ${err instanceof Error ? err.message : String(err)}`];
    }
    const lines = [
      '',
      `The example SaaS is up (in ${((Date.now() - synthesized) / 1000).toFixed(1)} s after synthesis; ${saas.groups.size} service groups running).`,
      '',
      'Control plane API (sbt-aws; tenant registrations need the administrator\'s token):',
      ...Object.entries(e.controlPlane).map(([stack, url]) => `  ${url}   (${stack})`),
      '',
      'Tenant APIs (router shards; the URL the control plane hands out -> where it is served here):',
      ...Object.entries(e.tenantApis).map(([aws, local]) => `  ${local}   <- ${aws}`),
      '',
      `Cognito (sign-in, SRP; the emulator): ${e.cognito}`,
      '',
      'Seeded users (password for all: see below; tenant pools ask for TOTP set-up on the first sign-in):',
      ...seeded.map((u) => `  ${u.tenantId ? `tenant ${u.tenantId} (${u.tier})` : 'control plane administrator'}: ${u.username}  pool ${u.userPoolId}  app client ${u.appClientId}${u.apiUrl ? `  API ${u.apiUrl}` : ''}`),
      `  password: ${seeded[0]?.password ?? '-'}`,
      '',
      `A user's ID token: npx projen local:token -- <tenant id | admin>   (what is running: ${path.relative(process.cwd(), LOCAL_SESSION_FILE)})`,
      '  TOKEN=$(npx projen local:token -- acme 2>/dev/null) && curl -s -H "Authorization: Bearer $TOKEN" <its API URL>products',
      '',
      ...webApps,
      '',
      'Press Ctrl-C to stop everything.',
    ];
    console.log(lines.join('\n'));
    if (process.argv.includes('--exit-after-start')) {
      await stop(0);
    }
  } catch (e) {
    console.error(e);
    await stop(1);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
