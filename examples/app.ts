import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { App, Aspects } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { renderArchitecture, writeArchitecture } from '../scripts/architecture';
import { RoutePlacement } from '../src';
import { unacknowledgedFindings } from './nag-acknowledgements';
import { EcsSaasExample } from './saas-app';
import { declaredTenants, SUMMARY_FILE } from './synthesize';

/**
 * Entry point of the example app (docs/example-app.md): `npx projen synth:example` synthesizes it offline,
 * `npx cdk deploy --all --app "npx ts-node --project test/tsconfig.json examples/app.ts"` deploys it.
 *
 * Route placements are pinned in router-placements.json, so that adding or removing a tenant never moves another
 * tenant's listener rule (docs/tenant-router.md).
 *
 * Asset bundling: sbt-aws 0.5 builds its Python Lambda functions in Docker. `synth:example` sets
 * SAAS_EXAMPLE_BUNDLING=auto: where Docker is not running, bundling is skipped for the control-plane stack only (its
 * functions' assets are then placeholders: that assembly is for reading, not deploying, and the summary says so).
 * A deploy does not set it, so the control plane is always deployed with its real functions.
 */
const PLACEMENTS_FILE = path.join(__dirname, 'router-placements.json');
const CONTROL_PLANE = 'EcsSaasControlPlane';
const skipControlPlaneBundling = process.env.SAAS_EXAMPLE_BUNDLING === 'auto' && spawnSync('docker', ['info'], { stdio: 'ignore' }).status !== 0;

const placements: RoutePlacement[] = JSON.parse(fs.readFileSync(PLACEMENTS_FILE, 'utf8'));
const app = new App({
  // Overrides the CLI's own list, so it applies to `cdk synth` too; every stack but the control plane.
  postCliContext: skipControlPlaneBundling
    ? { 'aws:cdk:bundling-stacks': ['EcsSaasWebHosting', 'EcsSaasApplicationPlane', 'EcsSaasWebContent'].flatMap((s) => [s, `${s}/**`]) }
    : undefined,
});
const example = new EcsSaasExample(app, {
  systemAdminEmail: app.node.tryGetContext('systemAdminEmail') ?? 'admin@example.com',
  alarmEmail: app.node.tryGetContext('alarmEmail'),
  placements,
});
Aspects.of(app).add(new AwsSolutionsChecks());
app.synth();
// The architecture picture in docs/architecture.md and the README, generated from what was just synthesized.
writeArchitecture(path.join(__dirname, '..'), renderArchitecture(app, app.outdir, { expand: [example.controlPlane.controlPlane] }));

// What the summary prints besides the assembly: tenants per tier, shards, routes missing from the pinned file.
const plane = example.applicationPlane;
const unpinned = plane.router.placements.filter((p) => !placements.some((q) => q.routingKey === p.routingKey));
fs.writeFileSync(path.join(app.outdir, SUMMARY_FILE), JSON.stringify({
  tiers: declaredTenants(example),
  provisioned: plane.templates.map((t) => ({ tier: t.tierName, template: t.node.path })),
  shards: plane.router.shards.map((s) => ({
    shard: s.index,
    dedicated: s.dedicated,
    routes: plane.router.placements.filter((p) => p.shard === s.index).map((p) => `${p.routingKey}@${p.priority}`),
  })),
  unpinned,
  bundlingSkipped: skipControlPlaneBundling ? [CONTROL_PLANE] : [],
  // cdk-nag's findings as construct metadata, which also covers the tenant templates (a product stack is no artifact).
  nagFindings: unacknowledgedFindings(app),
}, null, 2));
