import { readFileSync } from 'fs';
import { join } from 'path';
import { build } from 'esbuild';

/**
 * The services as the build bundles them (`bundle:services`): one file per service with the AWS SDK inside, and no
 * CDK code. And the one Dockerfile that packs any of them.
 */
const ROOT = join(__dirname, '..', '..');

describe.each(['products', 'orders', 'users'])('%s', (service) => {
  test('bundles for Node.js 22 without aws-cdk-lib or constructs, AWS SDK included', async () => {
    const result = await build({
      entryPoints: [join(ROOT, 'examples', 'services', service, 'main.ts')],
      bundle: true,
      platform: 'node',
      target: 'node22',
      format: 'cjs',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((i) => /node_modules\/(aws-cdk-lib|constructs)\//.test(i))).toEqual([]);
    expect(inputs.some((i) => i.includes('node_modules/@aws-sdk/'))).toBe(true);
    expect(inputs.some((i) => i.includes('node_modules/fastify/'))).toBe(true);
    expect(result.outputFiles[0].text).not.toContain('aws-cdk-lib');
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(ROOT, 'examples', 'services', 'Dockerfile'), 'utf8');
  const instructions = dockerfile.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));

  test('builds any service from its bundle alone, on the public Node.js 22 Alpine image, as the node user', () => {
    expect(instructions[0]).toBe('FROM public.ecr.aws/docker/library/node:22-alpine');
    expect(instructions).toContain('ARG SERVICE');
    expect(instructions.filter((i) => /^(COPY|ADD)\b/.test(i))).toEqual(['COPY build/${SERVICE}/index.js ./index.js']);
    expect(instructions).toContain('ENV NODE_ENV=production');
    expect(instructions.filter((i) => i.startsWith('USER'))).toEqual(['USER node']);
    expect(instructions[instructions.length - 1]).toBe('CMD ["node", "index.js"]');
  });

  test('removes nothing from the base image (the container health check runs its busybox wget)', () => {
    expect(instructions.filter((i) => /apk (del|add)|\brm\b/.test(i))).toEqual([]);
  });
});
