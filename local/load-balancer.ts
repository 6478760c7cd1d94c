/**
 * An Application Load Balancer listener, stood in for (docs/as-deployed.md): the listener's rules are the
 * `AWS::ElasticLoadBalancingV2::ListenerRule` resources of every deployment registered with it (the stacks of the
 * assembly, and product deployments added at run time) whose `ListenerArn` resolves to this listener, evaluated as ALB
 * evaluates them: lowest priority first, every condition of a rule must match, then the listener's default actions.
 *
 * - Conditions: `http-header` (name case-insensitive; values case-insensitive, `*` and `?` wildcards), `path-pattern`
 *   (case-sensitive, wildcards, the path without the query), `host-header` (case-insensitive, wildcards),
 *   `http-request-method` (exact), `query-string` (key and value case-insensitive, wildcards). Any other field fails
 *   loudly when the rule is read.
 * - Actions: `fixed-response`, `forward` (a target group, or weighted target groups), `redirect`. A target group with
 *   no registered target answers 503, a target that refuses the connection 502, one that does not answer within the
 *   idle timeout 504, as ALB does. Targets are taken in turn (round robin).
 * - The request is proxied as ALB proxies it: method, path, query, headers and body as received, `X-Forwarded-For`
 *   (appended), `X-Forwarded-Proto`, `X-Forwarded-Port` (the listener's port) and `X-Amzn-Trace-Id` added, hop-by-hop
 *   headers dropped; with `routing.http.drop_invalid_header_fields.enabled`, header names other than letters, digits
 *   and hyphens are removed.
 *
 * Targets are registered per target group ARN in a registry shared by every listener (`TargetRegistry`), as ECS
 * registers a service's tasks with the target groups its `LoadBalancers` name.
 */
import * as http from 'http';
import { StackDeployment } from './deployment';
import { endToEndHeaders, forward, traceRoot, xForwarded } from './http-forward';

/** The targets of every target group, by ARN (what ECS registers for a service's tasks). */
export class TargetRegistry {
  private readonly groups = new Map<string, string[]>();

  /** Registers a target (`http://<ip>:<port>`) with a target group. */
  public register(targetGroupArn: string, url: string): void {
    const list = this.groups.get(targetGroupArn) ?? [];
    if (!list.includes(url)) {
      list.push(url);
    }
    this.groups.set(targetGroupArn, list);
  }

  public deregister(targetGroupArn: string, url: string): void {
    const list = (this.groups.get(targetGroupArn) ?? []).filter((u) => u !== url);
    this.groups.set(targetGroupArn, list);
  }

  /** The registered targets of a target group. */
  public targets(targetGroupArn: string): string[] {
    return [...(this.groups.get(targetGroupArn) ?? [])];
  }
}

/** A rule condition, as the template gives it (resolved). */
interface Condition {
  readonly Field: string;
  readonly Values?: string[];
  readonly HttpHeaderConfig?: { HttpHeaderName: string; Values: string[] };
  readonly PathPatternConfig?: { Values: string[] };
  readonly HostHeaderConfig?: { Values: string[] };
  readonly HttpRequestMethodConfig?: { Values: string[] };
  readonly QueryStringConfig?: { Values: Array<{ Key?: string; Value: string }> };
}

/** A listener rule of a registered deployment. */
export interface LocalListenerRule {
  readonly deployment: StackDeployment;
  readonly logicalId: string;
  readonly priority: number;
  readonly conditions: Condition[];
  readonly actions: any[];
}

/** A request as the listener handled it. */
export interface LoadBalancerRecord {
  readonly method: string;
  readonly path: string;
  /** The headers as received from the client. */
  readonly received: http.IncomingHttpHeaders;
  /** The headers sent to the target (when forwarded). */
  readonly forwarded?: Record<string, string | string[]>;
  /** The priority of the rule that matched, or `default`. */
  readonly rule: number | 'default';
  readonly target?: string;
  readonly status: number;
}

export interface LocalLoadBalancerOptions {
  /** The listener's ARN, as rules name it (resolved in the listener's deployment). */
  readonly listenerArn: string;
  /** The listener's port and protocol (for `X-Forwarded-Port` / `-Proto`). */
  readonly port: number;
  readonly protocol: string;
  /** The listener's `DefaultActions`, resolved. */
  readonly defaultActions: any[];
  /** The load balancer's attributes (`LoadBalancerAttributes`), resolved. */
  readonly attributes: Record<string, string>;
  readonly targets: TargetRegistry;
  /** Where log lines go (rules read, targets answering). */
  readonly onLog?: (line: string) => void;
}

/** ALB's own answers (its HTML error pages). */
function albPage(status: number, reason: string): string {
  return `<html>\r\n<head><title>${status} ${reason}</title></head>\r\n<body>\r\n<center><h1>${status} ${reason}</h1></center>\r\n</body>\r\n</html>\r\n`;
}

