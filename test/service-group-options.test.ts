import { RemovalPolicy } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { ClusterPerTenantTier, PooledEcsTier, ServiceGroupOptions, SiloServiceTier } from '../src';
import { bridgeApplication, pooledApplication, vpcStack } from './util/fixtures';

/** ServiceGroupOptions are one struct shared by every tier: each option must have the same effect in each. */
const OPTIONS: ServiceGroupOptions = {
  proxy: false,
  removalPolicy: RemovalPolicy.DESTROY,
  logRetention: logs.RetentionDays.ONE_WEEK,
  vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, onePerAz: true },
};

const tiers = {
  PooledEcsTier: () => {
    const { stack, vpc } = vpcStack();
    new PooledEcsTier(stack, 'Tier', { vpc, application: pooledApplication(), tenants: ['acme'], ...OPTIONS });
    return stack;
  },
  SiloServiceTier: () => {
    const { stack, vpc } = vpcStack();
    new SiloServiceTier(stack, 'Tier', { vpc, application: bridgeApplication(), tenants: ['acme'], ...OPTIONS });
    return stack;
  },
  ClusterPerTenantTier: () => {
    const { stack, vpc } = vpcStack();
    new ClusterPerTenantTier(stack, 'Tier', { vpc, application: bridgeApplication(), tenants: ['acme'], ...OPTIONS });
    return stack;
  },
};

describe.each(Object.entries(tiers))('%s', (_name, build) => {
  const template = Template.fromStack(build()).toJSON();
  const ofTier = (type: string) =>
    Object.entries<any>(template.Resources).filter(([id, r]) => r.Type === type && id.startsWith('Tier')).map(([, r]) => r);

  test('proxy: false gives no proxy service', () => {
    expect(ofTier('AWS::ECS::Service')).toHaveLength(2);
  });

  test('removalPolicy applies to its tables and log groups', () => {
    for (const r of [...ofTier('AWS::DynamoDB::Table'), ...ofTier('AWS::Logs::LogGroup')]) {
      expect(r.DeletionPolicy).toBe('Delete');
    }
    expect(ofTier('AWS::DynamoDB::Table').length).toBeGreaterThan(0);
  });

  test('logRetention applies to every log group', () => {
    expect(ofTier('AWS::Logs::LogGroup').map((r) => r.Properties.RetentionInDays)).toEqual(ofTier('AWS::Logs::LogGroup').map(() => 7));
  });

  test('vpcSubnets places every task in the private subnets', () => {
    for (const service of ofTier('AWS::ECS::Service')) {
      const subnets = service.Properties.NetworkConfiguration.AwsvpcConfiguration.Subnets.map((s: any) => s.Ref);
      expect(subnets.every((s: string) => /^VpcPrivateSubnet/.test(s))).toBe(true);
    }
  });
});
