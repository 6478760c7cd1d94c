import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { TenantRouter } from './tenant-router';
import { ENV_METERING_CONFIG } from '../contract/environment';
import { METER_NAME_PATTERN, MeteringConfig, REQUESTS_METER, USAGE_ATTRIBUTES, USAGE_PERIOD_INDEX } from '../contract/metering';
import { SbtContract } from '../lifecycle/sbt-contract';
import { bundledFunction } from '../private/bundled-function';
import { createDeadLetterQueue, deadLetterAlarm } from '../private/dead-letters';
import { createTable } from '../private/defaults';

/**
 * Properties of TenantMetering.
 */
export interface TenantMeteringProps {
  /** The router whose tenants are metered. At least one of its tiers must give each tenant a key of its own. */
  readonly router: TenantRouter;

  /** The control plane's event bus, where the usage events go. */
  readonly eventBus: events.IEventBus;

  /** The event contract: the application plane's source and the usage event's detail type (`ingestUsage`). */
  readonly contract: SbtContract;

  /**
   * The meter name of the router's request counts (`meterApiName` of their events).
   *
   * @default 'requests'
   */
  readonly requestsMeter?: string;

  /**
   * Keep a usage table where the services record units of their own (`recordUsage` of the runtime helper), sent with
   * the request counts.
   *
   * @default true
   */
  readonly serviceUsage?: boolean;

  /**
   * When the previous UTC day's usage is sent. API Gateway's usage of a day is complete some minutes after it ends.
   *
   * @default - every day at 01:00 UTC
   */
  readonly schedule?: events.Schedule;

