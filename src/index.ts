export * from './table-access-level';
export * from './tenant-scoping';
export * from './scoped-dynamo-access';
