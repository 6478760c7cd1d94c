/**
 * The example app, synthesized as `synth:example` synthesizes it (asset and path metadata included, as the CDK CLI
 * writes them), for the as-deployed tests to run its artifacts from.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, CfnElement, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { EcsSaasExample, ExampleAppOptions } from '../../examples/saas-app';

export const APPLICATION_PLANE = 'EcsSaasApplicationPlane';
export const CONTROL_PLANE = 'EcsSaasControlPlane';

export interface SynthesizedExample {
  readonly outdir: string;
  readonly example: EcsSaasExample;
}

/** Synthesizes the example; `options` adds to or overrides the defaults (an admin email and the committed placements). */
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
    placements: JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'examples', 'router-placements.json'), 'utf8')),
    ...options,
  });
  app.synth();
  return { outdir, example };
}

/** The logical id of a construct's CloudFormation resource. */
export function logicalId(construct: IConstruct): string {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return Stack.of(element).resolve(element.logicalId);
}
