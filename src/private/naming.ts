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
