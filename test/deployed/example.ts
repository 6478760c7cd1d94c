/** The example, synthesized as `synth:example` synthesizes it (examples/synthesize.ts), for the as-deployed tests. */
export { APPLICATION_PLANE, CONTROL_PLANE, logicalId, synthesizeExample } from '../../examples/synthesize';
export type { SynthesizedExample } from '../../examples/synthesize';
