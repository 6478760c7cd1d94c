/**
 * The local IAM gate: every AWS call an artifact makes passes through it on its way to the emulator.
 *
 * - It knows each principal by the access key its process was given, and evaluates each call against the policies that
 *   principal really gets in the synthesized template (local/iam.ts). A denied call is answered the way AWS answers
 *   it (`AccessDeniedException`), so the artifact sees what it would see in AWS.
 * - It injects faults on request (an operation fails N times with a given error, loses its answer after taking
 *   effect, or is held unanswered) and records every call.
 * - Unsigned requests are refused, except the public JWKS of a user pool.
 */
import * as http from 'http';
import * as https from 'https';
import { APIGatewayClient, GetApiKeyCommand, GetUsagePlanCommand } from '@aws-sdk/client-api-gateway';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { AwsCall, iamChecks, IamCheck, parseRequest, RawRequest } from './aws-requests';
import { isAllowed } from './iam';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './moto';
import type { ServiceAnswer } from './service-catalog';
import { LocalCertificate, localCertificate } from './tls';

/** A principal calling through the gate. */
export interface GatePrincipal {
  /** The access key its process signs with. */
  readonly accessKeyId: string;
  /** Its ARN as IAM sees it (an assumed-role session). */
  readonly arn: string;
  /** Resolved identity policies. */
  readonly identityPolicies: any[];
  readonly boundary?: any;
  /** The session policy the session was assumed with, if any. */
  readonly sessionPolicy?: any;
  /** The session's tags (`aws:PrincipalTag/<key>` in conditions). */
  readonly tags?: Record<string, string>;
  /** The ARN of the role the session is of, for resource policies that name roles. */
  readonly roleArn?: string;
  /** The secret its process signs with, random per principal (what verifies a SigV4 signature, local/http-api.ts). */
  readonly secretAccessKey?: string;
  /** The session token it was given with its credentials, random per principal. */
  readonly sessionToken?: string;
}

/** An error the gate answers with instead of forwarding. */
export interface InjectedError {
  readonly code: string;
  readonly status: number;
  readonly message?: string;
}

/**
 * What an injected fault does to a call:
 * - `ERROR`: the call is answered with `error` and not forwarded (a throttle, an outage);
 * - `LOST_ANSWER`: the call is checked and forwarded (so it takes effect), then its connection is dropped before the
 *   answer is sent, as when an answer is lost on the way back; the caller's SDK sees a reset connection and retries;
 * - `HOLD`: the connection is held open and never answered (until the faults are cleared or the gate stops).
 */
export type FaultMode = 'ERROR' | 'LOST_ANSWER' | 'HOLD';

/** A fault: the next `times` calls of `action` (by this principal, if given) fail. */
export interface Fault {
  /** IAM action name, such as `cognito-idp:AdminAddUserToGroup`. */
  readonly action: string;
  /** @default - every call */
  readonly times?: number;
  readonly principal?: string;
  /** Only calls on a resource whose ARN contains this (such as a table's name). @default - any resource */
  readonly resource?: string;
  /** @default 'ERROR' */
  readonly mode?: FaultMode;
  /** For `ERROR`. @default - a 500 InternalErrorException, which the AWS SDK treats as transient */
  readonly error?: InjectedError;
}

/** A call seen by the gate. */
export interface RecordedCall {
  readonly principal: string;
  readonly service: string;
  readonly operation: string;
  readonly checks: IamCheck[];
  /** `ALLOWED` (forwarded), `DENIED` (by IAM), `FAULT` (injected), `UNKNOWN` (no rule: refused). */
  readonly outcome: 'ALLOWED' | 'DENIED' | 'FAULT' | 'UNKNOWN';
  /** The status the caller received. */
  readonly status: number;
  readonly params: any;
}

/** The access key of the harness itself: its calls are forwarded unchecked and not recorded. */
export const ADMIN_ACCESS_KEY = 'LOCALADMINKEY';

