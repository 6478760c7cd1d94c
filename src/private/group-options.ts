import * as ecs from 'aws-cdk-lib/aws-ecs';
import { FargateSpotOptions, ServiceGroupOptions } from '../tiers/service-group-options';

/** The architectures Fargate and the ECS-optimized AMIs run. */
const ARCHITECTURES = ['X86_64', 'ARM64'];

/** The Fargate Spot mix with its defaults applied. */
export interface SpotMix {
  readonly onDemandBase: number;
  readonly onDemandWeight: number;
  readonly spotWeight: number;
}

/**
 * Checks the cost options of a group or a tier (`cpuArchitecture`, `fargateSpot`, `minTasks`), naming the prop, the
 * value and what is allowed. `ec2Capacity` names the EC2 capacity the tasks run on, which Spot cannot mix with.
 */
export function checkGroupOptions(o: ServiceGroupOptions, ec2Capacity: string | undefined): void {
  if (o.cpuArchitecture && !ARCHITECTURES.includes(o.cpuArchitecture._cpuArchitecture)) {
    throw new Error(`cpuArchitecture must be ecs.CpuArchitecture.X86_64 or ecs.CpuArchitecture.ARM64 (what Fargate and the ECS-optimized AMIs run); got '${o.cpuArchitecture._cpuArchitecture}'.`);
  }
  if (o.minTasks !== undefined && (!Number.isInteger(o.minTasks) || o.minTasks < 1)) {
    throw new Error(`minTasks must be a whole number of at least 1; got ${o.minTasks}.`);
  }
  if (o.fargateSpot) {
    if (ec2Capacity) {
      throw new Error(`fargateSpot applies to Fargate tasks, but this tier runs its tasks on EC2 capacity (${ec2Capacity}): use Fargate capacity, or no fargateSpot.`);
    }
    spotMix(o.fargateSpot);
  }
}

/** The Spot mix with defaults, checked. */
export function spotMix(s: FargateSpotOptions): SpotMix {
  const mix = { onDemandBase: s.onDemandBase ?? 1, onDemandWeight: s.onDemandWeight ?? 1, spotWeight: s.spotWeight ?? 1 };
  const rules: Array<[keyof SpotMix, number, string]> = [
    ['onDemandBase', 0, 'a whole number from 0 to 100000'],
    ['onDemandWeight', 0, 'a whole number from 0 to 1000'],
    ['spotWeight', 1, 'a whole number from 1 to 1000 (without Spot, leave fargateSpot out)'],
  ];
  for (const [name, min, allowed] of rules) {
    const max = name === 'onDemandBase' ? 100_000 : 1000;
    const value = mix[name];
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new Error(`fargateSpot.${name} must be ${allowed}; got ${value}.`);
    }
  }
  return mix;
}

/** Whether tasks run on ARM64. */
export function isArm(architecture: ecs.CpuArchitecture | undefined): boolean {
  return architecture?._cpuArchitecture === 'ARM64';
}
