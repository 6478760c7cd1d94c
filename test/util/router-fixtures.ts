import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { bridgeApplication, pooledApplication, vpcStack } from './fixtures';
import { PooledEcsTier, SiloServiceTier, TenantRouter, TenantRouterProps, TierRouting, TokenIssuer } from '../../src';

export const ISSUER = 'https://login.example.com';

/** Router props for the bridge application with a basic (shared) and an advanced (per-tenant) tier. */
export function routerProps(vpc: ec2.IVpc, overrides: Partial<TenantRouterProps> = {}): TenantRouterProps {
  return {
    vpc,
    application: bridgeApplication(),
    issuers: [TokenIssuer.oidc({ issuerUrl: ISSUER, audiences: ['app-client'] })],
    tiers: [
      { tierName: 'basic', routing: TierRouting.SHARED },
      { tierName: 'advanced', routing: TierRouting.PER_TENANT },
    ],
    ...overrides,
  };
}

/** A stack with a basic tier (tenants b1, b2), an advanced tier (acme, globex) and a router for both. */
export function routedStack(overrides: Partial<TenantRouterProps> = {}, advancedTenants = ['acme', 'globex']) {
  const { app, stack, vpc } = vpcStack();
  const basic = new PooledEcsTier(stack, 'Basic', { vpc, application: pooledApplication(), tenants: ['b1', 'b2'] });
  const advanced = new SiloServiceTier(stack, 'Advanced', {
    vpc,
    application: bridgeApplication(),
    pooledTables: { products: basic.pooledTables.products },
    tenants: advancedTenants,
  });
  const router = new TenantRouter(stack, 'Router', routerProps(vpc, overrides));
  return { app, stack, vpc, basic, advanced, router };
}

/** Every template of a stack and its nested stacks, merged (logical ids prefixed by the stack's node id). */
export function resourcesOf(stack: Stack, type: string): Array<{ stack: string; id: string; props: any }> {
  const out: Array<{ stack: string; id: string; props: any }> = [];
  const stacks: Stack[] = [stack, ...stack.node.findAll().filter((c): c is Stack => Stack.isStack(c) && c !== stack && c.nested)];
  for (const s of stacks) {
    for (const [id, r] of Object.entries<any>(Template.fromStack(s).findResources(type))) {
      out.push({ stack: s.node.id, id, props: r.Properties ?? {} });
    }
  }
  return out;
}

/** The listener rules a stack (not its nested stacks) holds, as header value → priority. */
export function rulePriorities(scope: Construct): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const r of Object.values<any>(Template.fromStack(Stack.of(scope)).findResources('AWS::ElasticLoadBalancingV2::ListenerRule'))) {
    const header = r.Properties.Conditions.find((c: any) => c.Field === 'http-header');
    const key = header.HttpHeaderConfig.Values[0];
    (out[key] ??= []).push(r.Properties.Priority);
  }
  return out;
}
