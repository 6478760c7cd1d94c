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

/** Service Connect namespace of a tenant (`<tenant>.<tier>.local`) or of a pooled tier (`<tier>.local`). */
export function namespaceName(tierName: string, tenantId?: string): string {
  return tenantId === undefined ? `${tierName}.local` : `${tenantId}.${tierName}.local`;
}
