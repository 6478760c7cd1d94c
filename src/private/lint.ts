import { CfnResource } from 'aws-cdk-lib';

/** Where the reason of each skipped cfn-lint rule is kept, beside cfn-lint's own `ignore_checks`. */
export const LINT_REASONS_KEY = 'cdk-ecs-saas:lint';

/**
 * Tells cfn-lint to skip a rule on this one resource (its `cfn-lint` metadata, which cfn-lint reads), and records why
 * (`cdk-ecs-saas:lint`), for findings that are right about the template but wrong about the resource.
 */
export function acknowledgeLint(resource: CfnResource, rule: string, reason: string): void {
  const lint = resource.getMetadata('cfn-lint') ?? {};
  const ignored: string[] = lint.config?.ignore_checks ?? [];
  resource.addMetadata('cfn-lint', { ...lint, config: { ...lint.config, ignore_checks: [...new Set([...ignored, rule])] } });
  resource.addMetadata(LINT_REASONS_KEY, { ...(resource.getMetadata(LINT_REASONS_KEY) ?? {}), [rule]: reason });
}

/** CDK makes a function or a state machine depend on its role (and the role's policy) and also reference it. */
export const ROLE_DEPENDENCY_REASON =
  'CDK makes the resource depend on its role and the role\'s default policy; the policy dependency is needed, and the role one, '
  + 'which cfn-lint finds redundant with the Role reference, is CDK\'s and harmless';
