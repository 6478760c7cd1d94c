import * as fs from 'fs';
import { App, Stack } from 'aws-cdk-lib';
import { TenantTemplate } from '../src';
import { lifecycleStack } from './util/lifecycle-fixtures';

function productTemplate(app: App): any {
  const assembly = app.synth();
  const file = fs.readdirSync(assembly.directory).find((f: string) => f.endsWith('.product.template.json'));
  return JSON.parse(fs.readFileSync(`${assembly.directory}/${file}`, 'utf8'));
}

test('the template takes tenant id (validated), router shard, rule priority and admin email as parameters', () => {
  const { app } = lifecycleStack();
  const t = productTemplate(app);
  expect(t.Parameters.TenantId).toEqual({
    Type: 'String',
    Description: 'The tenant id',
    AllowedPattern: '^[a-z0-9](?:[a-z0-9-]{0,34}[a-z0-9])?$',
    ConstraintDescription: expect.any(String),
  });
  expect(t.Parameters.RouterShard).toMatchObject({ Type: 'Number', MinValue: 0 });
  expect(t.Parameters.RulePriority).toMatchObject({ Type: 'Number', MinValue: 1, MaxValue: 50000 });
  expect(t.Parameters.TenantAdminEmail).toMatchObject({ Type: 'String' });
});

test('the tenant\'s route uses the parameters: its rule priority, and the listener of the selected shard, imported from the app', () => {
  const { app } = lifecycleStack();
  const t = productTemplate(app);
  const rule = Object.values<any>(t.Resources).find((r) => r.Type === 'AWS::ElasticLoadBalancingV2::ListenerRule').Properties;
  expect(rule.Priority).toEqual({ Ref: 'RulePriority' });
  expect(rule.Conditions[0].HttpHeaderConfig.Values).toEqual([{ Ref: 'TenantId' }]);
  expect(rule.ListenerArn['Fn::Select'][0]).toEqual({ Ref: 'RouterShard' });
  for (const listener of rule.ListenerArn['Fn::Select'][1]) {
    expect(listener).toEqual({ 'Fn::ImportValue': expect.stringMatching(/^Plane:.*Listener/) });
  }
});

test('a tenant identity is a pool with the reference\'s attributes and MFA, and the administrator from the request\'s email', () => {
  const { app } = lifecycleStack();
  const t = productTemplate(app);
  const pool = Object.values<any>(t.Resources).find((r) => r.Type === 'AWS::Cognito::UserPool');
  expect(pool.DeletionPolicy).toBe('Retain');
  expect(pool.Properties.MfaConfiguration).toBe('ON');
  expect(pool.Properties.Schema.map((a: any) => a.Name)).toEqual(['tenantId', 'tenantTier', 'userRole']);
  const admin = Object.values<any>(t.Resources).find((r) => r.Type === 'AWS::Cognito::UserPoolUser').Properties;
  expect(admin.Username).toEqual({ Ref: 'TenantAdminEmail' });
  expect(admin.UserAttributes).toEqual(expect.arrayContaining([
    { Name: 'custom:tenantId', Value: { Ref: 'TenantId' } },
    { Name: 'custom:tenantTier', Value: 'advanced' },
    { Name: 'custom:userRole', Value: 'TenantAdmin' },
  ]));
  expect(t.Outputs.TenantIssuer.Value).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^TenantUsers/), 'ProviderURL'] });
});

test('a template has one tenant identity', () => {
  const { template } = lifecycleStack();
  expect(() => template.addTenantIdentity()).toThrow(/already has a tenant user pool/);
});

test('the tenant config becomes the outputs provisioning reads', () => {
  const { app } = lifecycleStack();
  const t = productTemplate(app);
  expect(Object.keys(t.Outputs)).toEqual(['TenantIssuer', 'UserPoolId', 'AppClientId', 'ApiUrl']);
  expect(t.Outputs.ApiUrl.Value['Fn::Select'][0]).toEqual({ Ref: 'RouterShard' });
});

test('a template without tenant config fails synthesis, and config is set once', () => {
  const app = new App();
  const stack = new Stack(app, 'S');
  const t = new TenantTemplate(stack, 'T', { tierName: 'advanced' });
  expect(() => app.synth()).toThrow(/TenantTemplate 'S\/T' has no tenant configuration: call configureTenant/);
  t.configureTenant({ userPoolId: 'p', appClientId: 'c', apiUrl: 'u' });
  expect(() => t.configureTenant({ userPoolId: 'p', appClientId: 'c', apiUrl: 'u' })).toThrow(/configureTenant was already called on TenantTemplate 'S\/T'/);
  expect(t.tierName).toBe('advanced');
});
