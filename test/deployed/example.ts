/** The example, synthesized as `synth:example` synthesizes it (examples/synthesize.ts), for the as-deployed tests. */
import { CONTROL_PLANE } from '../../examples/synthesize';
import type { LocalEnvironment } from '../../local/environment';

export { APPLICATION_PLANE, CONTROL_PLANE, logicalId, synthesizeExample } from '../../examples/synthesize';
export type { SynthesizedExample } from '../../examples/synthesize';

/** The name of the control plane's event bus (sbt-aws's), as deployed in the environment. */
export async function controlPlaneBus(env: LocalEnvironment): Promise<string> {
  const controlPlane = env.stack(CONTROL_PLANE);
  const busId = Object.entries<any>(controlPlane.template.Resources).find(([, r]) => r.Type === 'AWS::Events::EventBus')![0];
  return (await controlPlane.resource(busId)).ref;
}
