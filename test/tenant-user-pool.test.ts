import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { TenantUserPool } from '../src';

test('the pool has the reference\'s attributes, email sign-in, no self sign-up, strong passwords, MFA, and is retained', () => {
  const stack = new Stack();
  new TenantUserPool(stack, 'Users');
  const t = Template.fromStack(stack);
  const pool = Object.values<any>(t.findResources('AWS::Cognito::UserPool'))[0];
  expect(pool.DeletionPolicy).toBe('Retain');
  expect(pool.Properties.Schema.map((a: any) => [a.Name, a.Mutable])).toEqual([['tenantId', false], ['tenantTier', false], ['userRole', true]]);
  expect(pool.Properties.UsernameAttributes).toEqual(['email']);
  expect(pool.Properties.AdminCreateUserConfig.AllowAdminCreateUserOnly).toBe(true);
  expect(pool.Properties.MfaConfiguration).toBe('ON');
  expect(pool.Properties.Policies.PasswordPolicy).toMatchObject({ MinimumLength: 12, RequireSymbols: true, RequireUppercase: true });
});

test('its one client may not write any custom attribute, so users cannot change their tenant, tier or role', () => {
  const stack = new Stack();
  const users = new TenantUserPool(stack, 'Users', { removalPolicy: RemovalPolicy.DESTROY });
  const client = Object.values<any>(Template.fromStack(stack).findResources('AWS::Cognito::UserPoolClient'))[0].Properties;
  expect(client.WriteAttributes.some((a: string) => a.startsWith('custom:'))).toBe(false);
  expect(client.ExplicitAuthFlows).toEqual(['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']);
  expect(client.UserPoolId).toEqual({ Ref: Stack.of(users).getLogicalId(users.node.defaultChild as any) });
  expect(Object.values<any>(Template.fromStack(stack).findResources('AWS::Cognito::UserPool'))[0].DeletionPolicy).toBe('Delete');
});
