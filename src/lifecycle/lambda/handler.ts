/**
 * Entry point of the tenant lifecycle's worker Lambda (bundled by `bundle:lifecycle` into assets/tenant-lifecycle).
 * The state machines call it with `{ step, ... }`; `LIFECYCLE_CONFIG` (JSON) is written by TenantLifecycle.
 * Not part of the jsii API.
 */
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { ServiceCatalogClient } from '@aws-sdk/client-service-catalog';
import { OffboardingRequest, OnboardingRequest } from './requests';
import { Slot } from './slots';
import { LifecycleWorker } from './worker';
import { ENV_LIFECYCLE_CONFIG } from '../../contract/environment';
import { LifecycleConfig, STEPS } from '../../contract/lifecycle';

export interface StepEvent {
  readonly step: string;
  readonly detail?: unknown;
  /** The state machine execution, so that a retried claim is recognized as its own. */
  readonly execution?: string;
  readonly request?: OnboardingRequest & OffboardingRequest;
  readonly recordId?: string;
  readonly outputs?: Record<string, string>;
  readonly slot?: Slot;
  readonly provisioned?: { readonly slot?: Slot };
  readonly error?: { readonly Error?: string; readonly Cause?: string };
  readonly tierName?: string;
  readonly version?: string;
  readonly waveSize?: number;
  readonly tenantId?: string;
  readonly token?: string;
  /** The shard being opened (`checkShard`). */
  readonly shard?: number;
  /** The request's detail type (`changeStatus`, `failStatusChange`). */
  readonly detailType?: string;
}

let worker: LifecycleWorker | undefined;

function load(): LifecycleWorker {
  const config = JSON.parse(process.env[ENV_LIFECYCLE_CONFIG] ?? '{}') as LifecycleConfig;
  worker ??= new LifecycleWorker(config, {
    dynamodb: new DynamoDBClient({}),
    cognito: new CognitoIdentityProviderClient({}),
    catalog: new ServiceCatalogClient({}),
    events: new EventBridgeClient({}),
    apigateway: config.tenantKeys ? new APIGatewayClient({}) : undefined,
  });
  return worker;
}

/**
 * The Lambda entry point. Lambda calls it with `(event, context)`: nothing but the event may be read from its arguments.
 */
export async function handler(event: StepEvent): Promise<unknown> {
  return runStep(event, load());
}

/** Runs one step on a worker. */
export async function runStep(event: StepEvent, w: LifecycleWorker): Promise<unknown> {
  const request = event.request!;
  switch (event.step) {
    case STEPS.startOnboarding:
      return w.startOnboarding(event.detail, event.execution ?? '');
    case STEPS.onboardShared:
      return w.onboardShared(request);
    case STEPS.provisionStack:
      return w.provisionStack(request);
    case STEPS.checkRecord:
      return w.checkRecord(event.recordId!);
    case STEPS.finishStack:
      return w.finishStack(request, event.outputs ?? {});
    case STEPS.terminateStack:
      return w.terminateStack(request.tenantId, request.tenantRegistrationId);
    case STEPS.failOnboarding:
      return w.failOnboarding(request, reason(event.error), event.slot ?? event.provisioned?.slot);
    case STEPS.startOffboarding:
      return w.startOffboarding(event.detail, event.execution ?? '');
    case STEPS.removeSharedUsers:
      await w.removeSharedUsers(request);
      return {};
    case STEPS.finishOffboarding:
      return w.finishOffboarding(request);
    case STEPS.failOffboarding:
      return w.failOffboarding(request, reason(event.error));
    case STEPS.planWaves:
      return w.planWaves(event.tierName!, Number(event.waveSize));
    case STEPS.updateStack:
      return w.updateStack(event.tenantId!, event.tierName!, event.version!, event.token!);
    case STEPS.openShard:
      return w.openShard(request.tenantId, request.tier);
    case STEPS.checkShard:
      return w.checkShard(Number(event.shard));
    case STEPS.changeStatus:
      return w.changeStatus(event.detailType ?? '', event.detail);
    case STEPS.failStatusChange:
      return w.failStatusChange(event.detailType ?? '', event.detail, reason(event.error));
    default:
      throw new Error(`unknown step '${event.step}'`);
  }
}

/** The reason of a caught error, from Step Functions' `{ Error, Cause }` (Cause is the Lambda error as JSON). */
export function reason(error: StepEvent['error']): string {
  if (!error) {
    return 'unknown error';
  }
  try {
    const cause = JSON.parse(error.Cause ?? '');
    return `${cause.errorType ?? error.Error}: ${cause.errorMessage ?? ''}`.trim();
  } catch {
    return `${error.Error ?? 'Error'}: ${error.Cause ?? ''}`.trim();
  }
}
