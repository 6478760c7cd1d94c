import { Template } from 'aws-cdk-lib/assertions';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { SiloServiceTier } from '../src';
import { bridgeApplication, vpcStack } from './util/fixtures';

test('registering a routing target opens its tenant\'s security group to that load balancer, on the target port only', () => {
  const { stack, vpc } = vpcStack();
  const tier = new SiloServiceTier(stack, 'Advanced', { vpc, application: bridgeApplication(), tenants: ['acme'] });
  const [target] = tier.routingTargets;
  const alb = new elbv2.ApplicationLoadBalancer(stack, 'Alb', { vpc });
  const listener = alb.addListener('Http', { port: 80, open: false, defaultAction: elbv2.ListenerAction.fixedResponse(404) });
  listener.addTargets('Acme', {
    priority: 1,
    conditions: [elbv2.ListenerCondition.httpHeader('x-tenant-route', [target.routingKey])],
    port: target.port,
    targets: [target.loadBalancerTarget()],
    healthCheck: { path: target.healthCheckPath },
  });
  const template = Template.fromStack(stack);
  template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
    GroupId: stack.resolve(target.connections.securityGroups[0].securityGroupId),
    SourceSecurityGroupId: stack.resolve(alb.connections.securityGroups[0].securityGroupId),
    FromPort: 80,
    ToPort: 80,
  });
  const albGroup = JSON.stringify(stack.resolve(alb.connections.securityGroups[0].securityGroupId));
  const fromAlb = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).filter(
    (r: any) => JSON.stringify(r.Properties.SourceSecurityGroupId) === albGroup,
  );
  expect(fromAlb).toHaveLength(1);
  expect(target.httpMethods).toEqual(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
  template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { TargetType: 'ip', Port: 80, HealthCheckPath: '/health' });
  template.hasResourceProperties('AWS::ECS::Service', {
    LoadBalancers: [{ ContainerName: 'proxy', ContainerPort: 80, TargetGroupArn: { Ref: stack.getLogicalId(listener.node.findChild('AcmeGroup').node.defaultChild as any) } }],
  });
});
