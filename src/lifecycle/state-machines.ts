import { CfnResource, Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { TemplateFindings } from '../checks/template-findings';
import { REPLY_FAILED, StepName, STEPS } from '../contract/lifecycle';
import { PER_TENANT, SHARED } from '../contract/sharing';
import { acknowledgeLogGroup, ROLE_DEPENDENCY_REASON } from '../private/findings';

/**
 * The lifecycle's state machines over its worker: onboarding, offboarding, and updates in waves. Each task is one
 * worker step (contract/lifecycle.ts), retried on any error (every step is idempotent) before its failure path. The
 * states are created in the lifecycle's scope, so their ids are the lifecycle's.
 */
export class LifecycleStateMachines {
  constructor(
    private readonly scope: Construct,
    private readonly worker: lambda.IFunction,
    private readonly logRetention: logs.RetentionDays,
    private readonly removalPolicy: RemovalPolicy,
    /** The router opens shards at run time: onboarding opens one when every shard is full. */
    private readonly opensShards = false,
  ) {}

  /**
   * A task that runs one worker step. Its payload is the step's name and `input`: a path is read as an object, a
   * context path (`$$.`) as a string, and a value made with `sfn.JsonPath` stays as it is. Every step is idempotent,
   * so transient faults (throttling, a failed reply) are retried before the failure path, unless `retry` is false.
   */
  private step(id: string, step: StepName, input: Record<string, string | number>, resultPath: string | undefined, retry = true): tasks.LambdaInvoke {
    const payload: Record<string, unknown> = { step };
    for (const [k, v] of Object.entries(input)) {
      payload[k] = typeof v === 'number' || Token.isUnresolved(v) ? v : v.startsWith('$$.') ? sfn.JsonPath.stringAt(v) : sfn.JsonPath.objectAt(v);
    }
    const task = new tasks.LambdaInvoke(this.scope, id, {
      lambdaFunction: this.worker,
      payload: sfn.TaskInput.fromObject(payload),
      payloadResponseOnly: true,
      resultPath: resultPath ?? sfn.JsonPath.DISCARD,
      retryOnServiceExceptions: true,
    });
    if (retry) {
      task.addRetry({ errors: ['States.ALL'], maxAttempts: 3, interval: Duration.seconds(5), backoffRate: 2 });
    }
    return task;
  }

  private machine(id: string, definition: sfn.IChainable): sfn.StateMachine {
    const logGroup = new logs.LogGroup(this.scope, `${id}Logs`, { retention: this.logRetention, removalPolicy: this.removalPolicy });
    acknowledgeLogGroup(logGroup);
    const machine = new sfn.StateMachine(this.scope, id, {
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      timeout: Duration.hours(2),
      tracingEnabled: true,
      logs: {
        destination: logGroup,
        level: sfn.LogLevel.ALL,
        includeExecutionData: false,
      },
    });
    TemplateFindings.acknowledgeCfnLint(machine.node.defaultChild as CfnResource, 'W3005', ROLE_DEPENDENCY_REASON);
    return machine;
  }

  /** Onboards one tenant per execution. */
  public onboarding(): sfn.StateMachine {
    const init = new sfn.Pass(this.scope, 'Init', { result: sfn.Result.fromObject({}), resultPath: '$.provisioned' });
    const start = this.step('StartOnboarding', STEPS.startOnboarding, { detail: '$.detail', execution: '$$.Execution.Id' }, '$.start');
    const shared = this.step('OnboardShared', STEPS.onboardShared, { request: '$.start.request' }, undefined);
    const provision = this.step('ProvisionStack', STEPS.provisionStack, { request: '$.start.request' }, '$.provisioned');
    const wait = new sfn.Wait(this.scope, 'WaitForStack', { time: sfn.WaitTime.duration(Duration.seconds(30)) });
    const check = this.step('CheckStack', STEPS.checkRecord, { recordId: '$.provisioned.recordId' }, '$.record');
    const finish = this.step('FinishStack', STEPS.finishStack, { request: '$.start.request', outputs: '$.record.outputs' }, undefined);
    const done = new sfn.Succeed(this.scope, 'Onboarded');

    // Failure: remove what was provisioned, wait until it is gone, free the slot, answer with the reason.
    const terminate = this.step('TerminateFailedStack', STEPS.terminateStack, { request: '$.start.request' }, '$.terminated');
    const waitGone = new sfn.Wait(this.scope, 'WaitForRemoval', { time: sfn.WaitTime.duration(Duration.seconds(30)) });
    const checkGone = this.step('CheckRemoval', STEPS.checkRecord, { recordId: '$.terminated.recordId' }, '$.removal');
    const fail = this.step('FailOnboarding', STEPS.failOnboarding, { request: '$.start.request', provisioned: '$.provisioned', error: '$.error' }, undefined);
    const failSharedOnly = this.step('FailSharedOnboarding', STEPS.failOnboarding, { request: '$.start.request', error: '$.error' }, undefined);
    const failed = new sfn.Fail(this.scope, 'OnboardingFailed', { error: 'OnboardingFailed', cause: 'The tenant was not provisioned; the failure reply was sent.' });
    terminate.next(new sfn.Choice(this.scope, 'AnythingToRemove?')
      .when(sfn.Condition.isPresent('$.terminated.recordId'), waitGone.next(checkGone).next(new sfn.Choice(this.scope, 'Removed?')
        .when(sfn.Condition.stringEquals('$.removal.status', 'WAIT'), waitGone)
        .otherwise(fail)))
      .otherwise(fail));
    checkGone.addCatch(fail, { resultPath: '$.removalError' });
    terminate.addCatch(fail, { resultPath: '$.removalError' });
    for (const t of [fail, failSharedOnly]) {
      t.next(failed);
    }

    // A tenant that is ACTIVE but whose success reply could not be sent is kept: the execution fails (and is
    // alarmed); delivering the same request again answers from the registry.
    const replyNotSent = new sfn.Fail(this.scope, 'ReplyNotSent', {
      error: REPLY_FAILED,
      cause: 'The tenant is provisioned and ACTIVE, but the control plane was not told. Deliver the onboarding request again: it answers from the registry.',
    });
    for (const t of [finish, shared]) {
      t.addCatch(replyNotSent, { errors: [REPLY_FAILED], resultPath: '$.error' });
    }
    for (const t of [provision, check, finish]) {
      t.addCatch(terminate, { resultPath: '$.error' });
    }
    shared.addCatch(failSharedOnly, { resultPath: '$.error' });
    shared.next(done);
    const stackReady = wait.next(check).next(new sfn.Choice(this.scope, 'StackReady?')
      .when(sfn.Condition.stringEquals('$.record.status', 'WAIT'), wait)
      .otherwise(finish.next(done)));
    let stackPath: sfn.IChainable;
    if (!this.opensShards) {
      stackPath = provision.next(stackReady);
    } else {
      // Every shard full: open one (or wait for the one another onboarding opens), then take a slot on it.
      const openShard = this.step('OpenShard', STEPS.openShard, { request: '$.start.request' }, '$.opening');
      const waitShard = new sfn.Wait(this.scope, 'WaitForShard', { time: sfn.WaitTime.duration(Duration.seconds(30)) });
      const checkShard = this.step('CheckShard', STEPS.checkShard, { shard: sfn.JsonPath.numberAt('$.opening.shard') }, '$.shardState');
      for (const t of [openShard, checkShard]) {
        t.addCatch(terminate, { resultPath: '$.error' });
      }
      stackPath = provision.next(new sfn.Choice(this.scope, 'ShardNeeded?')
        .when(sfn.Condition.and(sfn.Condition.isPresent('$.provisioned.openShard'), sfn.Condition.booleanEquals('$.provisioned.openShard', true)),
          openShard.next(waitShard).next(checkShard).next(new sfn.Choice(this.scope, 'ShardOpen?')
            .when(sfn.Condition.stringEquals('$.shardState.status', 'WAIT'), waitShard)
            .otherwise(provision)))
        .otherwise(stackReady));
    }
    const definition = init.next(start).next(new sfn.Choice(this.scope, 'Tier')
      .when(sfn.Condition.stringEquals('$.start.next', SHARED), shared)
      .when(sfn.Condition.stringEquals('$.start.next', PER_TENANT), stackPath)
      .otherwise(done));
    return this.machine('Onboarding', definition);
  }

  /** Rolls a template version out to a tier's active tenants, in waves. */
  public updates(): sfn.StateMachine {
    const plan = this.step('PlanWaves', STEPS.planWaves, { tierName: sfn.JsonPath.stringAt('$.tierName'), waveSize: sfn.JsonPath.numberAt('$.waveSize') }, '$.plan', false);
    const update = this.step('UpdateStack', STEPS.updateStack, {
      tenantId: sfn.JsonPath.stringAt('$.tenantId'),
      tierName: sfn.JsonPath.stringAt('$.tierName'),
      version: sfn.JsonPath.stringAt('$.version'),
      token: sfn.JsonPath.stringAt('$.token'),
    }, '$.update', false);
    const wait = new sfn.Wait(this.scope, 'WaitForUpdate', { time: sfn.WaitTime.duration(Duration.seconds(30)) });
    const check = this.step('CheckUpdate', STEPS.checkRecord, { recordId: '$.update.recordId' }, '$.record');
    const tenantDone = new sfn.Succeed(this.scope, 'TenantUpdated');
    const perTenant = update.next(wait).next(check).next(new sfn.Choice(this.scope, 'UpdateDone?')
      .when(sfn.Condition.stringEquals('$.record.status', 'WAIT'), wait)
      .otherwise(tenantDone));
    const tenants = new sfn.Map(this.scope, 'UpdateWave', {
      itemsPath: '$.wave',
      maxConcurrency: 0,
      itemSelector: {
        'tenantId.$': '$$.Map.Item.Value',
        'tierName.$': '$.tierName',
        'version.$': '$.version',
        'token.$': '$.token',
      },
      resultPath: sfn.JsonPath.DISCARD,
    }).itemProcessor(perTenant);
    const waves = new sfn.Map(this.scope, 'Waves', {
      itemsPath: '$.plan.waves',
      // One wave at a time: a failed tenant fails its wave, and the execution stops there.
      maxConcurrency: 1,
      itemSelector: {
        'wave.$': '$$.Map.Item.Value',
        'tierName.$': '$.tierName',
        'version.$': '$.version',
        'token.$': '$$.Execution.Name',
      },
      resultPath: sfn.JsonPath.DISCARD,
    }).itemProcessor(tenants);
    return this.machine('Update', plan.next(waves).next(new sfn.Succeed(this.scope, 'Updated')));
  }

  /** Suspends or reactivates one tenant per execution (the request's detail type says which). */
  public statusChanges(): sfn.StateMachine {
    const change = this.step('ChangeStatus', STEPS.changeStatus, { detail: '$.detail', detailType: '$.detail-type' }, undefined);
    const fail = this.step('FailStatusChange', STEPS.failStatusChange, { detail: '$.detail', detailType: '$.detail-type', error: '$.error' }, undefined);
    fail.next(new sfn.Fail(this.scope, 'StatusChangeFailed', { error: 'StatusChangeFailed', cause: 'The tenant\'s status did not change; the failure reply was sent.' }));
    change.addCatch(fail, { resultPath: '$.error' });
    return this.machine('StatusChange', change.next(new sfn.Succeed(this.scope, 'StatusChanged')));
  }

  /** Offboards one tenant per execution. */
  public offboarding(): sfn.StateMachine {
    const start = this.step('StartOffboarding', STEPS.startOffboarding, { detail: '$.detail', execution: '$$.Execution.Id' }, '$.start');
    const users = this.step('RemoveSharedUsers', STEPS.removeSharedUsers, { request: '$.start.request' }, undefined);
    const terminate = this.step('TerminateStack', STEPS.terminateStack, { request: '$.start.request' }, '$.terminated');
    const wait = new sfn.Wait(this.scope, 'WaitForStackRemoval', { time: sfn.WaitTime.duration(Duration.seconds(30)) });
    const check = this.step('CheckStackRemoval', STEPS.checkRecord, { recordId: '$.terminated.recordId' }, '$.record');
    const finish = this.step('FinishOffboarding', STEPS.finishOffboarding, { request: '$.start.request' }, undefined);
    const fail = this.step('FailOffboarding', STEPS.failOffboarding, { request: '$.start.request', error: '$.error' }, undefined);
    const done = new sfn.Succeed(this.scope, 'Offboarded');
    fail.next(new sfn.Fail(this.scope, 'OffboardingFailed', { error: 'OffboardingFailed', cause: 'The tenant was not fully removed; the failure reply was sent.' }));
    for (const t of [users, terminate, check, finish]) {
      t.addCatch(fail, { resultPath: '$.error' });
    }
    finish.next(done);
    const stackPath = terminate.next(new sfn.Choice(this.scope, 'StackExists?')
      .when(sfn.Condition.isPresent('$.terminated.recordId'), wait.next(check).next(new sfn.Choice(this.scope, 'StackRemoved?')
        .when(sfn.Condition.stringEquals('$.record.status', 'WAIT'), wait)
        .otherwise(finish)))
      .otherwise(finish));
    const definition = start.next(new sfn.Choice(this.scope, 'OffboardTier')
      .when(sfn.Condition.stringEquals('$.start.next', SHARED), users.next(finish))
      .when(sfn.Condition.stringEquals('$.start.next', PER_TENANT), stackPath)
      .otherwise(done));
    return this.machine('Offboarding', definition);
  }
}
