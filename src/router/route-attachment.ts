import { Duration, Tags } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';
import { RoutingTarget } from './routing-target';
import { ROUTING_HEADER } from '../contract/router';

/**
 * A route's target group and listener rule for one routing target, in the stack of the target's service (so that a
 * tenant stack owns its own route): the rule matches the routing header (and the target's path prefix) at `priority`.
 */
export function attachRoute(vpc: ec2.IVpc, target: RoutingTarget, listenerArn: string, securityGroupId: string, priority: number): void {
  if (target.service.node.tryFindChild('TenantRoute')) {
    throw new Error(`routing target '${target.routingKey}' (${target.service.node.path}) is already routed: a target belongs to one router.`);
  }
  const scope = new Construct(target.service, 'TenantRoute');
  const listener = elbv2.ApplicationListener.fromApplicationListenerAttributes(scope, 'Listener', {
    listenerArn,
    securityGroup: ec2.SecurityGroup.fromSecurityGroupId(scope, 'LoadBalancerSecurityGroup', securityGroupId, { allowAllOutbound: false }),
  });
  const group = new elbv2.ApplicationTargetGroup(scope, 'TargetGroup', {
    vpc,
    port: target.port,
    protocol: elbv2.ApplicationProtocol.HTTP,
    targetType: elbv2.TargetType.IP,
    targets: [target.loadBalancerTarget()],
    healthCheck: { path: target.healthCheckPath, healthyHttpCodes: '200', interval: Duration.seconds(15), healthyThresholdCount: 2 },
    deregistrationDelay: Duration.seconds(30),
  });
  new elbv2.ApplicationListenerRule(scope, 'Rule', {
    listener,
    priority,
    conditions: [
      elbv2.ListenerCondition.httpHeader(ROUTING_HEADER, [target.routingKey]),
      ...(target.pathPrefix ? [elbv2.ListenerCondition.pathPatterns([target.pathPrefix, `${target.pathPrefix}/*`])] : []),
    ],
    action: elbv2.ListenerAction.forward([group]),
  });
  // A tag value cannot hold `*`: a routing service's route (`<tier>/*`) is tagged with its tier.
  Tags.of(scope).add('cdk-ecs-saas:route', target.routingKey.includes('*') ? target.tierName : target.routingKey);
}
