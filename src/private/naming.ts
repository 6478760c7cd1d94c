import { Aws } from 'aws-cdk-lib';

/** `product-catalog` → `ProductCatalog`. */
export function pascal(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((p) => p[0].toUpperCase() + p.slice(1))
    .join('');
}

/** `product-catalog` → `PRODUCT_CATALOG_TABLE_NAME`. */
export function envName(tableName: string): string {
  return `${tableName.replace(/-/g, '_').toUpperCase()}_TABLE_NAME`;
}

/**
 * Service Connect namespace of a tenant (`<tenant>.<tier>.<stack name>`) or of a pooled tier (`<tier>.<stack name>`).
 * Cloud Map namespace names are unique per account and region, and so are stack names: two installs of the app in
 * one account never collide.
 */
export function namespaceName(tierName: string, tenantId?: string): string {
  return tenantId === undefined ? `${tierName}.${Aws.STACK_NAME}` : `${tenantId}.${tierName}.${Aws.STACK_NAME}`;
}

/**
 * Checks that `<service>-<tenant>` names one service of one tenant: no service name followed by `-` may begin another
 * (services `api` and `api-x` would give tenant `x-y`'s `api` and tenant `y`'s `api-x` the same name). Such names are
 * those of a namespace shared by many tenants (`namespace`) and of a routing service's DNS namespace.
 */
export function checkTenantQualifiedNames(serviceNames: string[], who: string): void {
  for (const a of serviceNames) {
    const b = serviceNames.find((n) => n !== a && n.startsWith(`${a}-`));
    if (b) {
      throw new Error(`${who} names each service '<service>-<tenant>', but service names '${a}' and '${b}' make that ambiguous `
        + `('${a}-' begins '${b}', so '${a}-<tenant>' of one tenant can be '${b}-<tenant>' of another): rename one so that no service name followed by '-' begins another.`);
    }
  }
}
