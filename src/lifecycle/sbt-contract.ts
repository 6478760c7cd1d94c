/**
 * The event names and sources of a SaaS Builder Toolkit control plane.
 */
export interface SbtContractProps {
  /** Source of the control plane's requests. */
  readonly controlPlaneSource: string;
  /** Source the control plane expects on the application plane's replies. */
  readonly applicationPlaneSource: string;
  /** Detail type of an onboarding request. */
  readonly onboardingRequest: string;
  /** Detail type of an offboarding request. */
  readonly offboardingRequest: string;
  /** Detail type of a provisioning success reply. */
  readonly provisionSuccess: string;
  /** Detail type of a provisioning failure reply. */
  readonly provisionFailure: string;
  /** Detail type of a deprovisioning success reply. */
  readonly deprovisionSuccess: string;
  /** Detail type of a deprovisioning failure reply. */
  readonly deprovisionFailure: string;
  /**
   * Detail type of a request to activate (reactivate) a suspended tenant.
   *
   * @default 'activateRequest'
   */
  readonly activateRequest?: string;
  /**
   * Detail type of a request to deactivate (suspend) a tenant.
   *
   * @default 'deactivateRequest'
   */
  readonly deactivateRequest?: string;
  /**
   * Detail type of an activation success reply.
   *
   * @default 'activateSuccess'
   */
  readonly activateSuccess?: string;
  /**
   * Detail type of an activation failure reply.
   *
   * @default 'activateFailure'
   */
  readonly activateFailure?: string;
  /**
   * Detail type of a deactivation success reply.
   *
   * @default 'deactivateSuccess'
   */
  readonly deactivateSuccess?: string;
  /**
   * Detail type of a deactivation failure reply.
   *
   * @default 'deactivateFailure'
   */
  readonly deactivateFailure?: string;

  /**
   * Detail type of a usage event (from the application plane's source), which sbt-aws's metering providers read.
   *
   * @default 'ingestUsage'
   */
  readonly ingestUsage?: string;
}

/** sbt-aws 0.5's activation names: its preset's, and a custom contract's unless it gives its own. */
const ACTIVATION_V0_5 = {
  activateRequest: 'activateRequest',
  deactivateRequest: 'deactivateRequest',
  activateSuccess: 'activateSuccess',
  activateFailure: 'activateFailure',
  deactivateSuccess: 'deactivateSuccess',
  deactivateFailure: 'deactivateFailure',
  ingestUsage: 'ingestUsage',
};

/**
 * Overrides of a contract's event sources (sbt-aws lets a control plane change them).
 */
export interface SbtSourceOverrides {
  /**
   * Source of the control plane's requests.
   *
   * @default - the preset's
   */
  readonly controlPlaneSource?: string;

  /**
   * Source of the application plane's replies.
   *
   * @default - the preset's
   */
  readonly applicationPlaneSource?: string;
}

/**
 * The EventBridge contract between a SaaS Builder Toolkit (sbt-aws) control plane and this application plane: which
 * requests to listen to and how to name the replies. The control plane matches replies on both source and detail
 * type, so a reply with the wrong source would be dropped silently. sbt-aws changed both between 0.5 and 0.9; the
 * presets carry each version's, and every name can be overridden.
 *
 * @example
 * const contract = SbtContract.V0_9.withSources({ controlPlaneSource: 'acme.control.plane' });
 */
export class SbtContract {
  /** sbt-aws 0.5.x: `onboardingRequest` from `controlPlaneEventSource`, replies from `applicationPlaneEventSource`. */
  public static readonly V0_5 = new SbtContract({
    controlPlaneSource: 'controlPlaneEventSource',
    applicationPlaneSource: 'applicationPlaneEventSource',
    onboardingRequest: 'onboardingRequest',
    offboardingRequest: 'offboardingRequest',
    provisionSuccess: 'provisionSuccess',
    provisionFailure: 'provisionFailure',
    deprovisionSuccess: 'deprovisionSuccess',
    deprovisionFailure: 'deprovisionFailure',
    ...ACTIVATION_V0_5,
  });

  /** sbt-aws 0.9.x: `sbt_aws_onboardingRequest` from `sbt.control.plane`, replies from `sbt.application.plane`. */
  public static readonly V0_9 = new SbtContract({
    controlPlaneSource: 'sbt.control.plane',
    applicationPlaneSource: 'sbt.application.plane',
    onboardingRequest: 'sbt_aws_onboardingRequest',
    offboardingRequest: 'sbt_aws_offboardingRequest',
    provisionSuccess: 'sbt_aws_provisionSuccess',
    provisionFailure: 'sbt_aws_provisionFailure',
    deprovisionSuccess: 'sbt_aws_deprovisionSuccess',
    deprovisionFailure: 'sbt_aws_deprovisionFailure',
    activateRequest: 'sbt_aws_activateRequest',
    deactivateRequest: 'sbt_aws_deactivateRequest',
    activateSuccess: 'sbt_aws_activateSuccess',
    activateFailure: 'sbt_aws_activateFailure',
    deactivateSuccess: 'sbt_aws_deactivateSuccess',
    deactivateFailure: 'sbt_aws_deactivateFailure',
    ingestUsage: 'sbt_aws_ingestUsage',
  });

