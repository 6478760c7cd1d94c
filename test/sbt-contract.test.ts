import { SbtContract } from '../src';

test('the 0.5 preset is sbt-aws 0.5.25\'s names and default sources', () => {
  expect({ ...SbtContract.V0_5 }).toEqual({
    controlPlaneSource: 'controlPlaneEventSource',
    applicationPlaneSource: 'applicationPlaneEventSource',
    onboardingRequest: 'onboardingRequest',
    offboardingRequest: 'offboardingRequest',
    provisionSuccess: 'provisionSuccess',
    provisionFailure: 'provisionFailure',
    deprovisionSuccess: 'deprovisionSuccess',
    deprovisionFailure: 'deprovisionFailure',
    // Declared by sbt-aws's event manager (activateRequest, deactivateRequest and their replies), never emitted.
    activateRequest: 'activateRequest',
    deactivateRequest: 'deactivateRequest',
    activateSuccess: 'activateSuccess',
    activateFailure: 'activateFailure',
    deactivateSuccess: 'deactivateSuccess',
    deactivateFailure: 'deactivateFailure',
    // Declared by sbt-aws's event manager for its metering providers (TenantMetering sends it).
    ingestUsage: 'ingestUsage',
  });
});

test('the 0.9 preset prefixes every detail type with sbt_aws_ and uses the dotted sources', () => {
  const c = SbtContract.V0_9;
  expect([c.controlPlaneSource, c.applicationPlaneSource]).toEqual(['sbt.control.plane', 'sbt.application.plane']);
  const types = [c.onboardingRequest, c.offboardingRequest, c.provisionSuccess, c.provisionFailure, c.deprovisionSuccess, c.deprovisionFailure,
    c.activateRequest, c.deactivateRequest, c.activateSuccess, c.activateFailure, c.deactivateSuccess, c.deactivateFailure, c.ingestUsage];
  expect(types).toEqual(Object.values({ ...SbtContract.V0_5 }).slice(2).map((t) => `sbt_aws_${t}`));
});

test('sources can be overridden, one at a time, without touching the preset', () => {
  const c = SbtContract.V0_9.withSources({ controlPlaneSource: 'acme.control' });
  expect([c.controlPlaneSource, c.applicationPlaneSource, c.onboardingRequest]).toEqual(['acme.control', 'sbt.application.plane', 'sbt_aws_onboardingRequest']);
  expect(SbtContract.V0_9.controlPlaneSource).toBe('sbt.control.plane');
});

test.each([
  [{ controlPlaneSource: 'has space' }, /controlPlaneSource must be 1 to 256 printable characters without spaces.*got 'has space'/],
  [{ provisionSuccess: '' }, /provisionSuccess must be 1 to 256 printable characters.*got ''/],
  [{ offboardingRequest: 'onboardingRequest' }, /the request detail types must differ; got onboardingRequest, onboardingRequest, activateRequest, deactivateRequest/],
  [{ deactivateRequest: 'activateRequest' }, /the request detail types must differ/],
  [{ provisionFailure: 'provisionSuccess' }, /the reply detail types must differ; got provisionSuccess, provisionSuccess, deprovisionSuccess, deprovisionFailure, activateSuccess/],
])('custom contracts are validated: %j', (override, error) => {
  expect(() => SbtContract.custom({ ...SbtContract.V0_5, ...override })).toThrow(error);
});

test('activation: sbt-aws declares activate and deactivate requests and replies; a custom contract gets 0.5\'s names unless it gives its own', () => {
  expect([SbtContract.V0_5.deactivateRequest, SbtContract.V0_5.activateSuccess]).toEqual(['deactivateRequest', 'activateSuccess']);
  expect([SbtContract.V0_9.deactivateRequest, SbtContract.V0_9.deactivateFailure]).toEqual(['sbt_aws_deactivateRequest', 'sbt_aws_deactivateFailure']);
  const { activateRequest: _a, deactivateRequest: _d, ...withoutActivation } = { ...SbtContract.V0_9 };
  const custom = SbtContract.custom(withoutActivation as any);
  expect([custom.activateRequest, custom.deactivateRequest]).toEqual(['activateRequest', 'deactivateRequest']);
  expect(SbtContract.V0_9.withSources({ controlPlaneSource: 'x.y' }).deactivateRequest).toBe('sbt_aws_deactivateRequest');
});
