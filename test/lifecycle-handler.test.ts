import { reason, runStep } from '../src/lifecycle/lambda/handler';
import { LifecycleWorker } from '../src/lifecycle/lambda/worker';

/** The worker Lambda's dispatch: each state-machine step reaches its method with the state's fields. */
const calls: Array<[string, unknown[]]> = [];
const fake = new Proxy({}, {
  get: (_t, name: string) => async (...args: unknown[]) => {
    calls.push([name, args]);
    return { from: name };
  },
}) as unknown as LifecycleWorker;

beforeEach(() => (calls.length = 0));

const request = { tenantId: 'acme', tenantRegistrationId: 'r1', tier: 'advanced', email: 'a@acme.example' };

test.each([
  [{ step: 'startOnboarding', detail: { x: 1 }, execution: 'arn:exec' }, 'startOnboarding', [{ x: 1 }, 'arn:exec']],
  [{ step: 'onboardShared', request }, 'onboardShared', [request]],
  [{ step: 'provisionStack', request }, 'provisionStack', [request]],
  [{ step: 'checkRecord', recordId: 'rec-1' }, 'checkRecord', ['rec-1']],
  [{ step: 'finishStack', request, outputs: { ApiUrl: 'u' } }, 'finishStack', [request, { ApiUrl: 'u' }]],
  [{ step: 'terminateStack', request }, 'terminateStack', ['acme', 'r1']],
  [{ step: 'failOnboarding', request, slot: { shard: 0, priority: 3 }, error: { Error: 'E', Cause: '{"errorType":"Error","errorMessage":"boom"}' } },
    'failOnboarding', [request, 'Error: boom', { shard: 0, priority: 3 }]],
  [{ step: 'startOffboarding', detail: { y: 2 } }, 'startOffboarding', [{ y: 2 }, '']],
  [{ step: 'finishOffboarding', request }, 'finishOffboarding', [request]],
  [{ step: 'planWaves', tierName: 'advanced', waveSize: 3 }, 'planWaves', ['advanced', 3]],
  [{ step: 'updateStack', tenantId: 'acme', tierName: 'advanced', version: 'v2', token: 'exec' }, 'updateStack', ['acme', 'advanced', 'v2', 'exec']],
  [{ step: 'failOffboarding', request, error: { Error: 'States.Timeout', Cause: 'timed out' } }, 'failOffboarding', [request, 'States.Timeout: timed out']],
])('%j calls %s', async (event, method, args) => {
  await runStep(event as any, fake);
  expect(calls).toEqual([[method, args]]);
});

test('removeSharedUsers returns an empty object for the state', async () => {
  expect(await runStep({ step: 'removeSharedUsers', request } as any, fake)).toEqual({});
});

test('an unknown step is an error', async () => {
  await expect(runStep({ step: 'explode' } as any, fake)).rejects.toThrow("unknown step 'explode'");
});

test('reasons read Step Functions\' caught errors', () => {
  expect(reason(undefined)).toBe('unknown error');
  expect(reason({ Error: 'Lambda.Unknown', Cause: 'not json' })).toBe('Lambda.Unknown: not json');
  expect(reason({ Error: 'Error', Cause: JSON.stringify({ errorType: 'ValidationException', errorMessage: 'bad product' }) })).toBe('ValidationException: bad product');
});
