/**
 * STS AssumeRole, stood in for by the IAM gate, so that the sessions it hands out are held to IAM as AWS holds them:
 *
 * - the caller's identity policy must allow `sts:AssumeRole` (and `sts:TagSession` with tags): the gate checked it;
 * - the role's trust policy (from its template) must allow the caller, with the request's tags as condition keys;
 * - the session's credentials are new (access key, secret and session token, all random), and the gate knows them (the
 *   secret and token verify the session's SigV4 signatures, local/http-api.ts): every call made with them is evaluated
 *   against the role's policies, its permissions boundary, the session policy, and the session tags as
 *   `aws:PrincipalTag/<key>`.
 *
 * This is where tenant isolation happens as deployed: a service assumes its tenant-access role with the tenant as a
 * session tag, and DynamoDB calls with that session are allowed on that tenant's partition only.
 */
import { randomBytes } from 'crypto';
import { AwsCall, sessionTags, tagContext } from './aws-requests';
import { isAllowed } from './iam';
import { GatePrincipal, IamGate } from './iam-gate';
import { LOCAL_ACCOUNT } from './moto';
import type { ServiceAnswer } from './service-catalog';

/** What the gate needs to know of a role to let a session assume it. */
export interface AssumableRole {
  readonly arn: string;
  /** The trust policy, resolved. */
  readonly trustPolicy: any;
  readonly identityPolicies: any[];
  readonly boundary?: any;
}

export type RoleLookup = (roleArn: string) => Promise<AssumableRole | undefined>;

export class StsStandIn {
  /** Sessions handed out: role, session name, tags. */
  public readonly sessions: Array<{ readonly roleArn: string; readonly sessionName: string; readonly tags: Record<string, string> }> = [];

  constructor(private readonly gate: IamGate, private readonly roles: RoleLookup) {}

  public async handle(call: AwsCall): Promise<ServiceAnswer> {
    if (call.operation === 'GetCallerIdentity') {
      const caller = this.gate.principal(call.accessKeyId)!;
      return xml('GetCallerIdentity', `<Arn>${caller.arn}</Arn><UserId>${call.accessKeyId}</UserId><Account>${LOCAL_ACCOUNT}</Account>`);
    }
    if (call.operation !== 'AssumeRole') {
      return { status: 400, error: { code: 'InvalidAction', message: `the local STS does not answer ${call.operation}` } };
    }
    const p = call.params as Record<string, string>;
    const caller = this.gate.principal(call.accessKeyId)!;
    const role = await this.roles(p.RoleArn);
    if (!role) {
      return { status: 403, error: { code: 'AccessDenied', message: `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${p.RoleArn}` } };
    }
    const tags = sessionTags(p);
    // The trust policy allows the caller to assume the role, and to tag the session with these tags.
    const trust = (action: string) => isAllowed({
      principal: caller.roleArn ?? caller.arn,
      action,
      resource: role.arn,
      accountId: LOCAL_ACCOUNT,
      context: tagContext(tags),
      identityPolicies: [],
      resourcePolicy: role.trustPolicy,
    });
    const trusted = await trust('sts:AssumeRole') && (Object.keys(tags).length === 0 || await trust('sts:TagSession'));
    if (!trusted) {
      return {
        status: 403,
        error: { code: 'AccessDenied', message: `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${role.arn} (its trust policy does not allow it)` },
      };
    }
    const sessionName = p.RoleSessionName;
    const roleName = role.arn.split('/').pop()!;
    const session: GatePrincipal = {
      accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
      arn: `arn:aws:sts::${LOCAL_ACCOUNT}:assumed-role/${roleName}/${sessionName}`,
      roleArn: role.arn,
      identityPolicies: role.identityPolicies,
      boundary: role.boundary,
      sessionPolicy: p.Policy ? JSON.parse(p.Policy) : undefined,
      tags,
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: randomBytes(48).toString('base64'),
    };
    this.gate.addPrincipal(session);
    this.sessions.push({ roleArn: role.arn, sessionName, tags });
    const expiration = new Date(Date.now() + Number(p.DurationSeconds ?? 3600) * 1000).toISOString();
    return xml('AssumeRole', [
      '<Credentials>',
      `<AccessKeyId>${session.accessKeyId}</AccessKeyId><SecretAccessKey>${session.secretAccessKey}</SecretAccessKey>`,
      `<SessionToken>${session.sessionToken}</SessionToken><Expiration>${expiration}</Expiration>`,
      '</Credentials>',
      `<AssumedRoleUser><AssumedRoleId>AROALOCAL:${sessionName}</AssumedRoleId><Arn>${session.arn}</Arn></AssumedRoleUser>`,
      '<PackedPolicySize>6</PackedPolicySize>',
    ].join(''));
  }
}

function xml(action: string, result: string): ServiceAnswer {
  return {
    status: 200,
    xml: `<${action}Response xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><${action}Result>${result}</${action}Result>`
      + `<ResponseMetadata><RequestId>${randomBytes(8).toString('hex')}</RequestId></ResponseMetadata></${action}Response>`,
  };
}
