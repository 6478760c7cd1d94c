/**
 * What IAM sees of an AWS API request: the action, the resource and the condition keys, read from the request the
 * AWS SDK sent (JSON, query and REST protocols). Each operation our artifacts call has a rule; a request without one
 * is refused by the gate, so that no call goes unchecked.
 */
import { LOCAL_ACCOUNT, LOCAL_REGION } from './moto';

/** A request as it arrived. */
export interface RawRequest {
  readonly method: string;
  /** Path and query. */
  readonly url: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One authorization IAM makes for a request (some requests need several: a batch, a tagged AssumeRole). */
export interface IamCheck {
  readonly action: string;
  readonly resource: string;
  readonly context?: Record<string, string | string[]>;
}

/** The parsed request. */
export interface AwsCall {
  /** The signing name, from the credential scope (`dynamodb`, `cognito-idp`, ...). */
  readonly service: string;
  /** The API operation (`GetItem`), or `METHOD /path` for REST APIs. */
  readonly operation: string;
  /** How errors are answered. */
  readonly protocol: 'json' | 'query' | 'rest-json';
  /** The access key id the request was signed with. */
  readonly accessKeyId: string;
  readonly params: any;
}

/** Partition and sort key names of a table, for `dynamodb:LeadingKeys`. */
export type TableKeys = (tableName: string) => Promise<{ partitionKey: string }>;

/**
 * The tags of an API Gateway API key or usage plan, for `aws:ResourceTag` (empty when there is no such resource). A
 * usage plan's keys inherit the plan's tags for tag-based access.
 */
export type ApiGatewayTags = (kind: 'apikeys' | 'usageplans', id: string) => Promise<Record<string, string>>;

/** Reads the service, operation and parameters of a signed request; undefined when it is not signed. */
export function parseRequest(req: RawRequest): AwsCall | undefined {
  const auth = String(req.headers.authorization ?? '');
  const scope = /Credential=([^/]+)\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(auth);
  if (!scope) {
    return undefined;
  }
  const [, accessKeyId, service] = scope;
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') {
    return { service, accessKeyId, protocol: 'json', operation: target.split('.').pop()!, params: req.body ? JSON.parse(req.body) : {} };
  }
  const contentType = String(req.headers['content-type'] ?? '');
  if (contentType.startsWith('application/x-www-form-urlencoded')) {
    const params = Object.fromEntries(new URLSearchParams(req.body));
    return { service, accessKeyId, protocol: 'query', operation: params.Action, params };
  }
  const url = new URL(req.url, 'http://local');
  return {
    service,
    accessKeyId,
    protocol: 'rest-json',
    operation: `${req.method} ${url.pathname}`,
    params: { query: Object.fromEntries(url.searchParams), body: req.body ? safeJson(req.body) : undefined },
  };
}

/** The IAM checks a call needs. Throws for an operation without a rule. */
export async function iamChecks(call: AwsCall, tableKeys: TableKeys, apiGatewayTags?: ApiGatewayTags): Promise<IamCheck[]> {
  switch (call.service) {
    case 'dynamodb':
      return dynamodbChecks(call.operation, call.params, tableKeys);
    case 'cognito-idp':
      if (!call.params.UserPoolId) {
        break;
      }
      return [{ action: `cognito-idp:${call.operation}`, resource: arn('cognito-idp', `userpool/${call.params.UserPoolId}`) }];
    case 'events':
      if (call.operation === 'PutEvents') {
        return (call.params.Entries ?? []).map((e: any) => ({
          action: 'events:PutEvents',
          resource: busArn(e.EventBusName),
          context: { 'events:source': e.Source, 'events:detail-type': e.DetailType },
        }));
      }
      break;
    case 'sqs':
      if (call.params.QueueUrl) {
        return [{ action: `sqs:${call.operation}`, resource: arn('sqs', String(call.params.QueueUrl).split('/').pop()!) }];
      }
      break;
    case 'apigateway': {
      const [method, pathname] = call.operation.split(' ');
      const resource = `arn:aws:apigateway:${LOCAL_REGION}::${pathname}`;
      // Tags for tag-based access: a new key's tags (`aws:RequestTag`), an existing key's (`aws:ResourceTag`).
      if (method === 'POST' && pathname === '/apikeys') {
        const tags: Record<string, string> = call.params.body?.tags ?? {};
        return [{ action: 'apigateway:POST', resource, context: tagContext(tags, 'aws:RequestTag') }];
      }
      const tagged = /^\/(apikeys|usageplans)\/([^/]+)(\/keys(\/[^/]+)?)?$/.exec(pathname);
      if (tagged && apiGatewayTags) {
        const tags = await apiGatewayTags(tagged[1] as 'apikeys' | 'usageplans', decodeURIComponent(tagged[2]));
        return [{ action: `apigateway:${method}`, resource, context: tagContext(tags, 'aws:ResourceTag') }];
      }
      return [{ action: `apigateway:${method}`, resource }];
    }
    case 'servicecatalog':
      if (call.operation === 'ProvisionProduct') {
        return [{ action: 'servicecatalog:ProvisionProduct', resource: `arn:aws:catalog:${LOCAL_REGION}:${LOCAL_ACCOUNT}:product/${call.params.ProductId}` }];
      }
      if (['DescribeRecord', 'TerminateProvisionedProduct', 'UpdateProvisionedProduct'].includes(call.operation)) {
        // Wildcard-only actions; the caller acts on what it provisioned itself (AcceptLanguage and access level unset:
        // the role level).
        return [{ action: `servicecatalog:${call.operation}`, resource: '*', context: { 'servicecatalog:roleLevel': 'self' } }];
      }
      break;
    case 'sts':
      if (call.operation === 'AssumeRole') {
        const tags = sessionTags(call.params);
        const context = tagContext(tags);
        return [
          { action: 'sts:AssumeRole', resource: call.params.RoleArn, context },
          ...(Object.keys(tags).length > 0 ? [{ action: 'sts:TagSession', resource: call.params.RoleArn, context }] : []),
        ];
      }
      if (call.operation === 'GetCallerIdentity') {
        return [];
      }
      break;
  }
  throw new Error(`the local IAM gate has no rule for ${call.service} ${call.operation}: add one to local/aws-requests.ts`);
}

