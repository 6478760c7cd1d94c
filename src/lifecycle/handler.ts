/**
 * Entry point of the tenant lifecycle's worker Lambda (bundled by `bundle:lifecycle` into assets/tenant-lifecycle).
 * The state machines call it with `{ step, ... }`; `LIFECYCLE_CONFIG` (JSON) is written by TenantLifecycle.
 * Not part of the jsii API.
 */
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { ServiceCatalogClient } from '@aws-sdk/client-service-catalog';
import { OffboardingRequest, OnboardingRequest } from './requests';
import { Slot } from './slots';
import { LifecycleConfig, LifecycleWorker } from './worker';

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
}

let worker: LifecycleWorker | undefined;

function load(): LifecycleWorker {
  worker ??= new LifecycleWorker(JSON.parse(process.env.LIFECYCLE_CONFIG ?? '{}') as LifecycleConfig, {
    dynamodb: new DynamoDBClient({}),
    cognito: new CognitoIdentityProviderClient({}),
    catalog: new ServiceCatalogClient({}),
    events: new EventBridgeClient({}),
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
    case 'startOnboarding':
      return w.startOnboarding(event.detail, event.execution ?? '');
    case 'onboardShared':
      return w.onboardShared(request);
    case 'provisionStack':
      return w.provisionStack(request);
    case 'checkRecord':
      return w.checkRecord(event.recordId!);
    case 'finishStack':
      return w.finishStack(request, event.outputs ?? {});
    case 'terminateStack':
      return w.terminateStack(request.tenantId, request.tenantRegistrationId);
    case 'failOnboarding':
      return w.failOnboarding(request, reason(event.error), event.slot ?? event.provisioned?.slot);
    case 'startOffboarding':
      return w.startOffboarding(event.detail, event.execution ?? '');
    case 'removeSharedUsers':
      await w.removeSharedUsers(request);
      return {};
    case 'finishOffboarding':
      return w.finishOffboarding(request);
    case 'failOffboarding':
      return w.failOffboarding(request, reason(event.error));
    case 'planWaves':
      return w.planWaves(event.tierName!, Number(event.waveSize));
    case 'updateStack':
      return w.updateStack(event.tenantId!, event.tierName!, event.version!, event.token!);
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