  /**
   * Removal policy of the usage table and the ledger.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Retention of the function's logs.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Each tenant's usage, sent to the SaaS Builder Toolkit control plane once a day as `ingestUsage` events, one per
 * tenant, meter and day: the detail has sbt-aws's metering fields (`tenantId`, `meterApiName`, `meterValue`) and the
 * period.
 *
 * - **Requests**: API Gateway counts every request of a key that passes its plan's throttle and quota, per day. Each
 *   tenant has a key of its own in its tier's plan (`TenantApiKeys.TENANT`), so the count of a tenant's key is its
 *   requests: a pooled tier's cost can be split by them.
 * - **Service units**: services add units of their own to the usage table (`recordUsage` in the runtime helper,
 *   through a tenant-scoped DynamoDB client: give the table to `ScopedDynamoAccess` as a pooled table).
 *
 * A usage already sent is in the ledger and is not sent again: a retried or repeated run sends only what is missing.
 *
 * @example
 * declare const router: TenantRouter;
 * declare const controlPlaneBus: events.IEventBus;
 * const metering = new TenantMetering(this, 'Metering', {
 *   router,
 *   eventBus: controlPlaneBus,
 *   contract: SbtContract.V0_9,
 * });
 */
export class TenantMetering extends Construct {
  /** The function that sends a day's usage. Invoke it with `{ "period": "YYYY-MM-DD" }` to send a past day's. */
  public readonly meteringFunction: lambda.Function;
  /**
   * Units the services record: partition key `tenantId`, sort key `usageKey` (`<day>#<meter>`), index `byPeriod`.
   *
   * @default - none with `serviceUsage: false`
   */
  public readonly usageTable?: dynamodb.Table;
  /** The usages already sent, by id (`<tenant>/<meter>/<day>`). */
  public readonly ledger: dynamodb.Table;
  /** Scheduled runs that failed every retry. */
  public readonly deadLetterQueue: sqs.Queue;
  /** In alarm when a day's usage could not be sent (add an action to be told). */
  public readonly deadLetterAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: TenantMeteringProps) {
    super(scope, id);
    const requestsMeter = props.requestsMeter ?? REQUESTS_METER;
    if (!METER_NAME_PATTERN.test(requestsMeter)) {
      throw new Error(`requestsMeter must be 1 to 64 letters, digits, '.', '_' and '-'; got '${requestsMeter}'.`);
    }
    const keys = props.router._tenantKeys();
    if (!keys) {
      throw new Error('router gives no tier a key per tenant (apiKeys: TenantApiKeys.TENANT): its tenants\' requests cannot be told apart. '
        + 'Leave apiKeys out, or set it to TENANT, for the tiers to meter.');
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const stack = Stack.of(this);

    this.ledger = createTable(this, 'Ledger', {
      partitionKey: { name: 'usageId', type: dynamodb.AttributeType.STRING },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy,
    });
    if (props.serviceUsage ?? true) {
      this.usageTable = createTable(this, 'Usage', {
        partitionKey: { name: USAGE_ATTRIBUTES.tenantId, type: dynamodb.AttributeType.STRING },
        sortKey: { name: USAGE_ATTRIBUTES.usageKey, type: dynamodb.AttributeType.STRING },
        encryption: dynamodb.TableEncryption.AWS_MANAGED,
        removalPolicy,
      });
      this.usageTable.addGlobalSecondaryIndex({
        indexName: USAGE_PERIOD_INDEX,
        partitionKey: { name: USAGE_ATTRIBUTES.period, type: dynamodb.AttributeType.STRING },
        sortKey: { name: USAGE_ATTRIBUTES.tenantId, type: dynamodb.AttributeType.STRING },
      });
    }
    this.deadLetterQueue = createDeadLetterQueue(this, 'DeadLetters');

    const config: MeteringConfig = {
      source: props.contract.applicationPlaneSource,
      detailType: props.contract.ingestUsage,
      eventBusName: props.eventBus.eventBusName,
      ledgerTable: this.ledger.tableName,
      marker: keys.marker,
      requestsMeter,
      usageTable: this.usageTable?.tableName,
    };
    const fn = bundledFunction(this, 'Meter', {
      bundle: 'tenant-metering',
      label: 'tenant metering',
      bundleTask: 'bundle:router',
      description: 'Tenant metering: sends each tenant\'s usage of a day to the control plane',
      memorySize: 512,
      timeout: Duration.minutes(15),
      logRetention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy,
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      findings: {
        noReservedConcurrency: 'it runs once a day; a repeated run sends only what the ledger does not hold',
      },
      environment: { [ENV_METERING_CONFIG]: stack.toJsonString(config) },
    });
    this.meteringFunction = fn.fn;

    // Exactly the calls it makes (test/deployed/metering.deployed.test.ts holds the bundle to this, both ways).
    const arn = (resource: string, resourceName?: string) => stack.formatArn({ service: 'apigateway', account: '', resource, resourceName });
    fn.role.addToPolicy(new iam.PolicyStatement({
      // The router's plans and keys (told apart by its marker tag), and each plan's daily usage.
      actions: ['apigateway:GET'],
      resources: [arn('/usageplans'), arn('/usageplans', '*/usage'), arn('/apikeys')],
    }));
    fn.role.addToPolicy(new iam.PolicyStatement({ actions: ['dynamodb:BatchGetItem', 'dynamodb:PutItem'], resources: [this.ledger.tableArn] }));
    if (this.usageTable) {
      fn.role.addToPolicy(new iam.PolicyStatement({ actions: ['dynamodb:Query'], resources: [`${this.usageTable.tableArn}/index/${USAGE_PERIOD_INDEX}`] }));
    }
    fn.role.addToPolicy(new iam.PolicyStatement({
      actions: ['events:PutEvents'],
      resources: [props.eventBus.eventBusArn],
      conditions: {
        'ForAllValues:StringEquals': { 'events:source': [props.contract.applicationPlaneSource], 'events:detail-type': [props.contract.ingestUsage] },
      },
    }));

    this.deadLetterAlarm = deadLetterAlarm(this, 'DeadLettersAlarm', this.deadLetterQueue,
      'A day\'s usage could not be sent to the control plane: invoke the metering function with { "period": "YYYY-MM-DD" }');
    new events.Rule(this, 'Daily', {
      description: 'Sends the previous UTC day\'s usage of each tenant',
      schedule: props.schedule ?? events.Schedule.cron({ minute: '0', hour: '1' }),
      targets: [new targets.LambdaFunction(fn.fn, { deadLetterQueue: this.deadLetterQueue, retryAttempts: 2, maxEventAge: Duration.hours(6) })],
    });
  }
}
