import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { ClusterPerTenantTier, PooledEcsTier, SharedTaskExecution, SiloServiceTier } from '../src';
import { bridgeApplication, pooledApplication, vpcStack } from './util/fixtures';

/** The `taskExecution` option (docs/capacity.md): one execution role and one log group for many tenants' services. */
function build(tier: string, tenants: string[], shared = true) {
  const { stack, vpc } = vpcStack();
  const taskExecution = shared ? new SharedTaskExecution(stack, 'Execution', { removalPolicy: RemovalPolicy.DESTROY, logRetention: logs.RetentionDays.ONE_WEEK }) : undefined;
  if (tier === 'PooledEcsTier') {
    new PooledEcsTier(stack, 'Tier', { vpc, application: pooledApplication(), taskExecution, tenants });
  } else if (tier === 'SiloServiceTier') {
    new SiloServiceTier(stack, 'Tier', { vpc, application: bridgeApplication(), taskExecution, tenants });
  } else {
    new ClusterPerTenantTier(stack, 'Tier', { vpc, application: bridgeApplication(), taskExecution, tenants });
  }
  return { stack, taskExecution };
}
const resources = (stack: Stack, type: string) => Template.fromStack(stack).findResources(type);
const roleId = (stack: Stack, execution: SharedTaskExecution) => stack.getLogicalId(execution.executionRole.node.defaultChild as any);

describe.each(['PooledEcsTier', 'SiloServiceTier', 'ClusterPerTenantTier'])('%s', (tier) => {
  test('every task definition uses the shared execution role, and no other execution role exists', () => {
    const { stack, taskExecution } = build(tier, ['acme', 'globex']);
    const role = roleId(stack, taskExecution!);
    const tds = Object.values<any>(resources(stack, 'AWS::ECS::TaskDefinition'));
    expect(tds.length).toBeGreaterThanOrEqual(3);
    for (const td of tds) {
      expect(td.Properties.ExecutionRoleArn).toEqual({ 'Fn::GetAtt': [role, 'Arn'] });
    }
    const taskRoles = new Set(tds.map((td) => td.Properties.TaskRoleArn['Fn::GetAtt'][0]));
    // The pooled tier's data-access roles (assumed with session tags) are not execution roles.
    const roles = Object.keys(resources(stack, 'AWS::IAM::Role')).filter((id) => (id.startsWith('Tier') && !id.includes('DataAccess')) || id === role);
    // The shared execution role and the task roles: none other.
    expect(roles.sort()).toEqual([role, ...taskRoles].sort());
  });

  test('every container logs to the shared log group under <tenant or tier>/<service>, and no other log group exists', () => {
    const { stack, taskExecution } = build(tier, ['acme', 'globex']);
    const logGroup = stack.getLogicalId(taskExecution!.logGroup.node.defaultChild as any);
    expect(Object.keys(resources(stack, 'AWS::Logs::LogGroup')).filter((id) => id !== logGroup && !id.startsWith('Vpc'))).toEqual([]);
    const prefixes: string[] = [];
    for (const td of Object.values<any>(resources(stack, 'AWS::ECS::TaskDefinition'))) {
      for (const c of td.Properties.ContainerDefinitions) {
        expect(c.LogConfiguration.Options['awslogs-group']).toEqual({ Ref: logGroup });
        prefixes.push(c.LogConfiguration.Options['awslogs-stream-prefix']);
      }
    }
    const owner = tier === 'PooledEcsTier' ? 'basic' : 'acme';
    expect(prefixes).toEqual(expect.arrayContaining([`${owner}/products`, `${owner}/orders`, `${owner}/proxy`]));
    for (const s of Object.values<any>(resources(stack, 'AWS::ECS::Service'))) {
      const config = s.Properties.ServiceConnectConfiguration.LogConfiguration;
      expect(config.Options['awslogs-group']).toEqual({ Ref: logGroup });
      expect(config.Options['awslogs-stream-prefix']).toMatch(/^(acme|globex|basic)\/[a-z]+-sc$/);
    }
  });

  test('the shared role\'s policy does not grow with the tenants', () => {
    const policy = (tenants: string[]) => {
      const { stack, taskExecution } = build(tier, tenants);
      const role = roleId(stack, taskExecution!);
      return Object.values<any>(resources(stack, 'AWS::IAM::Policy')).filter((p) => p.Properties.Roles.some((r: any) => r.Ref === role));
    };
    const two = policy(['a1', 'a2']);
    expect(two).toHaveLength(1);
    expect(JSON.stringify(two[0].Properties.PolicyDocument)).toContain('logs:PutLogEvents');
    expect(policy(['a1', 'a2', 'a3', 'a4', 'a5', 'a6'])).toEqual(two);
  });

  test('the shared log group takes its own retention and removal policy', () => {
    const { stack } = build(tier, ['acme']);
    const groups = Object.values<any>(resources(stack, 'AWS::Logs::LogGroup')).filter((g) => g.Properties.RetentionInDays === 7);
    expect(groups).toHaveLength(1);
    expect(groups[0].DeletionPolicy).toBe('Delete');
  });
});

test('SharedTaskExecution defaults: RETAIN and one month', () => {
  const { stack } = vpcStack();
  new SharedTaskExecution(stack, 'Execution');
  Template.fromStack(stack).hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Retain', Properties: { RetentionInDays: 30 } });
});

test('without taskExecution each service has its own execution role and two log groups, as before', () => {
  const { stack } = build('SiloServiceTier', ['acme'], false);
  const tds = Object.values<any>(resources(stack, 'AWS::ECS::TaskDefinition'));
  expect(new Set(tds.map((td) => td.Properties.ExecutionRoleArn['Fn::GetAtt'][0])).size).toBe(3);
  expect(Object.keys(resources(stack, 'AWS::Logs::LogGroup')).filter((id) => id.startsWith('Tier'))).toHaveLength(6);
});
