import { TierCapacity } from '../src';

test('fargate and ec2 defaults', () => {
  expect(TierCapacity.fargate().isEc2).toBe(false);
  expect(TierCapacity.ec2().ec2Options).toEqual({ minInstances: 1, maxInstances: 10 });
});

test.each([-1, 1.5])('fails on invalid minInstances (%s)', (minInstances) => {
  expect(() => TierCapacity.ec2({ minInstances })).toThrow(`minInstances must be a whole number of at least 0; got ${minInstances}.`);
});

test.each([[2, 1], [0, 0]])('fails when maxInstances is below minInstances or 1 (%s, %s)', (minInstances, maxInstances) => {
  expect(() => TierCapacity.ec2({ minInstances, maxInstances })).toThrow(
    `maxInstances must be a whole number of at least minInstances (${minInstances}) and 1; got ${maxInstances}.`,
  );
});