/** ALB's wildcard match: `*` any run of characters, `?` one character. */
export function wildcardMatch(pattern: string, value: string, caseInsensitive: boolean): boolean {
  const re = pattern.split('').map((c) => c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')).join('');
  return new RegExp(`^${re}$`, caseInsensitive ? 'is' : 's').test(value);
}

export class LocalLoadBalancer {
  /** Starts the listener on 127.0.0.1 (a port of its own); rules come from the deployments added. */
  public static async start(options: LocalLoadBalancerOptions): Promise<LocalLoadBalancer> {
    const lb = new LocalLoadBalancer(options);
    await new Promise<void>((resolve) => lb.server.listen(0, '127.0.0.1', resolve));
    return lb;
  }

  /** Every request handled, in order. */
  public readonly requests: LoadBalancerRecord[] = [];
  private readonly deployments = new Map<StackDeployment, LocalListenerRule[]>();
  private readonly server: http.Server;
  private readonly agent = new http.Agent({ keepAlive: true });
  private turn = 0;

  private constructor(public readonly options: LocalLoadBalancerOptions) {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((e) => {
        options.onLog?.(`listener error: ${(e as Error).stack}`);
        if (!res.headersSent) {
          res.writeHead(502, { 'content-type': 'text/html' });
          res.end(albPage(502, 'Bad Gateway'));
        } else {
          res.destroy();
        }
      });
    });
  }

  /** The listener's address (`http://127.0.0.1:<port>`). */
  public get url(): string {
    return `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  public get listenerArn(): string {
    return this.options.listenerArn;
  }

  /** The rules of every registered deployment, lowest priority first. */
  public get rules(): LocalListenerRule[] {
    return [...this.deployments.values()].flat().sort((a, b) => a.priority - b.priority);
  }

  /**
   * Adds the listener rules of a deployment (a stack of the assembly, or a product's stack) whose `ListenerArn` is this
   * listener, as creating its stack would. Two rules of one listener cannot share a priority (ALB refuses the second).
   */
  public async addDeployment(stack: StackDeployment): Promise<void> {
    if (this.deployments.has(stack)) {
      return;
    }
    const rules: LocalListenerRule[] = [];
    for (const [id, r] of Object.entries<any>(stack.template.Resources)) {
      if (r.Type !== 'AWS::ElasticLoadBalancingV2::ListenerRule') {
        continue;
      }
      if (r.Condition && !(await stack.resolve({ 'Fn::If': [r.Condition, true, false] }))) {
        continue;
      }
      if (String(await stack.resolve(r.Properties.ListenerArn)) !== this.options.listenerArn) {
        continue;
      }
      const props = await stack.resolve(r.Properties);
      for (const c of props.Conditions ?? []) {
        if (!['http-header', 'path-pattern', 'host-header', 'http-request-method', 'query-string'].includes(c.Field)) {
          throw new Error(`${stack.stackName}/${id}: condition ${c.Field} is not stood in`);
        }
      }
      for (const a of props.Actions ?? []) {
        if (!['forward', 'fixed-response', 'redirect'].includes(a.Type)) {
          throw new Error(`${stack.stackName}/${id}: action ${a.Type} is not stood in`);
        }
      }
      const priority = Number(props.Priority);
      const taken = this.rules.find((x) => x.priority === priority) ?? rules.find((x) => x.priority === priority);
      if (taken) {
        throw new Error(`${stack.stackName}/${id}: priority ${priority} is already taken by ${taken.deployment.stackName}/${taken.logicalId} (PriorityInUse)`);
      }
      rules.push({ deployment: stack, logicalId: id, priority, conditions: props.Conditions ?? [], actions: props.Actions ?? [] });
    }
    this.deployments.set(stack, rules);
  }

  /** Removes a deployment's rules (its stack deleted). */
  public removeDeployment(stack: StackDeployment): void {
    this.deployments.delete(stack);
  }

  /** Registers a target with a target group (in the registry every listener shares). */
  public registerTarget(targetGroupArn: string, url: string): void {
    this.options.targets.register(targetGroupArn, url);
  }

  public deregisterTarget(targetGroupArn: string, url: string): void {
    this.options.targets.deregister(targetGroupArn, url);
  }

  public async stop(): Promise<void> {
    this.agent.destroy();
    if (this.server.listening) {
      this.server.closeAllConnections();
      await new Promise((r) => this.server.close(r));
    }
  }

  private matches(c: Condition, req: http.IncomingMessage, path: string, query: URLSearchParams): boolean {
    switch (c.Field) {
      case 'http-header': {
        const name = c.HttpHeaderConfig!.HttpHeaderName.toLowerCase();
        const raw = req.headers[name];
        const values = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
        return values.some((v) => c.HttpHeaderConfig!.Values.some((p) => wildcardMatch(p, v, true)));
      }
      case 'path-pattern':
        return (c.PathPatternConfig?.Values ?? c.Values ?? []).some((p) => wildcardMatch(p, path, false));
      case 'host-header': {
        const host = String(req.headers.host ?? '').replace(/:\d+$/, '');
        return (c.HostHeaderConfig?.Values ?? c.Values ?? []).some((p) => wildcardMatch(p, host, true));
      }
      case 'http-request-method':
        return (c.HttpRequestMethodConfig?.Values ?? []).includes(req.method ?? '');
      case 'query-string':
        return (c.QueryStringConfig?.Values ?? []).some((kv) => [...query.entries()].some(([k, v]) =>
          (kv.Key === undefined || wildcardMatch(kv.Key, k, true)) && wildcardMatch(kv.Value, v, true)));
      default:
        return false;
    }
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : rawUrl.slice(q + 1));
    const rule = this.rules.find((r) => r.conditions.every((c) => this.matches(c, req, path, query)));
    const actions = rule ? rule.actions : this.options.defaultActions;
    const action = [...actions].sort((a, b) => (a.Order ?? 0) - (b.Order ?? 0))[0];
    const record = (status: number, extra: Partial<LoadBalancerRecord> = {}) => this.requests.push({
      method: req.method ?? 'GET', path: rawUrl, received: req.headers, rule: rule ? rule.priority : 'default', status, ...extra,
    });
    switch (action?.Type) {
      case 'fixed-response': {
        const f = action.FixedResponseConfig;
        const status = Number(f.StatusCode);
        req.resume();
        res.writeHead(status, { 'content-type': f.ContentType ?? 'text/plain; charset=utf-8' });
        res.end(f.MessageBody ?? '');
        record(status);
        return;
      }
      case 'redirect': {
        const r = action.RedirectConfig;
        const hostHeader = String(req.headers.host ?? '');
        const sub = (s: string | undefined, fallback: string) => (s ?? fallback)
          .replace('#{protocol}', this.options.protocol.toLowerCase()).replace('#{host}', hostHeader.replace(/:\d+$/, ''))
          .replace('#{port}', String(this.options.port)).replace('#{path}', path.slice(1)).replace('#{query}', query.toString());
        const location = `${sub(r.Protocol, '#{protocol}').toLowerCase()}://${sub(r.Host, '#{host}')}:${sub(r.Port, '#{port}')}${sub(r.Path, '/#{path}')}${query.toString() || r.Query ? `?${sub(r.Query, '#{query}')}` : ''}`;
        const status = r.StatusCode === 'HTTP_301' ? 301 : 302;
        req.resume();
        res.writeHead(status, { location });
        res.end();
        record(status);
        return;
      }
      case 'forward':
        return this.forward(req, res, action, rawUrl, record);
      default:
        throw new Error(`no action for ${rawUrl}`);
    }
  }

  private async forward(req: http.IncomingMessage, res: http.ServerResponse, action: any, rawUrl: string,
    record: (status: number, extra?: Partial<LoadBalancerRecord>) => void): Promise<void> {
    const weighted: Array<{ TargetGroupArn: string; Weight?: number }> =
      action.ForwardConfig?.TargetGroups ?? [{ TargetGroupArn: action.TargetGroupArn }];
    const candidates = weighted.filter((g) => (g.Weight ?? 1) > 0);
    const total = candidates.reduce((s, g) => s + (g.Weight ?? 1), 0);
    let pick = Math.random() * total;
    const group = candidates.find((g) => (pick -= (g.Weight ?? 1)) < 0) ?? candidates[0];
    const targets = this.options.targets.targets(group.TargetGroupArn);
    if (targets.length === 0) {
      req.resume();
      res.writeHead(503, { 'content-type': 'text/html' });
      res.end(albPage(503, 'Service Temporarily Unavailable'));
      record(503);
      return;
    }
    const target = targets[this.turn++ % targets.length];
    const dropInvalid = this.options.attributes['routing.http.drop_invalid_header_fields.enabled'] === 'true';
    const root = traceRoot();
    const headers: Record<string, string | string[]> = {
      // The client's Host is kept, as ALB keeps it.
      ...endToEndHeaders(req.headers, (name) => dropInvalid && !/^[A-Za-z0-9-]+$/.test(name)),
      ...xForwarded(req, this.options.protocol.toLowerCase(), this.options.port),
      'x-amzn-trace-id': req.headers['x-amzn-trace-id'] ? `Self=${root.slice(5)};${req.headers['x-amzn-trace-id']}` : root,
    };
    const url = new URL(target);
    const result = await forward({
      req,
      res,
      agent: this.agent,
      host: url.hostname,
      port: Number(url.port || 80),
      method: req.method ?? 'GET',
      path: rawUrl,
      headers,
      // ALB's idle timeout (60 s by default, `idle_timeout.timeout_seconds`).
      timeout: { ms: Number(this.options.attributes['idle_timeout.timeout_seconds'] ?? 60) * 1000, kind: 'idle' },
    });
    if (result.outcome === 'answered') {
      if (result.complete) {
        record(result.status, { target, forwarded: headers });
      }
      return;
    }
    const status = result.outcome === 'timeout' ? 504 : 502;
    req.resume();
    res.writeHead(status, { 'content-type': 'text/html' });
    res.end(albPage(status, status === 504 ? 'Gateway Time-out' : 'Bad Gateway'));
    record(status, { target, forwarded: headers });
  }
}
