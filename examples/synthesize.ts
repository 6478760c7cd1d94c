/**
 * The example app, synthesized as `synth:example` synthesizes it (asset and path metadata included, as the CDK CLI
 * writes them), for the as-deployed tests and the local environment (`npx projen local`) to run its artifacts from.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, CfnElement, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { EcsSaasExample, ExampleAppOptions } from './saas-app';

export const APPLICATION_PLANE = 'EcsSaasApplicationPlane';
export const CONTROL_PLANE = 'EcsSaasControlPlane';
export const WEB_HOSTING = 'EcsSaasWebHosting';
export const WEB_CONTENT = 'EcsSaasWebContent';

export interface SynthesizedExample {
  readonly outdir: string;
  readonly example: EcsSaasExample;
}

/**
 * Synthesizes the example; `options` adds to or overrides the defaults: an admin email, the committed placements, and
 * `localWebOrigins` (the local environment's web apps may call both APIs: this is the assembly `npx projen local` and
 * the as-deployed tests run).
 */
export function synthesizeExample(options: Partial<ExampleAppOptions> = {}): SynthesizedExample {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'deployed-example-'));
  const app = new App({
    outdir,
    context: {
      // The control plane's Python functions would need Docker; ours are bundled ahead of synthesis.
      'aws:cdk:bundling-stacks': [],
      'aws:cdk:enable-path-metadata': true,
      'aws:cdk:enable-asset-metadata': true,
    },
  });
  const example = new EcsSaasExample(app, {
    systemAdminEmail: 'admin@example.com',
    placements: JSON.parse(fs.readFileSync(path.join(__dirname, 'router-placements.json'), 'utf8')),
    localWebOrigins: true,
    ...options,
  });
  app.synth();
  fs.writeFileSync(path.join(outdir, SUMMARY_FILE), JSON.stringify({ tiers: declaredTenants(example) }, null, 2));
  return { outdir, example };
}

/** The file, next to the assembly, that says what the example declares (read by `LocalSaas` to seed its tenants). */
export const SUMMARY_FILE = 'saas-summary.json';

/** The tenants the example declares, by tier: the tenant ids of pooled tiers appear in no template. */
export function declaredTenants(example: EcsSaasExample): Array<{ tier: string; tenants: string[] }> {
  return example.applicationPlane.tiers.map((t) => ({ tier: t.tierName, tenants: t.tenants.map((x) => x.tenantId) }));
}

/** The logical id of a construct's CloudFormation resource. */
export function logicalId(construct: IConstruct): string {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return Stack.of(element).resolve(element.logicalId);
}
