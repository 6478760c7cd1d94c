import { describeRunningHours, RunningHoursConfig } from '../contract/running-hours';

/**
 * Properties of RunningHours. All times are UTC.
 */
export interface RunningHoursProps {
  /** Hour the services start, 0 to 23. */
  readonly startHour: number;

  /** Hour the services stop, after `startHour`, at most 23. */
  readonly stopHour: number;

  /**
   * Run Monday to Friday only: the services stay stopped from Friday's stop hour to Monday's start hour.
   *
   * @default true
   */
  readonly weekdaysOnly?: boolean;
}

/**
 * When a tier's services run (the `runningHours` option of every tier, docs/cost.md). Outside these hours the services
 * and the tenant proxy scale to zero tasks, and the router answers the tier's requests with 503 and a message naming
 * the hours, instead of sending them on. For non-production and idle tenants: a tenant running 12 hours on weekdays
 * pays for 36% of the week.
 *
 * @example
 * declare const vpc: ec2.IVpc;
 * declare const application: SaasApplication;
 *
 * new SiloServiceTier(this, 'Sandbox', {
 *   vpc,
 *   application,
 *   tierName: 'sandbox',
 *   runningHours: RunningHours.of({ startHour: 7, stopHour: 19 }),
 * });
 */
export class RunningHours {
  /** Running hours from a start and a stop hour (UTC). */
  public static of(props: RunningHoursProps): RunningHours {
    const { startHour, stopHour } = props;
    if (!Number.isInteger(startHour) || startHour < 0 || startHour > 23) {
      throw new Error(`runningHours.startHour must be a whole hour from 0 to 23 (UTC); got ${startHour}.`);
    }
    if (!Number.isInteger(stopHour) || stopHour <= startHour || stopHour > 23) {
      throw new Error(`runningHours.stopHour must be a whole hour after startHour (${startHour}), at most 23 (UTC); got ${stopHour}.`);
    }
    return new RunningHours({ startHour, stopHour, weekdaysOnly: props.weekdaysOnly ?? true });
  }

  /** Hour the services start (UTC). */
  public readonly startHour: number;
  /** Hour the services stop (UTC). */
  public readonly stopHour: number;
  /** Monday to Friday only. */
  public readonly weekdaysOnly: boolean;

  private constructor(config: RunningHoursConfig) {
    this.startHour = config.startHour;
    this.stopHour = config.stopHour;
    this.weekdaysOnly = config.weekdaysOnly;
  }

  /** "Monday to Friday, 07:00 to 19:00 UTC". */
  public get description(): string {
    return describeRunningHours(this);
  }
}
