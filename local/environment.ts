/**
 * The local environment: a synthesized cloud assembly brought up on this machine, artifact by artifact, as AWS would
 * run it (docs/as-deployed.md).
 *
 * - AWS APIs: moto in server mode, behind the local IAM gate that holds every call to the policy its caller really
 *   gets in the template.
 * - Resources: created from their template properties on first use (local/deployment.ts).
 * - Lambda functions: their asset directories and handlers, their resolved environment, the real runtime interface
 *   client (local/lambda.ts).
 * - State machines: their synthesized definitions (local/state-machine.ts).
 * - EventBridge rules: an event put on a bus starts the targets of every rule of the assembly whose pattern matches,
 *   as moto's own pattern matcher decides.
 * - Service Catalog: products provisioned from their templates in the assembly (local/service-catalog.ts).
 */
import { ChildProcess } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { PutEventsCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { AssemblyReader, LambdaFunctionArtifact, StateMachineArtifact } from './assembly';
import { CloudMapDns } from './cloud-map-dns';
import { AdminClients, LocalDeployment, StackDeployment } from './deployment';
import { CredentialsEndpoint, localImage, TaskNetwork } from './ecs';
import { ApiDestinations, ApiDestinationTarget, apiDestinationTarget } from './event-bus';
import { LocalHttpApi } from './http-api';
import { IamGate } from './iam-gate';
import { clientCredentialsToken } from './identity';
import { lambdaLayers, LocalLambda } from './lambda';
import { mayInvoke } from './lambda-permission';
import { LocalLoadBalancer, TargetRegistry } from './load-balancer';
import { LOCAL_REGION, MotoServer } from './moto';
import { LocalRestApi } from './rest-api';
import { ServiceCatalogStandIn } from './service-catalog';
import { ExecutionResult, LocalStateMachine, taskStates } from './state-machine';
import { AssumableRole, StsStandIn } from './sts';
import { LOCAL_AWS_HOST } from './tls';
import { UsagePlanCounters } from './usage-plans';

export interface LocalEnvironmentOptions {
  /** Where function log lines go. Default: kept on each function (`LocalLambda.logs`). */
  readonly onLog?: (functionName: string, line: string) => void;
}

/** A rule of a stack, mirrored into the emulator: what it delivers, and the state machines it starts. */
interface MirroredRule {
  readonly stack: StackDeployment;
  readonly ruleId: string;
  readonly inbox: EventInbox;
  readonly targets: Array<{ readonly constructPath: string; readonly input?: unknown }>;
  /** Its API-destination targets (delivered by `startDelivery`, not by `publish`). */
  readonly destinations: ApiDestinationTarget[];
  /** Its Lambda function targets, by ARN, each invoked with the event (delivered by `startDelivery`). */
  readonly functions: string[];
  /** Its event-bus targets, by ARN: the event is put on that bus (delivered by `startDelivery`). */
  readonly buses: string[];
}

/** An event as a control plane puts it on a bus. */
export interface BusEvent {
  readonly 'source': string;
  readonly 'detail-type': string;
  readonly 'detail': unknown;
}

export class LocalEnvironment {
  /** Starts the emulator and the gate for the assembly in `assemblyDir`. */
  public static async start(assemblyDir: string, options: LocalEnvironmentOptions = {}): Promise<LocalEnvironment> {
    const moto = await MotoServer.start();
    const gate = await IamGate.start(moto.endpoint);
    return new LocalEnvironment(new AssemblyReader(assemblyDir), moto, gate, options);
  }

  /** Clients of the emulator that bypass the gate: for setting up and inspecting, never for the artifacts. */
  public readonly admin: AdminClients;
  public readonly deployment: LocalDeployment;
  /** Service Catalog, stood in for: the products of the assembly, provisioned from their templates. */
  public readonly serviceCatalog: ServiceCatalogStandIn;
  /** STS, stood in for: sessions held to the role's trust policy, policies and session tags. */
  public readonly sts: StsStandIn;
  private readonly lambdas = new Map<string, Promise<LocalLambda>>();
  private readonly httpApis = new Map<string, Promise<LocalHttpApi>>();
  private readonly rules = new Map<StackDeployment, Promise<MirroredRule[]>>();
  private readonly groups: LocalServiceGroup[] = [];
  /** Started once, by the first group (groups start concurrently). */
  private credentialsEndpoint?: Promise<CredentialsEndpoint>;
  /** The DNS side of Cloud Map: the records ECS registers for tasks of services with a DNS registry. */
  public readonly cloudMapDns = new CloudMapDns();
  /** Targets of the load balancers' target groups, by target group ARN (ECS services register their tasks here). */
  public readonly targets = new TargetRegistry();
  /** Listener stand-ins, by `<stack name>/<load balancer logical id>`. */
  private readonly loadBalancers = new Map<string, Promise<LocalLoadBalancer>>();
  /** REST API stand-ins, by stack name. */
  private readonly restApis = new Map<string, Promise<LocalRestApi>>();
  /** The usage plans' token buckets and quotas, shared by every REST API stand-in (a plan spans its API stages). */
  private readonly usagePlanCounters = new UsagePlanCounters();
  /** Deployments that are no stack of the assembly (products' stacks), whose listener rules and usage plans count. */
  private readonly addedDeployments: StackDeployment[] = [];
  private delivery?: { stopped: boolean; inFlight: Set<Promise<void>>; loop: Promise<void> };
  /** How long state machines' Wait states wait, in milliseconds (0 in tests: the order of events, not the clock). */
  public waitMilliseconds = 0;
  /** The executions `startDelivery` started, in the order they ended. */
  public readonly executions: ExecutionResult[] = [];
  /** API destinations, called as EventBridge calls them (`startDelivery`): every attempt is in `deliveries`. */
  public readonly apiDestinations: ApiDestinations;
  /** Where an AWS URL (`https://<api id>.execute-api.<region>.amazonaws.com/...`) is served locally, by host. */
  private readonly localApis = new Map<string, () => Promise<string>>();

  private constructor(public readonly assembly: AssemblyReader, private readonly moto: MotoServer, public readonly gate: IamGate,
    private readonly options: LocalEnvironmentOptions) {
    this.admin = new AdminClients(moto.endpoint);
    this.deployment = new LocalDeployment(assembly, this.admin, gate);
    this.serviceCatalog = new ServiceCatalogStandIn(this.deployment);
    gate.serve('servicecatalog', (call) => this.serviceCatalog.handle(call));
    this.apiDestinations = new ApiDestinations({
      token: (c) => clientCredentialsToken(this.admin.cognito, c.userPoolId, c.clientId, c.clientSecret, c.bodyParameters.scope),
      localUrl: async (url) => {
        const u = new URL(url);
        const local = this.localApis.get(u.host);
        if (!local) {
          throw new Error(`${u.host} is not served locally`);
        }
        return new URL(`${u.pathname}${u.search}`, await local()).toString();
      },
    });
    // A product's stack, created or deleted, brings its listener rules and usage plans or takes them away.
    this.serviceCatalog.stackHooks.push({ created: (s) => this.addDeployment(s), deleting: (s) => this.removeDeployment(s) });
    this.sts = new StsStandIn(gate, (arn) => this.roleByArn(arn));
    gate.serve('sts', (call) => this.sts.handle(call));
    // API Gateway's daily usage of each key (GetUsage), as the REST API stand-ins counted it; the rest is moto's.
    gate.serve('apigateway', async (call) => {
      const usage = /^GET \/usageplans\/([^/]+)\/usage$/.exec(call.operation);
      if (!usage) {
        return undefined;
      }
      const { startDate, endDate } = call.params.query ?? {};
      return { status: 200, body: this.usagePlanCounters.usage(decodeURIComponent(usage[1]), startDate, endDate) };
    });
  }

  public stack(id: string): StackDeployment {
    return this.deployment.stack(id);
  }

  /** A Lambda function of a stack, by construct path, ready to invoke. */
  public lambda(stackId: string, constructPath: string): Promise<LocalLambda> {
    const stack = this.stack(stackId);
    return this.lambdaOf(stack, this.assembly.lambdaFunction(stack.template, constructPath));
  }

  /**
   * A Lambda function of any stack of the assembly, by ARN (as an integration, an authorizer or a target names it).
   * Nested stacks hold no functions in our assemblies; a function they held would not be found.
   */
  public async lambdaByArn(arn: string): Promise<LocalLambda> {
    for (const artifact of this.assembly.stacks()) {
      const stack = this.stack(artifact.id);
      for (const fn of this.assembly.lambdaFunctions(stack.template)) {
        if (String((await stack.resource(fn.logicalId)).attributes.Arn) === arn) {
          return this.lambdaOf(stack, fn);
        }
      }
    }
    throw new Error(`no function of the assembly has the ARN ${arn}`);
  }

  /**
   * Serves an AWS host (an API's `<id>.execute-api.<region>.amazonaws.com`) locally, for what calls it by its AWS URL
   * from this process (API destinations): `base` gives the local base URL, starting the stand-in if need be.
   */
  public serveHost(host: string, base: () => Promise<string>): void {
    this.localApis.set(host, base);
  }

  /** A state machine of a stack, by construct path. */
  public async stateMachine(stackId: string, constructPath: string): Promise<LocalStateMachine> {
    const stack = this.stack(stackId);
    const artifact = this.assembly.stateMachine(stack.template, constructPath);
    const resolved = await stack.resolve(artifact.definition);
    const definition = typeof resolved === 'string' ? JSON.parse(resolved) : resolved;
    const principal = await stack.principal(artifact.roleLogicalId);
    // The functions its tasks invoke, by ARN.
    const arns = new Set(Object.values(taskStates(definition)).map((t) => t.Resource === 'arn:aws:states:::lambda:invoke' ? t.Parameters?.FunctionName : t.Resource));
    const functions = new Map<string, LocalLambda>();
    for (const fn of this.assembly.lambdaFunctions(stack.template)) {
      const arn = String((await stack.resource(fn.logicalId)).attributes.Arn);
      if (arns.has(arn)) {
        functions.set(arn, await this.lambdaOf(stack, fn));
      }
    }
    return new LocalStateMachine({
      definition,
      functions: (arn) => {
        const fn = functions.get(arn);
        if (!fn) {
          throw new Error(`no function of ${stack.stackName} has the ARN ${arn}`);
        }
        return fn;
      },
      gate: this.gate,
      accessKeyId: principal.accessKeyId,
      stateMachineArn: (await stack.resource(artifact.logicalId)).ref,
      waitMilliseconds: this.waitMilliseconds,
    });
  }

  /**
   * Puts an event on a bus (by name) the way a control plane would, and runs the targets of the rules of the stack
   * that EventBridge (the emulator's) delivers it to: each target state machine to its end. Returns the executions.
   */
  public async publish(stackId: string, busName: string, event: BusEvent): Promise<ExecutionResult[]> {
    const stack = this.stack(stackId);
    const rules = await this.rulesOf(stack);
    const put = await this.admin.events.send(new PutEventsCommand({
      Entries: [{ EventBusName: busName, Source: event.source, DetailType: event['detail-type'], Detail: JSON.stringify(event.detail) }],
    }));
    if (put.FailedEntryCount) {
      throw new Error(`the event was not accepted: ${JSON.stringify(put.Entries)}`);
    }
    const executions: ExecutionResult[] = [];
    for (const rule of rules) {
      for (const delivered of await rule.inbox.take()) {
        for (const target of rule.targets) {
          executions.push(await (await this.stateMachine(stackId, target.constructPath)).run(target.input ?? delivered));
        }
      }
    }
    return executions;
  }


  /**
   * Delivers events continuously, as EventBridge does once a stack is deployed: every rule of every stack of the
   * assembly is mirrored into the emulator, and every 100 ms what reached each rule starts its targets (state machines
   * run to their end, API destinations are called, functions invoked, other buses given the event), each delivery on
   * its own, not waiting for the one before.
   * Failures go to `onError`; `stop()` ends the delivery and waits for what is in flight.
   */
  public async startDelivery(onError: (rule: string, error: unknown) => void = () => undefined): Promise<void> {
    if (this.delivery) {
      return;
    }
    const rules: MirroredRule[] = [];
    for (const artifact of this.assembly.stacks()) {
      rules.push(...await this.rulesOf(this.stack(artifact.id)));
    }
    const inFlight = new Set<Promise<void>>();
    const track = (p: Promise<void>) => {
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    };
    const state = { stopped: false, inFlight, loop: Promise.resolve() };
    this.delivery = state;
    state.loop = (async () => {
      while (!state.stopped) {
        for (const rule of rules) {
          let events: unknown[] = [];
          try {
            events = await rule.inbox.take();
          } catch (e) {
            if (!state.stopped) {
              onError(rule.ruleId, e);
            }
          }
          for (const event of events) {
            for (const target of rule.targets) {
              track((async () => {
                const machine = await this.stateMachine(rule.stack.stackName, target.constructPath);
                const result = await machine.run(target.input ?? event);
                this.executions.push(result);
                if (result.status !== 'SUCCEEDED') {
                  onError(rule.ruleId, new Error(`${target.constructPath}: ${result.status} ${JSON.stringify(result.error ?? {})}`));
                }
              })().catch((e) => onError(rule.ruleId, e)));
            }
            for (const arn of rule.functions) {
              track((async () => {
                const result = await (await this.lambdaByArn(arn)).invoke(event);
                if (result.error) {
                  onError(rule.ruleId, new Error(`${arn}: ${JSON.stringify(result.error)}`));
                }
              })().catch((e) => onError(rule.ruleId, e)));
            }
            for (const arn of rule.buses) {
              track(this.forwardEvent(arn, event as BusEvent).catch((e) => onError(rule.ruleId, e)));
            }
            for (const destination of rule.destinations) {
              track(this.apiDestinations.deliver(destination, event).then((d) => {
                if (d.status < 200 || d.status >= 300) {
                  onError(rule.ruleId, new Error(`${d.method} ${d.url}: ${d.status} ${d.response.slice(0, 500)}`));
                }
              }).catch((e) => onError(rule.ruleId, e)));
            }
          }
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
  }

  /**
   * The stack's EventBridge rules, mirrored into the emulator: each rule with its bus and pattern, delivering to a
   * queue the environment reads (the emulator decides which events match). Targets must be state machines of the stack,
   * which the rule's role may start.
   */
  private rulesOf(stack: StackDeployment): Promise<MirroredRule[]> {
    let p = this.rules.get(stack);
    if (!p) {
      p = (async () => {
        const out: MirroredRule[] = [];
        for (const [id, rule] of Object.entries<any>(stack.template.Resources).filter(([, r]) => r.Type === 'AWS::Events::Rule')) {
          if (rule.Properties?.ScheduleExpression !== undefined && rule.Properties?.EventPattern === undefined) {
            continue; // a scheduled rule matches no event: a test invokes its target as the schedule would
          }
          const props = await stack.resolve(rule.Properties);
          const targets = [];
          const destinations: ApiDestinationTarget[] = [];
          const functions: string[] = [];
          const buses: string[] = [];
          for (const target of props.Targets ?? []) {
            const arn = String(target.Arn);
            if (/^arn:[^:]+:lambda:/.test(arn)) {
              // Lambda lets EventBridge invoke a function its resource policy admits, for this rule.
              const ruleArn = String((await stack.resource(id)).attributes.Arn);
              if (!(await mayInvoke(await this.deployments(), arn, 'events.amazonaws.com', ruleArn))) {
                throw new Error(`rule ${id}: no permission lets events.amazonaws.com invoke ${arn} for ${ruleArn}`);
              }
              functions.push(arn);
              continue;
            }
            if (/^arn:[^:]+:events:[^:]*:[^:]*:event-bus\//.test(arn)) {
              if (!target.RoleArn || !(await this.gate.authorize(await this.roleOfArn(stack, target.RoleArn), { action: 'events:PutEvents', resource: arn }))) {
                throw new Error(`rule ${id}: its role may not put events on ${arn}`);
              }
              buses.push(arn);
              continue;
            }
            const destination = await apiDestinationTarget(stack, id, target);
            if (destination) {
              if (!target.RoleArn || !(await this.gate.authorize(await this.roleOfArn(stack, target.RoleArn), { action: 'events:InvokeApiDestination', resource: target.Arn }))) {
                throw new Error(`rule ${id}: its role may not invoke the API destination ${target.Arn}`);
              }
              destinations.push(destination);
              continue;
            }
            let machine: StateMachineArtifact | undefined;
            for (const candidate of this.assembly.stateMachines(stack.template)) {
              if ((await stack.resource(candidate.logicalId)).ref === target.Arn) {
                machine = candidate;
              }
            }
            if (!machine) {
              throw new Error(`rule ${id}: target ${target.Arn} is no state machine, API destination, function or bus of ${stack.stackName}; the local environment delivers to those only`);
            }
            if (target.RoleArn && !(await this.gate.authorize(await this.roleOfArn(stack, target.RoleArn), { action: 'states:StartExecution', resource: target.Arn }))) {
              throw new Error(`rule ${id}: its role may not start ${target.Arn}`);
            }
            targets.push({ constructPath: machine.constructPath, input: target.Input ? JSON.parse(target.Input) : undefined });
          }
          out.push({ stack, ruleId: id, inbox: await this.subscribe(props.EventBusName ?? 'default', props.EventPattern), targets, destinations, functions, buses });
        }
        return out;
      })();
      this.rules.set(stack, p);
    }
    return p;
  }

  /** An event a rule delivers to another bus: put there as EventBridge puts it (source, detail type and detail kept). */
  private async forwardEvent(busArn: string, event: BusEvent): Promise<void> {
    const put = await this.admin.events.send(new PutEventsCommand({
      Entries: [{ EventBusName: busArn.split(':event-bus/')[1], Source: event.source, DetailType: event['detail-type'], Detail: JSON.stringify(event.detail) }],
    }));
    if (put.FailedEntryCount) {
      throw new Error(`the event was not accepted on ${busArn}: ${JSON.stringify(put.Entries)}`);
    }
  }

  /**
   * The events that reach a bus and match a pattern, as a consumer on the bus (the control plane) receives them: through
   * a rule of the emulator that delivers to a queue.
   */
  public async subscribe(busName: string, pattern: Record<string, unknown>): Promise<EventInbox> {
    const name = `local-inbox-${randomBytes(4).toString('hex')}`;
    const queueUrl = (await this.admin.sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl!;
    const queueArn = (await this.admin.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn;
    await this.admin.events.send(new PutRuleCommand({ Name: name, EventBusName: busName, EventPattern: JSON.stringify(pattern) }));
    await this.admin.events.send(new PutTargetsCommand({ Rule: name, EventBusName: busName, Targets: [{ Id: 'inbox', Arn: queueArn }] }));
    return new EventInbox(this.admin, queueUrl);
  }

  /**
   * Starts every task of a service group (its task definitions under `constructPath`) in a network namespace of its
   * own, each container with its task definition's environment and its role's credentials, and waits until every
   * container answers on its port. The group's proxy is reached at `url`.
   */
  public async startServiceGroup(stackOrId: string | StackDeployment, constructPath: string): Promise<LocalServiceGroup> {
    const stack = typeof stackOrId === 'string' ? this.stack(stackOrId) : stackOrId;
    const under = (r: any) => String(r.Metadata?.['aws:cdk:path'] ?? '').startsWith(`${constructPath}/`);
    const resources = Object.entries<any>(stack.template.Resources);
    const names = new Set<string>();
    for (const [, r] of resources.filter(([, x]) => x.Type === 'AWS::ECS::Service' && under(x))) {
      // A name may carry the tenant id (a shared namespace: `products-<tenant>`), a parameter in a tenant stack.
      const connect = await stack.resolve(r.Properties.ServiceConnectConfiguration ?? {});
      for (const s of connect.Services ?? []) {
        for (const alias of s.ClientAliases ?? []) {
          names.add(alias.DnsName ?? s.PortName);
        }
      }
    }
    this.credentialsEndpoint ??= CredentialsEndpoint.start();
    const credentials = await this.credentialsEndpoint;
    const registrations = await this.dnsRegistrations(stack, resources.filter(([, x]) => x.Type === 'AWS::ECS::Service' && under(x)).map(([, x]) => x));
    const network = TaskNetwork.create([...names]);
    const group = new LocalServiceGroup(network);
    try {
      // The network's resolver (its resolv.conf names it), answering the Cloud Map DNS names of every group.
      await this.cloudMapDns.listen(network.hostIp);
      group.onStop(async () => this.cloudMapDns.close(network.hostIp));
      // `https://aws.local/...` with no port (a JWKS URI in a template, say) reaches the gate too.
      group.onStop(await this.gate.listenAlso(network.hostIp, 443));
      for (const [id, r] of resources.filter(([, x]) => x.Type === 'AWS::ECS::TaskDefinition' && under(x))) {
        const task = await stack.resolve(r.Properties);
        const roleId = r.Properties.TaskRoleArn?.['Fn::GetAtt']?.[0];
        const principal = await stack.principal(roleId);
        for (const container of task.ContainerDefinitions) {
          const image = localImage(this.assembly, container.Image);
          for (const [file, content] of Object.entries(image.etc ?? {})) {
            fs.mkdirSync(path.dirname(path.join(network.etc, file)), { recursive: true });
            fs.writeFileSync(path.join(network.etc, file), content);
          }
          const env: Record<string, string> = {
            ...image.env,
            ...Object.fromEntries((container.Environment ?? []).map((e: any) => [e.Name, String(e.Value)])),
            // What ECS adds: the task role's credentials, the execution environment.
            AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: credentials.register(principal),
            AWS_EXECUTION_ENV: (task.RequiresCompatibilities ?? []).includes('FARGATE') ? 'AWS_ECS_FARGATE' : 'AWS_ECS_EC2',
            // The stand-ins: AWS calls go to the local IAM gate, whose certificate the process trusts.
            AWS_ENDPOINT_URL: `https://${LOCAL_AWS_HOST}:${this.gate.port}`,
            NODE_EXTRA_CA_CERTS: this.gate.certificate.certFile,
          };
          const argv = [...(container.EntryPoint ?? []), ...(container.Command ?? image.cmd)];
          const child = network.spawn(argv, env, image.workdir);
          group.add(container.Name ?? id, child, (container.PortMappings ?? []).map((p: any) => Number(p.ContainerPort)), this.options.onLog);
        }
      }
      await group.ready();
      await this.registerTargets(stack, constructPath, group);
      // As ECS does for a service with a Cloud Map registry: an A record of each task, removed when the task stops.
      for (const r of registrations) {
        this.cloudMapDns.register(r.name, network.taskIp, r.ttl);
        group.onStop(async () => this.cloudMapDns.deregister(r.name, network.taskIp));
      }
    } catch (e) {
      await group.stop();
      throw e;
    }
    this.groups.push(group);
    return group;
  }

  /**
   * The deployments whose listener rules, usage plans and Lambda permissions the load balancer and REST API stand-ins
   * read: every stack of the assembly, their nested stacks, and the deployments added (products' stacks).
   */
  public async deployments(): Promise<StackDeployment[]> {
    const out: StackDeployment[] = [];
    for (const artifact of this.assembly.stacks()) {
      const stack = this.stack(artifact.id);
      out.push(stack);
      for (const [id, r] of Object.entries<any>(stack.template.Resources)) {
        if (r.Type === 'AWS::CloudFormation::Stack') {
          out.push(await stack.nestedStack(id));
        }
      }
    }
    return [...out, ...this.addedDeployments];
  }

  /**
   * Adds a deployment that is no stack of the assembly (a product's stack) to what the stand-ins read, as creating its
   * stack would: its listener rules join the listeners they name, its usage plans count. Products provisioned through
   * the Service Catalog stand-in are added when their stack is created, and removed when it is deleted.
   */
  public async addDeployment(stack: StackDeployment): Promise<void> {
    if (!this.addedDeployments.includes(stack)) {
      this.addedDeployments.push(stack);
    }
    for (const lb of this.loadBalancers.values()) {
      await (await lb).addDeployment(stack);
    }
  }

  /** Removes an added deployment (its stack deleted): its listener rules leave their listeners. */
  public async removeDeployment(stack: StackDeployment): Promise<void> {
    const index = this.addedDeployments.indexOf(stack);
    if (index >= 0) {
      this.addedDeployments.splice(index, 1);
    }
    for (const lb of this.loadBalancers.values()) {
      (await lb).removeDeployment(stack);
    }
  }

  /**
   * The listener of a load balancer of a stack (by logical id; default: the stack's only one), stood in for
   * (local/load-balancer.ts): started on first use, with the listener rules of every deployment that name it.
   */
  public loadBalancer(stack: StackDeployment, logicalId?: string): Promise<LocalLoadBalancer> {
    const lbs = Object.entries<any>(stack.template.Resources).filter(([id, r]) => r.Type === 'AWS::ElasticLoadBalancingV2::LoadBalancer' && (!logicalId || id === logicalId));
    if (lbs.length !== 1) {
      throw new Error(`${stack.stackName}: expected one load balancer${logicalId ? ` ${logicalId}` : ''}, found ${lbs.length}`);
    }
    const [lbId, lb] = lbs[0];
    const key = `${stack.stackName}/${lbId}`;
    let p = this.loadBalancers.get(key);
    if (!p) {
      p = (async () => {
        const listeners = Object.entries<any>(stack.template.Resources)
          .filter(([, r]) => r.Type === 'AWS::ElasticLoadBalancingV2::Listener' && r.Properties.LoadBalancerArn?.Ref === lbId);
        if (listeners.length !== 1) {
          throw new Error(`${key}: the stand-in serves a load balancer with one listener; it has ${listeners.length}`);
        }
        const [listenerId, listener] = listeners[0];
        const props = await stack.resolve({ ...listener.Properties, LoadBalancerArn: undefined });
        const attributes = await stack.resolve(lb.Properties.LoadBalancerAttributes ?? []);
        const started = await LocalLoadBalancer.start({
          listenerArn: (await stack.resource(listenerId)).ref,
          port: Number(props.Port ?? 80),
          protocol: String(props.Protocol ?? 'HTTP'),
          defaultActions: props.DefaultActions ?? [],
          attributes: Object.fromEntries(attributes.map((a: any) => [a.Key, String(a.Value)])),
          targets: this.targets,
          onLog: this.options.onLog ? (line) => this.options.onLog!(key, line) : undefined,
        });
        for (const d of await this.deployments()) {
          await started.addDeployment(d);
        }
        return started;
      })();
      this.loadBalancers.set(key, p);
    }
    return p;
  }

  /**
   * The REST API of a stack (a router shard's nested stack: `await env.stack(id).nestedStack(logicalId)`), stood in for
   * (local/rest-api.ts): served at `url(stage)`, its authorizer the assembly's Lambda function, its integrations the
   * load balancers' stand-ins.
   */
  public restApi(stack: StackDeployment): Promise<LocalRestApi> {
    let p = this.restApis.get(stack.stackName);
    if (!p) {
      p = LocalRestApi.start({
        stack,
        deployments: () => this.deployments(),
        lambdaByArn: (arn) => this.lambdaByArn(arn),
        loadBalancer: (s, id) => this.loadBalancer(s, id),
        apigateway: this.admin.apigateway,
        usage: this.usagePlanCounters,
        onLog: this.options.onLog ? (line) => this.options.onLog!(`${stack.stackName}/api`, line) : undefined,
      });
      this.restApis.set(stack.stackName, p);
    }
    return p;
  }

  /**
   * The DNS names ECS services register their tasks under (`ServiceRegistries` of a Cloud Map service with A records
   * in a private DNS namespace): `<service name>.<namespace name>`, with the records' TTL.
   */
  private async dnsRegistrations(stack: StackDeployment, services: any[]): Promise<Array<{ name: string; ttl: number }>> {
    const out: Array<{ name: string; ttl: number }> = [];
    for (const service of services) {
      for (const registry of service.Properties.ServiceRegistries ?? []) {
        const id = registry.RegistryArn?.['Fn::GetAtt']?.[0];
        const cloudMapService = stack.template.Resources[id];
        if (cloudMapService?.Type !== 'AWS::ServiceDiscovery::Service') {
          throw new Error(`${stack.stackName}: registry ${JSON.stringify(registry.RegistryArn)} is not a Cloud Map service of the stack; the local environment resolves those only`);
        }
        const props = await stack.resolve({ Name: cloudMapService.Properties.Name, NamespaceId: cloudMapService.Properties.DnsConfig?.NamespaceId });
        const record = (cloudMapService.Properties.DnsConfig?.DnsRecords ?? []).find((d: any) => d.Type === 'A');
        if (!record) {
          throw new Error(`${stack.stackName}/${id}: the local environment answers A records only; the service has ${JSON.stringify(cloudMapService.Properties.DnsConfig?.DnsRecords)}`);
        }
        out.push({ name: `${props.Name}.${await this.dnsNamespaceName(props.NamespaceId)}`, ttl: Number(record.TTL) });
      }
    }
    return out;
  }

  /** The name of a private DNS namespace of any deployment, by its id. */
  private async dnsNamespaceName(namespaceId: string): Promise<string> {
    for (const d of await this.deployments()) {
      for (const [id, r] of Object.entries<any>(d.template.Resources)) {
        if (r.Type === 'AWS::ServiceDiscovery::PrivateDnsNamespace') {
          const ns = await d.resource(id);
          if (ns.attributes.Id === namespaceId) {
            return String(ns.attributes.Name);
          }
        }
      }
    }
    throw new Error(`no deployment has the private DNS namespace ${namespaceId}`);
  }

  /**
   * Registers a started group's tasks with the target groups its ECS services name (`LoadBalancers`), as ECS does:
   * `http://<task ip>:<container port>`; they are deregistered when the group stops.
   */
  private async registerTargets(stack: StackDeployment, constructPath: string, group: LocalServiceGroup): Promise<void> {
    for (const [, r] of Object.entries<any>(stack.template.Resources)) {
      if (r.Type !== 'AWS::ECS::Service' || !String(r.Metadata?.['aws:cdk:path'] ?? '').startsWith(`${constructPath}/`)) {
        continue;
      }
      for (const lb of r.Properties.LoadBalancers ?? []) {
        const arn = String(await stack.resolve(lb.TargetGroupArn));
        const url = `${group.url}:${Number(await stack.resolve(lb.ContainerPort))}`;
        this.targets.register(arn, url);
        group.onStop(async () => this.targets.deregister(arn, url));
      }
    }
  }

  /**
   * The stand-in of a stack's API Gateway HTTP API (local/http-api.ts), started on first use: served at `url`, and
   * reached by its AWS URL (`awsUrl`) from Python functions through their proxy. Stopped by `stop`.
   */
  public async httpApi(stackId: string): Promise<LocalHttpApi> {
    const stack = this.stack(stackId);
    let api = this.httpApis.get(stack.stackName);
    if (!api) {
      api = LocalHttpApi.start(stack, this);
      this.httpApis.set(stack.stackName, api);
    }
    return api;
  }

  /**
   * Stops everything, in the order that lets what is in flight end: event delivery (its executions and API
   * destination calls run to their end), product stacks being created, then the APIs, load balancers, tasks,
   * functions, the gate and the emulator. Each step runs even if one before it failed; the failures are thrown
   * together at the end.
   */
  public async stop(): Promise<void> {
    const errors: unknown[] = [];
    const step = async (run: () => Promise<unknown> | unknown) => {
      try {
        await run();
      } catch (e) {
        errors.push(e);
      }
    };
    if (this.delivery) {
      const delivery = this.delivery;
      delivery.stopped = true;
      await step(() => delivery.loop);
      await step(() => Promise.allSettled([...delivery.inFlight]));
    }
    await step(() => this.serviceCatalog.settle());
    for (const api of this.httpApis.values()) {
      await step(() => api.then((a) => a.stop(), () => undefined));
    }
    for (const standIn of [...this.restApis.values(), ...this.loadBalancers.values()]) {
      await step(() => standIn.then((x) => x.stop(), () => undefined));
    }
    for (const group of this.groups) {
      await step(() => group.stop());
    }
    await step(() => this.cloudMapDns.stop());
    await step(async () => (await this.credentialsEndpoint)?.stop());
    for (const fn of this.lambdas.values()) {
      await step(async () => (await fn).stop());
    }
    await step(() => this.admin.destroy());
    await step(() => this.gate.stop());
    await step(() => this.moto.stop());
    if (errors.length > 0) {
      throw new AggregateError(errors, `the local environment stopped with ${errors.length} error(s): ${errors.map(String).join('; ')}`);
    }
  }

  private lambdaOf(stack: StackDeployment, artifact: LambdaFunctionArtifact): Promise<LocalLambda> {
    const key = `${stack.stackName}/${artifact.logicalId}`;
    let p = this.lambdas.get(key);
    if (!p) {
      p = (async () => {
        const resource = await stack.resource(artifact.logicalId);
        const environment = await stack.resolve(artifact.environment);
        const principal = await stack.principal(artifact.roleLogicalId);
        const fn = new LocalLambda({
          functionName: resource.ref,
          functionArn: String(resource.attributes.Arn),
          codeDir: artifact.codeDir,
          handler: artifact.handler,
          runtime: artifact.runtime,
          environment: Object.fromEntries(Object.entries<unknown>(environment).map(([k, v]) => [k, String(v)])),
          credentials: principal,
          awsEndpoint: this.gate.endpoint,
          endpointCertificate: this.gate.certificate.certFile,
          layers: await lambdaLayers(artifact, (value) => stack.resolve(value)),
          region: LOCAL_REGION,
          timeoutSeconds: artifact.timeoutSeconds,
          memorySize: artifact.memorySize,
          onLog: this.options.onLog ? (line) => this.options.onLog!(resource.ref, line) : undefined,
        });
        return fn;
      })();
      this.lambdas.set(key, p);
    }
    return p;
  }

  /** A role of any stack of the assembly, by ARN: its trust policy and what it is allowed. */
  private async roleByArn(arn: string): Promise<AssumableRole | undefined> {
    for (const artifact of this.assembly.stacks()) {
      const stack = this.stack(artifact.id);
      for (const [id, r] of Object.entries<any>(stack.template.Resources)) {
        if (r.Type === 'AWS::IAM::Role' && (await stack.resource(id)).attributes.Arn === arn) {
          const principal = await stack.principal(id);
          const trustPolicy = await stack.resolve(r.Properties.AssumeRolePolicyDocument);
          return { arn, trustPolicy, identityPolicies: principal.identityPolicies, boundary: principal.boundary };
        }
      }
    }
    return undefined;
  }

  /** The access key of the role whose ARN is given (a role of the stack). */
  private async roleOfArn(stack: StackDeployment, arn: string): Promise<string> {
    for (const [id, r] of Object.entries<any>(stack.template.Resources)) {
      if (r.Type === 'AWS::IAM::Role' && (await stack.resource(id)).attributes.Arn === arn) {
        return (await stack.principal(id)).accessKeyId;
      }
    }
    throw new Error(`no role of ${stack.stackName} has the ARN ${arn}`);
  }
}


/** Events delivered to a queue by a rule (`LocalEnvironment.subscribe`). */
export class EventInbox {
  constructor(private readonly admin: AdminClients, private readonly queueUrl: string) {}

  /** Takes every event delivered so far. */
  public async take(): Promise<Array<{ 'source': string; 'detail-type': string; 'detail': any }>> {
    const out: any[] = [];
    for (;;) {
      const page = await this.admin.sqs.send(new ReceiveMessageCommand({ QueueUrl: this.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      const messages = page.Messages ?? [];
      if (messages.length === 0) {
        return out;
      }
      out.push(...messages.map((m) => JSON.parse(m.Body!)));
      await this.admin.sqs.send(new DeleteMessageBatchCommand({
        QueueUrl: this.queueUrl,
        Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }));
    }
  }
}

/** The tasks of a service group, running (LocalEnvironment.startServiceGroup). */
export class LocalServiceGroup {
  /** Every line the containers wrote, prefixed with the container's name. */
  public readonly logs: string[] = [];
  private readonly containers: Array<{ name: string; child: ChildProcess; ports: number[] }> = [];
  private readonly cleanups: Array<() => Promise<void>> = [];

  constructor(public readonly network: TaskNetwork) {}

  /** The proxy's address (port 80 of the group's network). */
  public get url(): string {
    return `http://${this.network.taskIp}`;
  }

  public add(name: string, child: ChildProcess, ports: number[], onLog?: (source: string, line: string) => void): void {
    for (const stream of [child.stdout!, child.stderr!]) {
      stream.on('data', (d: Buffer) => {
        for (const line of d.toString('utf8').split('\n').filter(Boolean)) {
          this.logs.push(`${name}: ${line}`);
          onLog?.(name, line);
        }
      });
    }
    this.containers.push({ name, child, ports });
  }

  /** Waits until every container answers its health path on each of its ports. */
  public async ready(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const c of this.containers) {
      for (const port of c.ports) {
        for (;;) {
          if (c.child.exitCode !== null) {
            throw new Error(`container ${c.name} exited with ${c.child.exitCode}:\n${this.logs.filter((l) => l.startsWith(`${c.name}:`)).slice(-20).join('\n')}`);
          }
          try {
            const res = await fetch(`http://${this.network.taskIp}:${port}/health`);
            if (res.status === 200) {
              break;
            }
          } catch {
            // not listening yet
          }
          if (Date.now() > deadline) {
            throw new Error(`container ${c.name} did not answer on port ${port} within ${timeoutMs} ms:\n${this.logs.slice(-20).join('\n')}`);
          }
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    }
  }

  /** The container processes, by name. */
  public container(name: string): ChildProcess {
    const found = this.containers.find((c) => c.name === name);
    if (!found) {
      throw new Error(`the group has no container ${name}; it has ${this.containers.map((c) => c.name).join(', ')}`);
    }
    return found.child;
  }

  /** Runs `cleanup` when the group stops. */
  public onStop(cleanup: () => Promise<void>): void {
    this.cleanups.push(cleanup);
  }

  public async stop(): Promise<void> {
    await this.network.destroy();
    for (const cleanup of this.cleanups.splice(0)) {
      await cleanup();
    }
  }
}