async function dynamodbChecks(operation: string, p: any, tableKeys: TableKeys): Promise<IamCheck[]> {
  const action = `dynamodb:${operation}`;
  const leading = async (table: string, items: any[]) => {
    const { partitionKey } = await tableKeys(table);
    const values = items.map((i) => i?.[partitionKey]).filter(Boolean).map((v: any) => v.S ?? v.N ?? v.B);
    return values.length > 0 ? { 'dynamodb:LeadingKeys': [...new Set<string>(values)] } : undefined;
  };
  switch (operation) {
    case 'GetItem':
    case 'DeleteItem':
    case 'UpdateItem':
      return [{ action, resource: tableArn(p.TableName), context: await leading(p.TableName, [p.Key]) }];
    case 'PutItem':
      return [{ action, resource: tableArn(p.TableName), context: await leading(p.TableName, [p.Item]) }];
    case 'Query':
      return [{ action, resource: tableArn(p.TableName, p.IndexName), context: await queryLeadingKeys(p, tableKeys) }];
    case 'BatchWriteItem':
      return Promise.all(Object.entries<any[]>(p.RequestItems ?? {}).map(async ([table, requests]) => ({
        action,
        resource: tableArn(table),
        context: await leading(table, requests.map((r) => r.PutRequest?.Item ?? r.DeleteRequest?.Key)),
      })));
    case 'BatchGetItem':
      return Promise.all(Object.entries<any>(p.RequestItems ?? {}).map(async ([table, request]) => ({
        action,
        resource: tableArn(table),
        context: await leading(table, request.Keys ?? []),
      })));
    case 'TransactWriteItems':
    case 'TransactGetItems':
      return Promise.all((p.TransactItems ?? []).map(async (item: any) => {
        const [kind, body] = Object.entries<any>(item)[0];
        const itemAction = { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', ConditionCheck: 'ConditionCheckItem', Get: 'GetItem' }[kind];
        return { action: `dynamodb:${itemAction}`, resource: tableArn(body.TableName), context: await leading(body.TableName, [body.Key ?? body.Item]) };
      }));
    default:
      if (p.TableName) {
        return [{ action, resource: tableArn(p.TableName, p.IndexName) }];
      }
      throw new Error(`the local IAM gate has no rule for dynamodb ${operation}: add one to local/aws-requests.ts`);
  }
}

/** The partition key value a Query's key condition names (`#pk = :v` or `pk = :v`). */
async function queryLeadingKeys(p: any, tableKeys: TableKeys): Promise<Record<string, string[]> | undefined> {
  const { partitionKey } = await tableKeys(p.TableName);
  const names: Record<string, string> = p.ExpressionAttributeNames ?? {};
  for (const m of String(p.KeyConditionExpression ?? '').matchAll(/([#\w]+)\s*=\s*(:\w+)/g)) {
    const name = names[m[1]] ?? m[1];
    const value = p.ExpressionAttributeValues?.[m[2]];
    // An index may be partitioned by another attribute; the condition on the table's partition key is the leading key.
    if (name === partitionKey && value) {
      return { 'dynamodb:LeadingKeys': [value.S ?? value.N ?? value.B] };
    }
  }
  return undefined;
}

/** The session tags of a query-protocol AssumeRole (`Tags.member.N.Key` / `.Value`). */
export function sessionTags(params: Record<string, string>): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) {
    const m = /^Tags\.member\.(\d+)\.Key$/.exec(k);
    if (m) {
      tags[v] = params[`Tags.member.${m[1]}.Value`];
    }
  }
  return tags;
}

/** The condition keys of tags requested with a call. */
export function tagContext(tags: Record<string, string>, prefix: 'aws:RequestTag' | 'aws:ResourceTag' = 'aws:RequestTag'): Record<string, string | string[]> {
  const keys = Object.keys(tags);
  if (keys.length === 0) {
    return {};
  }
  const values = Object.fromEntries(keys.map((k) => [`${prefix}/${k}`, tags[k]]));
  return prefix === 'aws:RequestTag' ? { 'aws:TagKeys': keys, ...values } : values;
}

function arn(service: string, resource: string): string {
  return `arn:aws:${service}:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${resource}`;
}

function tableArn(table: string, index?: string): string {
  const base = table.startsWith('arn:') ? table : arn('dynamodb', `table/${table}`);
  return index ? `${base}/index/${index}` : base;
}

function busArn(bus: string | undefined): string {
  if (bus?.startsWith('arn:')) {
    return bus;
  }
  return arn('events', `event-bus/${bus ?? 'default'}`);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
