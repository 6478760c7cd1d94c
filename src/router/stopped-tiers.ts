/**
 * Tiers with running hours, as the router sees them (docs/cost.md): the hours each tier's routes carry, and on each
 * shard the listener rule that answers a stopped tier's requests. Not part of the jsii API.
 */
import { Duration } from 'aws-cdk-lib';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';
import { RoutingTarget } from './routing-target';
import { LISTENER_PRIORITY_MAX, ROUTING_HEADER } from '../contract/router';
import { RunningHoursConfig, STOP_DRAIN_MINUTES, stoppedRoutingKey } from '../contract/running-hours';
import { RunningHours } from '../tiers/running-hours';

export class StoppedTiers {
  /** Hours per tier, once a route of the tier has been seen (null: the tier always runs). */
  private readonly hours = new Map<string, RunningHours | null>();
  /** Rules made, by shard index and tier. */
  private readonly rules = new Map<number, Map<string, number>>();

  /** @param tierOrder the router's tier names, in order: a tier's rule priority is LISTENER_PRIORITY_MAX - its position. */
  constructor(private readonly tierOrder: string[]) {}

  /**
   * Records the running hours a route's targets carry. Every target of a route, and every route of a tier, must carry
   * the same hours (or none).
   */
  public record(tierName: string, who: string, targets: RoutingTarget[]): RunningHours | undefined {
    const hours = targets[0]?.runningHours;
    for (const t of targets) {
      if (!same(t.runningHours, hours)) {
        throw new Error(`${who}: its routing targets have different running hours (${describe(hours)}, ${describe(t.runningHours)}); a tenant's services share one schedule.`);
      }
    }
    const known = this.hours.get(tierName);
    if (known !== undefined && !same(known ?? undefined, hours)) {
      throw new Error(`${who} runs ${describe(hours)}, but other tenants of tier '${tierName}' run ${describe(known ?? undefined)}: `
        + 'every tenant of a tier has the tier\'s running hours (the router answers for the whole tier).');
    }
    this.hours.set(tierName, hours ?? null);
    return hours;
  }

  /**
   * On this shard, the rule that answers the tier's requests while it is stopped (made once per shard and tier).
   * `shardKey` is the shard's number, or -1 for the shard template opened at run time.
   */
  public ensureRule(
    shard: { readonly listener: elbv2.IApplicationListener } & Construct,
    shardKey: number,
    tierName: string,
    hours: RunningHours,
  ): void {
    const onShard = this.rules.get(shardKey) ?? new Map<string, number>();
    this.rules.set(shardKey, onShard);
    if (onShard.has(tierName)) {
      return;
    }
    const priority = LISTENER_PRIORITY_MAX - this.tierOrder.indexOf(tierName);
    new elbv2.ApplicationListenerRule(shard, `Stopped-${tierName}`, {
      listener: shard.listener,
      priority,
      conditions: [elbv2.ListenerCondition.httpHeader(ROUTING_HEADER, [stoppedRoutingKey(tierName)])],
      action: elbv2.ListenerAction.fixedResponse(503, {
        contentType: 'application/json',
        messageBody: JSON.stringify({ message: `This tenant's services are stopped outside their running hours (${hours.description}).` }),
      }),
    });
    onShard.set(tierName, priority);
  }

  /** Priorities of the stopped-tier rules on a shard (they count against its listener's rules). */
  public prioritiesOn(shardIndex: number): number[] {
    return [...(this.rules.get(shardIndex)?.values() ?? [])];
  }

  /** The authorizer's view: each tier's hours, for the tiers that have some. */
  public get config(): Record<string, RunningHoursConfig> {
    const out: Record<string, RunningHoursConfig> = {};
    for (const [tier, h] of this.hours) {
      if (h) {
        out[tier] = { startHour: h.startHour, stopHour: h.stopHour, weekdaysOnly: h.weekdaysOnly };
      }
    }
    return out;
  }

  /** Errors: a decision cached longer than the drain would send requests to services already stopped. */
  public validate(authorizerCacheTtl: Duration): string[] {
    const tiers = Object.keys(this.config);
    if (tiers.length > 0 && authorizerCacheTtl.toSeconds() > STOP_DRAIN_MINUTES * 60) {
      return [`tiers ${tiers.join(', ')} have running hours, whose services stop ${STOP_DRAIN_MINUTES} minutes after the stop hour; `
        + `authorizerCacheTtl must be at most ${STOP_DRAIN_MINUTES} minutes so that no cached decision outlives them; got ${authorizerCacheTtl.toSeconds()} seconds.`];
    }
    return [];
  }
}

function same(a: RunningHours | undefined, b: RunningHours | undefined): boolean {
  return (a?.description ?? 'always') === (b?.description ?? 'always');
}

function describe(h: RunningHours | undefined): string {
  return h ? h.description : 'always';
}
