import { TENANT_STATUS_REQUESTS } from '../contract/lifecycle';

/** The names of a control plane's contract that this needs (SbtContract has them). */
interface ActivationNames {
  readonly activateRequest: string;
  readonly deactivateRequest: string;
}

/** The requests that suspend or reactivate a tenant: sbt-aws's (`deactivateRequest`, `activateRequest`) and ours. */
export function statusRequestTypes(contract: ActivationNames): string[] {
  return [contract.deactivateRequest, contract.activateRequest, TENANT_STATUS_REQUESTS.suspend, TENANT_STATUS_REQUESTS.reactivate];
}
