import {
  deprovisionedReply,
  failedReply,
  InvalidRequest,
  parseOffboarding,
  parseOnboarding,
  provisionedReply,
} from '../src/lifecycle/lambda/requests';

const TIERS = ['basic', 'advanced', 'premium'];
// An sbt-aws onboarding request: the registration's and the tenant's data merged, plus the ids.
const REQUEST = {
  tenantName: 'Acme Corp',
  email: 'admin@acme.example',
  tier: 'advanced',
  prices: [],
  registrationStatus: 'In progress',
  tenantRegistrationId: '3c1e8a8e-0b4f-4b8a-9a55-1f2c3d4e5f60',
  tenantId: 'acme',
};

test('an sbt-aws onboarding request is read, extra fields ignored', () => {
  expect(parseOnboarding(REQUEST, TIERS)).toEqual({
    tenantId: 'acme',
    tenantRegistrationId: REQUEST.tenantRegistrationId,
    tier: 'advanced',
    email: 'admin@acme.example',
    tenantName: 'Acme Corp',
  });
});

test('an offboarding request (tenant and registration records merged) is read', () => {
  expect(parseOffboarding({ ...REQUEST, sbtaws_active: true }, TIERS)).toEqual({ tenantId: 'acme', tenantRegistrationId: REQUEST.tenantRegistrationId, tier: 'advanced' });
});

test.each([
  ['not an object', 'nonsense', /the event detail is not an object/, undefined],
  ['no registration id', { ...REQUEST, tenantRegistrationId: undefined }, /the request has no tenantRegistrationId/, undefined],
  ['odd registration id', { ...REQUEST, tenantRegistrationId: 'a b' }, /tenantRegistrationId 'a b' is not a registration id/, undefined],
  ['no tenant id', { ...REQUEST, tenantId: '' }, /the request has no tenantId/, REQUEST.tenantRegistrationId],
  ['invalid tenant id', { ...REQUEST, tenantId: 'Acme Corp' }, /tenantId 'Acme Corp' is not a valid tenant id/, REQUEST.tenantRegistrationId],
  ['unknown tier', { ...REQUEST, tier: 'platinum' }, /tier 'platinum' is not served; the tiers are basic, advanced, premium/, REQUEST.tenantRegistrationId],
  ['bad email', { ...REQUEST, email: 'admin' }, /email 'admin' is not an email address/, REQUEST.tenantRegistrationId],
])('%s is refused with the reason, and the registration id when known', (_name, detail, error, registration) => {
  let caught: unknown;
  try {
    parseOnboarding(detail, TIERS);
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(InvalidRequest);
  expect((caught as Error).message).toMatch(error);
  expect((caught as InvalidRequest).tenantRegistrationId).toBe(registration);
});

test('a success reply is what the control plane PATCHes: registration status and the tenant config as a JSON string', () => {
  const reply = provisionedReply(parseOnboarding(REQUEST, TIERS), { userPoolId: 'us-east-1_x', appClientId: 'c', apiGatewayUrl: 'https://api/prod/' });
  expect(reply).toEqual({
    tenantRegistrationId: REQUEST.tenantRegistrationId,
    tenantId: 'acme',
    jobOutput: {
      tenantRegistrationData: { registrationStatus: 'Created' },
      tenantData: { tenantConfig: '{"userPoolId":"us-east-1_x","appClientId":"c","apiGatewayUrl":"https://api/prod/"}', tier: 'advanced' },
    },
  });
  expect(deprovisionedReply(parseOffboarding(REQUEST, TIERS)).jobOutput).toEqual({ tenantRegistrationData: { registrationStatus: 'Deleted' } });
});

test('a failure reply carries its reason where the control plane stores it, bounded in size', () => {
  const reply = failedReply('r-1', 'acme', 'x'.repeat(5000));
  expect(reply.jobOutput.tenantRegistrationData.registrationStatus).toBe('Failed');
  expect(reply.jobOutput.tenantRegistrationData.failureReason).toHaveLength(1000);
});
