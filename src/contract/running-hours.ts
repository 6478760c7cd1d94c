/**
 * Running hours of a tier's services (docs/cost.md): what the tiers (which scale the services to zero outside them)
 * and the router's authorizer (which routes the tier's requests to the "stopped" answer outside them) share. No CDK
 * imports. All times are UTC.
 */

/** A tier's running hours, as the authorizer is told them. */
export interface RunningHoursConfig {
  /** Hour the services start, 0 to 23. */
  readonly startHour: number;
  /** Hour the router stops sending them requests, after `startHour`, at most 23. */
  readonly stopHour: number;
  /** Monday to Friday only (else every day). */
  readonly weekdaysOnly: boolean;
}

/** Minutes after the start hour before requests are routed to the services again: their tasks start meanwhile. */
export const START_WARMUP_MINUTES = 5;

/**
 * Minutes after the stop hour at which the services scale to zero: a decision the authorizer cached just before the
 * stop hour (for at most this long) still finds them running.
 */
export const STOP_DRAIN_MINUTES = 10;

/** The routing key of a tier's requests outside its running hours: `stopped:<tier>`. */
export const STOPPED_ROUTE_PREFIX = 'stopped:';

/** The routing key of a stopped tier's requests. */
export function stoppedRoutingKey(tierName: string): string {
  return `${STOPPED_ROUTE_PREFIX}${tierName}`;
}

/** Whether requests are routed to the services at this instant. */
export function isServing(hours: RunningHoursConfig, now: Date): boolean {
  const day = now.getUTCDay();
  if (hours.weekdaysOnly && (day === 0 || day === 6)) {
    return false;
  }
  const minute = now.getUTCHours() * 60 + now.getUTCMinutes();
  return minute >= hours.startHour * 60 + START_WARMUP_MINUTES && minute < hours.stopHour * 60;
}

/** "Monday to Friday, 07:00 to 19:00 UTC". */
export function describeRunningHours(hours: RunningHoursConfig): string {
  const hh = (h: number) => `${String(h).padStart(2, '0')}:00`;
  return `${hours.weekdaysOnly ? 'Monday to Friday' : 'every day'}, ${hh(hours.startHour)} to ${hh(hours.stopHour)} UTC`;
}
