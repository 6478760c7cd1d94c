import { Arn, ArnFormat, Stack, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';

/** Whether two buses are the same (the same object, or the same ARN once resolved). */
export function sameBus(a: events.IEventBus, b: events.IEventBus): boolean {
  if (a === b) {
    return true;
  }
  const sa = Stack.of(a).resolve(a.eventBusArn);
  const sb = Stack.of(b).resolve(b.eventBusArn);
  return JSON.stringify(sa) === JSON.stringify(sb) && Stack.of(a) === Stack.of(b);
}

/** The account of a bus, when known at synth time. */
export function busAccount(bus: events.IEventBus): string | undefined {
  const account = bus.env.account;
  if (!Token.isUnresolved(account)) {
    return account;
  }
  const arn = bus.eventBusArn;
  if (!Token.isUnresolved(arn)) {
    return Arn.split(arn, ArnFormat.SLASH_RESOURCE_NAME).account;
  }
  return undefined;
}