export class IamGate {
  /** Starts a gate in front of the emulator at `upstream`. */
  public static async start(upstream: string): Promise<IamGate> {
    const gate = new IamGate(upstream, localCertificate());
    // Every address: tasks in network namespaces of their own reach it over their link (local/ecs.ts).
    await new Promise<void>((resolve) => gate.server.listen(0, '0.0.0.0', resolve));
    return gate;
  }

  /** Every call made through the gate, in order. */
  public readonly calls: RecordedCall[] = [];
  private readonly principals = new Map<string, GatePrincipal>();
  private readonly faults: Array<Fault & { remaining: number }> = [];
  /** Connections held by `HOLD` faults. */
  private readonly held = new Set<http.ServerResponse>();
  private readonly server: https.Server;
  private readonly tableKeys = new Map<string, Promise<{ partitionKey: string }>>();
  private readonly admin: DynamoDBClient;
  private readonly services = new Map<string, (call: AwsCall) => Promise<ServiceAnswer | undefined>>();
  private readonly documents = new Map<string, { contentType: string; body: string }>();
  private readonly extraServers: https.Server[] = [];

  private constructor(private readonly upstream: string, public readonly certificate: LocalCertificate) {
    this.server = this.createServer();
    this.admin = new DynamoDBClient({ region: LOCAL_REGION, endpoint: upstream, credentials: { accessKeyId: ADMIN_ACCESS_KEY, secretAccessKey: 'local' } });
  }

