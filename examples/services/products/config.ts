import { Env, EnvReader, readServiceConfig, ServiceConfig } from '../common/config';

export interface ProductsConfig extends ServiceConfig {
  /** `PRODUCTS_TABLE_NAME`. */
  readonly productsTableName: string;
  /** `IDEMPOTENCY_TABLE_NAME`: the records of `Idempotency-Key` requests. */
  readonly idempotencyTableName: string;
}

/** The products service's configuration; throws a ConfigError naming every missing or invalid variable. */
export function loadProductsConfig(env: Env): ProductsConfig {
  const reader = new EnvReader(env, 'products');
  const common = readServiceConfig(reader, { serviceName: 'products', port: 3010 });
  const productsTableName = reader.tableName('PRODUCTS_TABLE_NAME', 'the products table');
  const idempotencyTableName = reader.tableName('IDEMPOTENCY_TABLE_NAME', 'the idempotency table (Idempotency-Key on POST)');
  reader.finish();
  return { ...common, productsTableName, idempotencyTableName };
}
