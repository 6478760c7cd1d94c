/**
 * What a service may do with a table's items, named by intent. Each level maps to an explicit list of
 * item-level DynamoDB actions; no level grants `dynamodb:*`, table administration, streams or exports.
 *
 * | Level | Pooled table (fenced by `dynamodb:LeadingKeys`) | Silo table |
 * |---|---|---|
 * | READ | GetItem, BatchGetItem, Query, ConditionCheckItem | the same, plus Scan |
 * | WRITE | PutItem, UpdateItem, DeleteItem, BatchWriteItem, ConditionCheckItem | the same |
 * | READ_WRITE | both lists | both lists, plus Scan |
 *
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html
 */
export enum TableAccessLevel {
  /** Read items. */
  READ = 'READ',
  /** Create, change and delete items, without reading them back except through the write's return values. */
  WRITE = 'WRITE',
  /** Read and write items. */
  READ_WRITE = 'READ_WRITE',
}
