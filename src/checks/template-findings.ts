import { CfnResource, Token } from 'aws-cdk-lib';

const CFN_LINT_RULE = /^[EWI]\d{4}$/;
const CHECKOV_CHECK = /^CKV2?_[A-Z0-9]+_\d+$/;
const MIN_REASON = 20;

/**
 * Acknowledges a finding of a CloudFormation template checker on one resource, with the reason, in the metadata the
 * checker itself reads: cfn-lint's `ignore_checks` (the reason beside it, under `cdk-ecs-saas:lint`), checkov's
 * `skip` list (the reason as its comment).
 *
 * The library acknowledges on its own resources only what is a decision, never a defect (docs/template-checks.md);
 * use this for the resources of your app in the same way. There is no template-wide form: a finding is acknowledged
 * where it is.
 *
 * @example
 * declare const fn: lambda.Function;
 *
 * TemplateFindings.acknowledgeCheckov(fn.node.defaultChild as CfnResource, 'CKV_AWS_117',
 *   'calls only public AWS endpoints; a VPC would add NAT cost and cold-start time for nothing');
 */
export class TemplateFindings {
  /** The metadata key where the reasons of skipped cfn-lint rules are kept (cfn-lint's own metadata has no place for them). */
  public static readonly CFN_LINT_REASONS_KEY = 'cdk-ecs-saas:lint';

  /**
   * Skips a cfn-lint rule (such as `W3005`) on this resource.
   *
   * @param resource the resource the finding is about
   * @param rule the cfn-lint rule id: `E`, `W` or `I` and four digits
   * @param reason why the finding does not apply to this resource (at least 20 characters)
   */
  public static acknowledgeCfnLint(resource: CfnResource, rule: string, reason: string): void {
    check('rule', rule, CFN_LINT_RULE, "a cfn-lint rule id such as 'W3005'");
    checkReason(reason);
    const lint = resource.getMetadata('cfn-lint') ?? {};
    const ignored: string[] = lint.config?.ignore_checks ?? [];
    resource.addMetadata('cfn-lint', { ...lint, config: { ...lint.config, ignore_checks: [...new Set([...ignored, rule])] } });
    const reasons = resource.getMetadata(TemplateFindings.CFN_LINT_REASONS_KEY) ?? {};
    resource.addMetadata(TemplateFindings.CFN_LINT_REASONS_KEY, { ...reasons, [rule]: reason });
  }

  /**
   * Skips a checkov check (such as `CKV_AWS_117`) on this resource.
   *
   * @param resource the resource the finding is about
   * @param checkId the checkov check id, such as `CKV_AWS_117` or `CKV2_AWS_5`
   * @param reason why the finding does not apply to this resource (at least 20 characters)
   */
  public static acknowledgeCheckov(resource: CfnResource, checkId: string, reason: string): void {
    check('checkId', checkId, CHECKOV_CHECK, "a checkov check id such as 'CKV_AWS_117'");
    checkReason(reason);
    const checkov = resource.getMetadata('checkov') ?? {};
    const skips: Array<{ id: string; comment: string }> = (checkov.skip ?? []).filter((s: { id: string }) => s.id !== checkId);
    resource.addMetadata('checkov', { ...checkov, skip: [...skips, { id: checkId, comment: reason }] });
  }

  private constructor() {}
}

function check(prop: string, value: string, pattern: RegExp, allowed: string): void {
  if (Token.isUnresolved(value) || !pattern.test(value)) {
    throw new Error(`${prop} must be ${allowed}; got '${value}'.`);
  }
}

function checkReason(reason: string): void {
  if (Token.isUnresolved(reason) || reason.trim().length < MIN_REASON) {
    throw new Error(`reason must say why the finding does not apply, in at least ${MIN_REASON} characters; got '${reason}'.`);
  }
}
