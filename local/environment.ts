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
import { AdminClients, LocalDeployment, StackDeployment } from './deployment';
import { CredentialsEndpoint, localImage, TaskNetwork } from './ecs';
import { IamGate } from './iam-gate';
import { LocalLambda } from './lambda';
import { LOCAL_REGION, MotoServer } from './moto';
import { ServiceCatalogStandIn } from './service-catalog';
import { ExecutionResult, LocalStateMachine, taskStates } from './state-machine';
import { AssumableRole, StsStandIn } from './sts';
import { LOCAL_AWS_HOST } from './tls';

export interface LocalEnvironmentOptions {
  /** Where function log lines go. Default: kept on each function (`LocalLambda.logs`). */
  readonly onLog?: (functionName: string, line: string) => void;
}

/** A rule of a stack, mirrored into the emulator: what it delivers, and the state machines it starts. */
interface MirroredRule {
  readonly inbox: EventInbox;
  readonly targets: Array<{ readonly constructPath: string; readonly input?: unknown }>;
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
  private readonly rules = new Map<StackDeployment, Promise<MirroredRule[]>>();
  private readonly groups: LocalServiceGroup[] = [];
  private credentialsEndpoint?: CredentialsEndpoint;

  private constructor(public readonly assembly: AssemblyReader, private readonly moto: MotoServer, public readonly gate: IamGate,
    private readonly options: LocalEnvironmentOptions) {
    this.admin = new AdminClients(moto.endpoint);
    this.deployment = new LocalDeployment(assembly, this.admin, gate);
    this.serviceCatalog = new ServiceCatalogStandIn(this.deployment);
    gate.serve('servicecatalog', (call) => this.serviceCatalog.handle(call));
    this.sts = new StsStandIn(gate, (arn) => this.roleByArn(arn));
    gate.serve('sts', (call) => this.sts.handle(call));
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
          const props = await stack.resolve(rule.Properties);
          const targets = [];
          for (const target of props.Targets ?? []) {
            let machine: StateMachineArtifact | undefined;
            for (const candidate of this.assembly.stateMachines(stack.template)) {
              if ((await stack.resource(candidate.logicalId)).ref === target.Arn) {
                machine = candidate;
              }
            }
            if (!machine) {
              throw new Error(`rule ${id}: target ${target.Arn} is not a state machine of ${stack.stackName}; the local environment starts state machines only`);
            }
            if (target.RoleArn && !(await this.gate.authorize(await this.roleOfArn(stack, target.RoleArn), { action: 'states:StartExecution', resource: target.Arn }))) {
              throw new Error(`rule ${id}: its role may not start ${target.Arn}`);
            }
            targets.push({ constructPath: machine.constructPath, input: target.Input ? JSON.parse(target.Input) : undefined });
          }
          out.push({ inbox: await this.subscribe(props.EventBusName ?? 'default', props.EventPattern), targets });
        }
        return out;
      })();
      this.rules.set(stack, p);
    }
    return p;
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
      for (const s of r.Properties.ServiceConnectConfiguration?.Services ?? []) {
        for (const alias of s.ClientAliases ?? []) {
          names.add(alias.DnsName ?? s.PortName);
        }
      }
    }
    this.credentialsEndpoint ??= await CredentialsEndpoint.start();
    const network = TaskNetwork.create([...names]);
    const group = new LocalServiceGroup(network);
    try {
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
            AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: this.credentialsEndpoint.register(principal),
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
    } catch (e) {
      await group.stop();
      throw e;
    }
    this.groups.push(group);
    return group;
  }

  public async stop(): Promise<void> {
    for (const group of this.groups) {
      await group.stop();
    }
    await this.credentialsEndpoint?.stop();
    for (const fn of this.lambdas.values()) {
      await (await fn).stop();
    }
    this.admin.destroy();
    await this.gate.stop();
    await this.moto.stop();
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