  /**
   * Also listens on `host:port` (such as a task network's host address on 443, so that `https://aws.local/...` with no
   * port reaches the gate from inside the task's namespace). Closed with the gate, or by the returned function.
   */
  public async listenAlso(host: string, port: number): Promise<() => Promise<void>> {
    const server = this.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, resolve);
    });
    this.extraServers.push(server);
    return async () => {
      this.extraServers.splice(this.extraServers.indexOf(server), 1);
      await new Promise((r) => server.close(r));
    };
  }

  /** Serves a fixed document at `path` to unsigned GETs, such as the signing keys of a local token issuer. */
  public publish(path: string, body: string, contentType = 'application/json'): void {
    this.documents.set(path, { contentType, body });
  }

  /** The endpoint artifacts are given (`AWS_ENDPOINT_URL`); HTTPS, with `certificate` to trust. */
  public get endpoint(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  public get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  public addPrincipal(principal: GatePrincipal): void {
    this.principals.set(principal.accessKeyId, principal);
  }

  public principal(accessKeyId: string): GatePrincipal | undefined {
    return this.principals.get(accessKeyId);
  }

  /**
   * Answers a service's calls (by signing name) locally instead of forwarding them, after the IAM check; a call the
   * handler answers `undefined` is forwarded to the emulator.
   */
  public serve(service: string, handler: (call: AwsCall) => Promise<ServiceAnswer | undefined>): void {
    this.services.set(service, handler);
  }

  /** Makes calls fail; see `Fault`. */
  public inject(fault: Fault): void {
    this.faults.push({ ...fault, remaining: fault.times ?? Infinity });
  }

  /** Removes every fault and drops the connections held by `HOLD` faults. */
  public clearFaults(): void {
    this.faults.length = 0;
    this.held.forEach((res) => res.socket?.destroy());
    this.held.clear();
  }

  /** The recorded calls of an IAM action (`cognito-idp:AdminGetUser`). */
  public callsOf(action: string): RecordedCall[] {
    return this.calls.filter((c) => c.checks.some((k) => k.action === action) || `${c.service}:${c.operation}` === action);
  }

  /** Whether a principal may perform an action on a resource (for callers that are not HTTP clients, such as Step Functions invoking Lambda). */
  public async authorize(accessKeyId: string, check: IamCheck): Promise<boolean> {
    const principal = this.principals.get(accessKeyId);
    if (!principal) {
      throw new Error(`no principal with access key ${accessKeyId}`);
    }
    return this.allowed(principal, check);
  }

  public async stop(): Promise<void> {
    this.clearFaults();
    this.admin.destroy();
    await Promise.all([this.server, ...this.extraServers.splice(0)].map((server) => new Promise((r) => server.close(r))));
    this.certificate.remove();
  }

  private createServer(): https.Server {
    return https.createServer({ key: this.certificate.key, cert: this.certificate.cert }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        this.handle({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') }, res)
          .catch((e) => answer(res, 500, { 'content-type': 'text/plain' }, `local IAM gate: ${(e as Error).stack}`));
      });
    });
  }

  private async handle(req: RawRequest, res: http.ServerResponse): Promise<unknown> {
    const document = req.method === 'GET' ? this.documents.get(req.url) : undefined;
    if (document) {
      return answer(res, 200, { 'content-type': document.contentType }, document.body);
    }
    const call = parseRequest(req);
    if (!call) {
      if (req.method === 'GET' && /^\/[\w-]+_[0-9A-Za-z]+\/\.well-known\/jwks\.json$/.test(req.url)) {
        return this.forward(req, res); // a user pool's public keys
      }
      return answer(res, 403, { 'content-type': 'application/json' }, JSON.stringify({ message: 'Missing Authentication Token' }));
    }
    if (call.accessKeyId === ADMIN_ACCESS_KEY) {
      return this.forward(req, res);
    }
    const principal = this.principals.get(call.accessKeyId);
    if (!principal) {
      return this.refuse(res, call, 403, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
    }
    let checks: IamCheck[];
    try {
      checks = await iamChecks(call, (t) => this.keysOf(t), (kind, id) => this.apiGatewayTags(kind, id));
    } catch (e) {
      this.record(principal, call, [], 'UNKNOWN', 500);
      return this.refuse(res, call, 500, 'LocalGateNoRule', (e as Error).message);
    }
    const fault = this.faults.find((f) => f.remaining > 0
      && checks.some((c) => c.action === f.action && (!f.resource || c.resource.includes(f.resource)))
      && (!f.principal || f.principal === principal.arn));
    if (fault) {
      fault.remaining--;
    }
    if (fault?.mode === 'HOLD') {
      this.record(principal, call, checks, 'FAULT', 0);
      this.held.add(res);
      res.on('close', () => this.held.delete(res));
      return undefined;
    }
    if (fault && fault.mode !== 'LOST_ANSWER') {
      const error = fault.error ?? { code: 'InternalErrorException', status: 500, message: 'injected fault' };
      this.record(principal, call, checks, 'FAULT', error.status);
      return this.refuse(res, call, error.status, error.code, error.message ?? 'injected fault');
    }
    for (const check of checks) {
      if (!(await this.allowed(principal, check))) {
        this.record(principal, call, checks, 'DENIED', call.protocol === 'json' ? 400 : 403);
        return this.refuse(res, call, call.protocol === 'json' ? 400 : 403, call.protocol === 'query' ? 'AccessDenied' : 'AccessDeniedException',
          `User: ${principal.arn} is not authorized to perform: ${check.action} on resource: ${check.resource} because no identity-based policy allows the ${check.action} action`);
      }
    }
    const local = this.services.get(call.service);
    const reply = local ? await local(call) : undefined;
    if (reply) {
      if (fault?.mode === 'LOST_ANSWER') {
        this.record(principal, call, checks, 'FAULT', reply.status);
        res.socket?.destroy();
        return undefined;
      }
      this.record(principal, call, checks, 'ALLOWED', reply.status);
      if (reply.error) {
        return this.refuse(res, call, reply.status, reply.error.code, reply.error.message);
      }
      if (reply.xml !== undefined) {
        return answer(res, reply.status, { 'content-type': 'text/xml' }, reply.xml);
      }
      return answer(res, reply.status, { 'content-type': 'application/x-amz-json-1.1' }, JSON.stringify(reply.body ?? {}));
    }
    if (fault?.mode === 'LOST_ANSWER') {
      const status = await this.forward(req, undefined);
      this.record(principal, call, checks, 'FAULT', status);
      res.socket?.destroy();
      return undefined;
    }
    const status = await this.forward(req, res);
    this.record(principal, call, checks, 'ALLOWED', status);
    return undefined;
  }

  private allowed(principal: GatePrincipal, check: IamCheck): Promise<boolean> {
    return isAllowed({
      principal: principal.arn,
      action: check.action,
      resource: check.resource,
      accountId: LOCAL_ACCOUNT,
      context: {
        ...Object.fromEntries(Object.entries(principal.tags ?? {}).map(([k, v]) => [`aws:PrincipalTag/${k}`, v])),
        ...check.context,
      },
      identityPolicies: principal.identityPolicies,
      boundary: principal.boundary,
      sessionPolicy: principal.sessionPolicy,
    });
  }

  private record(principal: GatePrincipal, call: AwsCall, checks: IamCheck[], outcome: RecordedCall['outcome'], status: number): void {
    this.calls.push({ principal: principal.arn, service: call.service, operation: call.operation, checks, outcome, status, params: call.params });
  }

  /** An API key's or usage plan's tags, read from the emulator with the gate's own credentials (none when it does not exist). */
  private async apiGatewayTags(kind: 'apikeys' | 'usageplans', id: string): Promise<Record<string, string>> {
    const client = new APIGatewayClient({ region: LOCAL_REGION, endpoint: this.upstream, credentials: { accessKeyId: ADMIN_ACCESS_KEY, secretAccessKey: 'local' } });
    try {
      const read = kind === 'apikeys' ? client.send(new GetApiKeyCommand({ apiKey: id })) : client.send(new GetUsagePlanCommand({ usagePlanId: id }));
      return (await read).tags ?? {};
    } catch {
      return {};
    } finally {
      client.destroy();
    }
  }

  private keysOf(table: string): Promise<{ partitionKey: string }> {
    let keys = this.tableKeys.get(table);
    if (!keys) {
      keys = this.admin.send(new DescribeTableCommand({ TableName: table }))
        .then((d) => ({ partitionKey: d.Table!.KeySchema!.find((k) => k.KeyType === 'HASH')!.AttributeName! }));
      this.tableKeys.set(table, keys);
    }
    return keys;
  }

  /** Answers an error in the protocol of the call, as AWS would. */
  private refuse(res: http.ServerResponse, call: AwsCall, status: number, code: string, message: string): void {
    if (call.protocol === 'query') {
      const xml = `<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>local</RequestId></ErrorResponse>`;
      return answer(res, status, { 'content-type': 'text/xml' }, xml);
    }
    const body = call.protocol === 'json' ? { __type: code, message } : { message };
    return answer(res, status, { 'content-type': 'application/json', 'x-amzn-errortype': code }, JSON.stringify(body));
  }

  /** Forwards a call to the emulator and answers with its answer, or, without `res`, only applies it. */
  private forward(req: RawRequest, res: http.ServerResponse | undefined): Promise<number> {
    return new Promise((resolve, reject) => {
      const target = new URL(req.url, this.upstream);
      const headers = { ...req.headers, host: target.host };
      const upstream = http.request(target, { method: req.method, headers }, (up) => {
        if (res) {
          // Hop-by-hop headers are the emulator's connection's, not the caller's: moto answers `Connection: close`,
          // which would make every SDK call open a new TLS connection to the gate (AWS keeps them alive).
          const { connection: _connection, 'keep-alive': _keepAlive, ...endToEnd } = up.headers;
          res.writeHead(up.statusCode ?? 502, endToEnd);
          up.pipe(res);
        } else {
          up.resume();
        }
        up.on('end', () => resolve(up.statusCode ?? 502));
      });
      upstream.on('error', reject);
      upstream.end(req.body);
    });
  }
}

function answer(res: http.ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  res.writeHead(status, headers);
  res.end(body);
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
