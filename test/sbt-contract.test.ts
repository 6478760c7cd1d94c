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
  });
});

test('the 0.9 preset prefixes every detail type with sbt_aws_ and uses the dotted sources', () => {
  const c = SbtContract.V0_9;
  expect([c.controlPlaneSource, c.applicationPlaneSource]).toEqual(['sbt.control.plane', 'sbt.application.plane']);
  const types = [c.onboardingRequest, c.offboardingRequest, c.provisionSuccess, c.provisionFailure, c.deprovisionSuccess, c.deprovisionFailure];
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
  [{ offboardingRequest: 'onboardingRequest' }, /onboardingRequest and offboardingRequest are both 'onboardingRequest'/],
  [{ provisionFailure: 'provisionSuccess' }, /the reply detail types must differ; got provisionSuccess, provisionSuccess, deprovisionSuccess, deprovisionFailure/],
])('custom contracts are validated: %j', (override, error) => {
  expect(() => SbtContract.custom({ ...SbtContract.V0_5, ...override })).toThrow(error);
});
