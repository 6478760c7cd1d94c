/**
 * Entry point of the tenant metering function (bundled by `bundle:router` into assets/tenant-metering). Its rule
 * invokes it once a day with a scheduled event: it sends the previous UTC day's usage. Invoked with
 * `{ "period": "YYYY-MM-DD" }`, it sends that past day's (a backfill). `METERING_CONFIG` (JSON `MeteringConfig`) is
 * written by TenantMetering. Not part of the jsii API.
 */
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { MeteringResult, UsageMeter } from './metering';
import { ENV_METERING_CONFIG } from '../../contract/environment';
import { MeteringConfig } from '../../contract/metering';

let meter: UsageMeter | undefined;

export async function handler(event: { 'period'?: unknown; 'detail-type'?: string }): Promise<MeteringResult> {
  meter ??= new UsageMeter(JSON.parse(process.env[ENV_METERING_CONFIG] ?? '{}') as MeteringConfig, {
    apigateway: new APIGatewayClient({}),
    dynamodb: new DynamoDBClient({}),
    events: new EventBridgeClient({}),
  });
  // A scheduled event names no period: the day that just ended.
  return meter.run(event?.['detail-type'] === 'Scheduled Event' ? {} : { period: event?.period });
}
