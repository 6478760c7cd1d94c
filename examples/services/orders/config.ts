import { Env, EnvReader, readServiceConfig, ServiceConfig } from '../common/config';

export interface OrdersConfig extends ServiceConfig {
  /** `ORDERS_TABLE_NAME`. */
  readonly ordersTableName: string;
  /** `PRODUCTS_TABLE_NAME` (read only: prices and names of ordered products). */
  readonly productsTableName: string;
  /** `IDEMPOTENCY_TABLE_NAME`: the records of `Idempotency-Key` requests. */
  readonly idempotencyTableName: string;
}

/** The orders service's configuration; throws a ConfigError naming every missing or invalid variable. */
export function loadOrdersConfig(env: Env): OrdersConfig {
  const reader = new EnvReader(env, 'orders');
  const common = readServiceConfig(reader, { serviceName: 'orders', port: 3020 });
  const ordersTableName = reader.tableName('ORDERS_TABLE_NAME', 'the orders table');
  const productsTableName = reader.tableName('PRODUCTS_TABLE_NAME', 'the products table, read to price orders');
  const idempotencyTableName = reader.tableName('IDEMPOTENCY_TABLE_NAME', 'the idempotency table (Idempotency-Key on POST)');
  reader.finish();
  return { ...common, ordersTableName, productsTableName, idempotencyTableName };
}