  /** A contract with every name given. */
  public static custom(props: SbtContractProps): SbtContract {
    return new SbtContract(props);
  }

  /** Source of the control plane's requests. */
  public readonly controlPlaneSource: string;
  /** Source of the replies. */
  public readonly applicationPlaneSource: string;
  /** Detail type of an onboarding request. */
  public readonly onboardingRequest: string;
  /** Detail type of an offboarding request. */
  public readonly offboardingRequest: string;
  /** Detail type of a provisioning success reply. */
  public readonly provisionSuccess: string;
  /** Detail type of a provisioning failure reply. */
  public readonly provisionFailure: string;
  /** Detail type of a deprovisioning success reply. */
  public readonly deprovisionSuccess: string;
  /** Detail type of a deprovisioning failure reply. */
  public readonly deprovisionFailure: string;
  /** Detail type of a request to activate (reactivate) a suspended tenant. */
  public readonly activateRequest: string;
  /** Detail type of a request to deactivate (suspend) a tenant. */
  public readonly deactivateRequest: string;
  /** Detail type of an activation success reply. */
  public readonly activateSuccess: string;
  /** Detail type of an activation failure reply. */
  public readonly activateFailure: string;
  /** Detail type of a deactivation success reply. */
  public readonly deactivateSuccess: string;
  /** Detail type of a deactivation failure reply. */
  public readonly deactivateFailure: string;
  /** Detail type of a usage event (`TenantMetering`), from the application plane's source. */
  public readonly ingestUsage: string;

  private constructor(given: SbtContractProps) {
    const props: Required<SbtContractProps> = {
      ...ACTIVATION_V0_5,
      ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)),
    } as Required<SbtContractProps>;
    for (const [name, value] of Object.entries(props)) {
      if (typeof value !== 'string' || !/^[\x21-\x7e]{1,256}$/.test(value)) {
        throw new Error(`${name} must be 1 to 256 printable characters without spaces (an EventBridge source or detail type); got '${value}'.`);
      }
    }
    const types = [props.onboardingRequest, props.offboardingRequest, props.activateRequest, props.deactivateRequest];
    if (new Set(types).size !== types.length) {
      throw new Error(`the request detail types must differ; got ${types.join(', ')}.`);
    }
    const replies = [
      props.provisionSuccess, props.provisionFailure, props.deprovisionSuccess, props.deprovisionFailure,
      props.activateSuccess, props.activateFailure, props.deactivateSuccess, props.deactivateFailure, props.ingestUsage,
    ];
    if (new Set(replies).size !== replies.length) {
      throw new Error(`the reply detail types must differ; got ${replies.join(', ')}.`);
    }
    this.controlPlaneSource = props.controlPlaneSource;
    this.applicationPlaneSource = props.applicationPlaneSource;
    this.onboardingRequest = props.onboardingRequest;
    this.offboardingRequest = props.offboardingRequest;
    this.provisionSuccess = props.provisionSuccess;
    this.provisionFailure = props.provisionFailure;
    this.deprovisionSuccess = props.deprovisionSuccess;
    this.deprovisionFailure = props.deprovisionFailure;
    this.activateRequest = props.activateRequest;
    this.deactivateRequest = props.deactivateRequest;
    this.activateSuccess = props.activateSuccess;
    this.activateFailure = props.activateFailure;
    this.deactivateSuccess = props.deactivateSuccess;
    this.deactivateFailure = props.deactivateFailure;
    this.ingestUsage = props.ingestUsage;
  }

  /** This contract with other event sources. */
  public withSources(overrides: SbtSourceOverrides): SbtContract {
    return new SbtContract({
      controlPlaneSource: overrides.controlPlaneSource ?? this.controlPlaneSource,
      applicationPlaneSource: overrides.applicationPlaneSource ?? this.applicationPlaneSource,
      onboardingRequest: this.onboardingRequest,
      offboardingRequest: this.offboardingRequest,
      provisionSuccess: this.provisionSuccess,
      provisionFailure: this.provisionFailure,
      deprovisionSuccess: this.deprovisionSuccess,
      deprovisionFailure: this.deprovisionFailure,
      activateRequest: this.activateRequest,
      deactivateRequest: this.deactivateRequest,
      activateSuccess: this.activateSuccess,
      activateFailure: this.activateFailure,
      deactivateSuccess: this.deactivateSuccess,
      deactivateFailure: this.deactivateFailure,
      ingestUsage: this.ingestUsage,
    });
  }
}
