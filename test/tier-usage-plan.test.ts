import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { TierUsagePlan } from '../src';

test('the reference plans carry the reference\'s rate, burst and daily quota', () => {
  const plans = [TierUsagePlan.REFERENCE_BASIC, TierUsagePlan.REFERENCE_ADVANCED, TierUsagePlan.REFERENCE_PREMIUM];
  expect(plans.map((p) => [p.rateLimit, p.burstLimit, p.quotaLimit, p.quotaPeriod])).toEqual([
    [50, 50, 1000, apigateway.Period.DAY],
    [75, 100, 2000, apigateway.Period.DAY],
    [300, 300, 6000, apigateway.Period.DAY],
  ]);
});

test('defaultFor picks the reference plan by tier name, and the basic plan for other names', () => {
  expect(TierUsagePlan.defaultFor('advanced')).toBe(TierUsagePlan.REFERENCE_ADVANCED);
  expect(TierUsagePlan.defaultFor('premium')).toBe(TierUsagePlan.REFERENCE_PREMIUM);
  expect(TierUsagePlan.defaultFor('basic')).toBe(TierUsagePlan.REFERENCE_BASIC);
  expect(TierUsagePlan.defaultFor('gold')).toBe(TierUsagePlan.REFERENCE_BASIC);
});

test('a custom plan without a quota, and with a weekly one', () => {
  const open = TierUsagePlan.of({ rateLimit: 2.5, burstLimit: 5 });
  expect([open.rateLimit, open.burstLimit, open.quotaLimit]).toEqual([2.5, 5, undefined]);
  const weekly = TierUsagePlan.of({ rateLimit: 1, burstLimit: 1, quotaLimit: 10, quotaPeriod: apigateway.Period.WEEK });
  expect(weekly.quotaPeriod).toBe(apigateway.Period.WEEK);
});

test.each([
  [{ rateLimit: 0, burstLimit: 1 }, /rateLimit must be a positive number of requests per second; got 0/],
  [{ rateLimit: Infinity, burstLimit: 1 }, /rateLimit must be a positive number.*got Infinity/],
  [{ rateLimit: 1, burstLimit: 0 }, /burstLimit must be a whole number of requests of at least 1; got 0/],
  [{ rateLimit: 1, burstLimit: 1.5 }, /burstLimit must be a whole number.*got 1.5/],
  [{ rateLimit: 1, burstLimit: 1, quotaLimit: 0 }, /quotaLimit must be a whole number of requests of at least 1; got 0/],
  [{ rateLimit: 1, burstLimit: 1, quotaPeriod: apigateway.Period.MONTH }, /quotaPeriod MONTH needs quotaLimit/],
])('rejects %j', (props, error) => {
  expect(() => TierUsagePlan.of(props)).toThrow(error);
});
