import { buildPlane } from './bench-app';

/**
 * One synthesis of the benchmark plane with N tenants, in a process of its own so its peak memory is its own.
 * Prints one JSON line: tenants, seconds, peak RSS (MB), stacks, resources, shards.
 */
const tenants = Number(process.argv[2] ?? 10);
const started = process.hrtime.bigint();
const { app, router } = buildPlane(tenants);
const assembly = app.synth();
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
let resources = 0;
for (const stack of assembly.stacks) {
  resources += Object.keys(stack.template.Resources ?? {}).length;
}
console.log(JSON.stringify({
  tenants,
  seconds,
  peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  stacks: assembly.stacks.length,
  resources,
  shards: router.shards.length,
}));
