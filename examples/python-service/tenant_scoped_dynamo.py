"""Tenant-scoped DynamoDB clients for a Python service that uses ScopedDynamoAccess.

The Python counterpart of the TypeScript runtime helper ``cdk-ecs-saas/lib/runtime`` (``TenantScopedDynamo``),
as a sample to copy into a service: it needs boto3 (botocore) and the standard library, never the construct
library (whose wheel loads jsii and Node.js). See docs/runtime-helper.md, "Python and Java services".

    from tenant_scoped_dynamo import TenantScopedDynamo

    scoped = TenantScopedDynamo.from_environment()       # once per process
    ...
    ddb = scoped.client(tenant_id)                         # per request; tenant_id from the verified token
    ddb.put_item(TableName=table, Item={'tenantId': {'S': tenant_id}, ...})

Behaviour (the same as the TypeScript helper):

- Credentials are cached per tenant and renewed ``refresh_margin_seconds`` (default 300) before they expire.
- Concurrent requests for one tenant share ONE in-flight ``AssumeRole`` call (a lock and a future per tenant).
- At most ``max_cached_tenants`` (default 1000) tenants are kept; the least recently used go first.
- An STS error reaches every waiting caller as ``TenantCredentialsError`` naming the tenant and the role (the
  original error is its ``__cause__``) and is not cached. A refresh that fails while the cached credentials are
  still valid serves the cached ones (``stats.stale_on_error``).
- The tenant id is checked against the tenant-id pattern before any call (``ValueError``).
- ``SESSION_TAGS``: ``AssumeRole`` with ``Tags=[{Key: <tag key>, Value: <tenant>}]`` (no transitive tag keys).
- ``SESSION_POLICY``: ``AssumeRole`` with the session-policy template, parsed as JSON, in which every string value
  equal to the placeholder is replaced by the tenant id; never text substitution, so a tenant id cannot inject
  policy text.
- ``FIXED_TENANT``: no STS call (the task role is already fenced); any other tenant is refused.
- No call waits forever: every client the helper creates (the tenants' DynamoDB clients, the fixed tenant's, and
  the STS client unless you pass one) has a connection timeout (``connection_timeout_ms``, default 1000) and a read
  timeout per attempt (``request_timeout_ms``, default 3000), and botocore's standard retry mode (3 attempts, 4 for
  DynamoDB, with short backoff). A held connection costs a DynamoDB request 4 attempts of 3 s, not botocore's
  defaults: 10 attempts of 60 s each, over ten minutes with their backoff. A ``config`` in ``client_kwargs`` is merged
  over these.

Each tenant's client is a botocore client whose credentials are ``RefreshableCredentials`` fed by this cache: the
client itself only asks the cache again from ``refresh_margin_seconds`` before expiry, then one request refreshes
while the others carry on with the current credentials until the last minute.

Pass only a tenant id taken from a verified token: the helper scopes access to whatever tenant it is given.
"""

import datetime
import json
import os
import re
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Callable, Dict, Mapping, Optional

import botocore.session
from botocore.config import Config
from botocore.credentials import CredentialProvider, CredentialResolver, DeferredRefreshableCredentials

# The contract with the construct (src/contract/environment.ts and src/contract/tenant-id.ts); the repository's
# test/python-runtime.test.ts checks that these equal the TypeScript values.
ENV_SCOPING = 'SCOPED_DYNAMO_SCOPING'
ENV_ROLE_ARN = 'SCOPED_DYNAMO_ROLE_ARN'
ENV_TAG_KEY = 'SCOPED_DYNAMO_TAG_KEY'
ENV_SESSION_POLICY = 'SCOPED_DYNAMO_SESSION_POLICY'
ENV_TENANT_ID = 'SCOPED_DYNAMO_TENANT_ID'
TENANT_ID_PLACEHOLDER = '<<tenant-id>>'
TENANT_ID_PATTERN = r'^[a-z0-9](?:[a-z0-9-]{0,34}[a-z0-9])?$'
TENANT_ID_RULE = (
    '1 to 36 characters of lowercase letters, digits and hyphens, starting and ending with a letter or digit'
)
SCOPINGS = ('SESSION_TAGS', 'SESSION_POLICY', 'FIXED_TENANT')

# fullmatch, not match: in Python '$' also matches before a trailing newline, so re.match would accept 'alpha\n'.
_TENANT_ID = re.compile(TENANT_ID_PATTERN)
_METHOD = 'tenant-scoped-dynamo'
# In the last minute before expiry (or the margin, if shorter) every request waits for the refresh.
_MANDATORY_REFRESH_SECONDS = 60


def is_valid_tenant_id(tenant_id: Any) -> bool:
    """Whether ``tenant_id`` follows the tenant-id rule (docs/tenant-ids.md)."""
    return isinstance(tenant_id, str) and _TENANT_ID.fullmatch(tenant_id) is not None


def render_session_policy(template: Any, tenant_id: str) -> Any:
    """The parsed session-policy template with every string value equal to the placeholder replaced by the tenant
    id. Keys and strings that merely contain the placeholder are left alone (no text substitution)."""
    if template == TENANT_ID_PLACEHOLDER:
        return tenant_id
    if isinstance(template, list):
        return [render_session_policy(v, tenant_id) for v in template]
    if isinstance(template, dict):
        return {k: render_session_policy(v, tenant_id) for k, v in template.items()}
    return template


def _has_placeholder_value(value: Any) -> bool:
    if value == TENANT_ID_PLACEHOLDER:
        return True
    if isinstance(value, list):
        return any(_has_placeholder_value(v) for v in value)
    if isinstance(value, dict):
        return any(_has_placeholder_value(v) for v in value.values())
    return False


class TenantCredentialsError(RuntimeError):
    """AssumeRole for a tenant failed; the original error is ``__cause__``."""


@dataclass(frozen=True)
class TenantCredentials:
    """Temporary credentials for one tenant."""

    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: datetime.datetime
    account_id: Optional[str] = None

    def metadata(self) -> Dict[str, Any]:
        """The form botocore's RefreshableCredentials refresh from."""
        return {
            'access_key': self.access_key_id,
            'secret_key': self.secret_access_key,
            'token': self.session_token,
            'expiry_time': self.expiration.isoformat(),
            'account_id': self.account_id,
        }


@dataclass(frozen=True)
class Stats:
    """What the cache has saved."""

    sts_calls: int = 0
    """AssumeRole calls made."""
    cache_hits: int = 0
    """Credential lookups answered from the cache (a client asks only when its own copy is due for refresh)."""
    shared_calls: int = 0
    """Lookups that joined an AssumeRole call already under way for the same tenant."""
    stale_on_error: int = 0
    """Refreshes that failed while the cached credentials were still valid, so the cached ones were used."""


class _TenantCredentialSource(DeferredRefreshableCredentials):
    """botocore credentials of one tenant's client, refreshed through the helper's cache."""

    def __init__(self, refresh_using: Callable[[], Dict[str, Any]], time_fetcher, margin: float):
        super().__init__(refresh_using=refresh_using, method=_METHOD, time_fetcher=time_fetcher)
        # The constructor arguments of RefreshableCredentials (advisory_timeout, mandatory_timeout) set the same.
        self._advisory_refresh_timeout = margin
        self._mandatory_refresh_timeout = min(margin, _MANDATORY_REFRESH_SECONDS)


class _Provider(CredentialProvider):
    METHOD = _METHOD

    def __init__(self, credentials):
        super().__init__()
        self._credentials = credentials

    def load(self):
        return self._credentials


class TenantScopedDynamo:
    """Gives a service a DynamoDB client scoped to one tenant.

    One AssumeRole call per tenant per credential lifetime, not one per request. Thread-safe: share one instance
    in the process.
    """

    @classmethod
    def from_environment(cls, env: Optional[Mapping[str, str]] = None, **options: Any) -> 'TenantScopedDynamo':
        """Builds the helper from the environment variables that ``ScopedDynamoAccess.addToContainer`` sets.
        ``options`` are the other constructor arguments (and may override the environment)."""
        env = os.environ if env is None else env
        scoping = env.get(ENV_SCOPING)
        if scoping not in SCOPINGS:
            raise ValueError(
                f"{ENV_SCOPING} must be SESSION_TAGS, SESSION_POLICY or FIXED_TENANT; got '{scoping or ''}'. "
                'Is ScopedDynamoAccess.addToContainer applied to this container?'
            )
        values = {
            'scoping': scoping,
            'role_arn': env.get(ENV_ROLE_ARN),
            'tag_key': env.get(ENV_TAG_KEY),
            'session_policy_template': env.get(ENV_SESSION_POLICY),
            'tenant_id': env.get(ENV_TENANT_ID),
        }
        values.update(options)
        return cls(**values)

    def __init__(
        self,
        scoping: str,
        role_arn: Optional[str] = None,
        tag_key: Optional[str] = None,
        session_policy_template: Optional[str] = None,
        tenant_id: Optional[str] = None,
        sts_client: Any = None,
        region_name: Optional[str] = None,
        client_kwargs: Optional[Mapping[str, Any]] = None,
        session_duration_seconds: int = 3600,
        refresh_margin_seconds: float = 300,
        max_cached_tenants: int = 1000,
        connection_timeout_ms: int = 1000,
        request_timeout_ms: int = 3000,
        now: Callable[[], float] = time.time,
    ):
        """
        :param scoping: SESSION_TAGS, SESSION_POLICY or FIXED_TENANT.
        :param role_arn: the tenant-access role (SESSION_TAGS and SESSION_POLICY).
        :param tag_key: the session tag key that carries the tenant id (SESSION_TAGS).
        :param session_policy_template: the JSON session-policy template with the placeholder (SESSION_POLICY).
        :param tenant_id: the one tenant this service serves (FIXED_TENANT).
        :param sts_client: the STS client to use. Default: a botocore STS client with the default credential chain.
        :param region_name: Region of the DynamoDB clients. Default: the environment's (AWS_REGION).
        :param client_kwargs: more arguments of ``create_client('dynamodb', ...)`` (endpoint_url, config...). The
            options of a ``config`` given here win over the helper's timeouts and retry mode (``Config.merge``).
        :param session_duration_seconds: 900 to 3600 (role chaining caps sessions at one hour).
        :param refresh_margin_seconds: credentials are renewed this long before they expire.
        :param max_cached_tenants: most tenants whose credentials and client are kept.
        :param connection_timeout_ms: longest wait for a TCP connection to DynamoDB or STS, in milliseconds; a
            connection that takes longer fails the attempt, and botocore retries it. Applies to the clients the helper
            creates (not to ``sts_client``).
        :param request_timeout_ms: longest wait for an answer on an open connection, in milliseconds, per attempt
            (botocore's ``read_timeout``); a held connection fails the attempt, which botocore retries. Applies like
            ``connection_timeout_ms``.
        :param now: clock in seconds since the epoch, for tests.
        """
        self._scoping = scoping
        self._role_arn = role_arn
        self._tag_key = tag_key
        self._tenant_id = tenant_id
        self._policy_template: Any = None
        if scoping == 'FIXED_TENANT':
            if not tenant_id:
                raise ValueError('tenant_id is required with scoping FIXED_TENANT.')
        elif scoping == 'SESSION_TAGS':
            if not role_arn or not tag_key:
                raise ValueError('role_arn and tag_key are required with scoping SESSION_TAGS.')
        elif scoping == 'SESSION_POLICY':
            if not role_arn or not session_policy_template:
                raise ValueError('role_arn and session_policy_template are required with scoping SESSION_POLICY.')
            self._policy_template = json.loads(session_policy_template)
            if not _has_placeholder_value(self._policy_template):
                raise ValueError(
                    f'session_policy_template has no {TENANT_ID_PLACEHOLDER} value: '
                    'it would not scope sessions to a tenant.'
                )
        else:
            raise ValueError(f"scoping must be SESSION_TAGS, SESSION_POLICY or FIXED_TENANT; got '{scoping}'.")
        if not isinstance(session_duration_seconds, int) or not 900 <= session_duration_seconds <= 3600:
            raise ValueError(
                f'session_duration_seconds must be a whole number from 900 to 3600; got {session_duration_seconds}.'
            )
        if not 0 <= refresh_margin_seconds < session_duration_seconds:
            raise ValueError(
                f'refresh_margin_seconds must be at least 0 and less than the session ({session_duration_seconds} s); '
                f'got {refresh_margin_seconds}.'
            )
        if not isinstance(max_cached_tenants, int) or max_cached_tenants < 1:
            raise ValueError(f'max_cached_tenants must be a whole number of at least 1; got {max_cached_tenants}.')
        timeouts = (('connection_timeout_ms', connection_timeout_ms), ('request_timeout_ms', request_timeout_ms))
        for name, value in timeouts:
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f'{name} must be a whole number of milliseconds, at least 1; got {value!r}.')
        self._duration = session_duration_seconds
        self._margin = refresh_margin_seconds
        self._max = max_cached_tenants
        self._now = now
        self._region_name = region_name
        # No call waits forever: connection and read timeouts on every client the helper creates, and the standard
        # retry mode (3 attempts, 4 for DynamoDB; the legacy default makes up to 10 for DynamoDB, each of which would
        # wait 60 s by default, with 25 s of backoff in all). AWS_MAX_ATTEMPTS still sets the number of attempts.
        self._config = Config(
            connect_timeout=connection_timeout_ms / 1000,
            read_timeout=request_timeout_ms / 1000,
            retries={'mode': 'standard'},
        )
        self._client_kwargs = dict(client_kwargs or {})
        given = self._client_kwargs.get('config')
        self._client_kwargs['config'] = self._config.merge(given) if given is not None else self._config

        # One botocore session for the STS and fixed-tenant clients; its data loader (the parsed service models) is
        # shared by every tenant's session, which makes a tenant's client about ten times cheaper to create.
        self._base = botocore.session.Session()
        self._loader = self._base.get_component('data_loader')
        self._sts = None
        if scoping != 'FIXED_TENANT':
            self._sts = sts_client or self._base.create_client('sts', region_name=region_name, config=self._config)

        self._lock = threading.Lock()
        self._credentials: 'OrderedDict[str, TenantCredentials]' = OrderedDict()
        self._clients: 'OrderedDict[str, Any]' = OrderedDict()
        self._in_flight: Dict[str, Future] = {}
        self._fixed_client = None
        self._counts = {'sts_calls': 0, 'cache_hits': 0, 'shared_calls': 0, 'stale_on_error': 0}

    @property
    def stats(self) -> Stats:
        """What the cache has saved so far."""
        with self._lock:
            return Stats(**self._counts)

    def client(self, tenant_id: str):
        """A DynamoDB client that can reach only ``tenant_id``'s data. The client is reused for the tenant and
        renews its credentials through the cache."""
        self._check_tenant_id(tenant_id)
        if self._scoping == 'FIXED_TENANT':
            with self._lock:
                if self._fixed_client is None:
                    self._fixed_client = self._base.create_client(
                        'dynamodb', region_name=self._region_name, **self._client_kwargs
                    )
                return self._fixed_client
        with self._lock:
            client = self._clients.get(tenant_id)
            if client is not None:
                self._touch(self._clients, tenant_id, client)
                return client
        # Created outside the lock (a few milliseconds); if two threads race, the first stored wins and the other
        # client is dropped before it has fetched any credentials.
        client = self._new_client(tenant_id)
        with self._lock:
            client = self._clients.get(tenant_id, client)
            self._touch(self._clients, tenant_id, client)
            return client

    def credentials(self, tenant_id: str) -> TenantCredentials:
        """Temporary credentials scoped to ``tenant_id``, from the cache when they are still fresh."""
        self._check_tenant_id(tenant_id)
        if self._scoping == 'FIXED_TENANT':
            raise RuntimeError(
                'credentials() is not available with scoping FIXED_TENANT: the task role is already scoped.'
            )
        with self._lock:
            cached = self._credentials.get(tenant_id)
            if cached is not None and cached.expiration.timestamp() - self._margin > self._now():
                self._counts['cache_hits'] += 1
                self._touch(self._credentials, tenant_id, cached)
                return cached
            pending = self._in_flight.get(tenant_id)
            if pending is not None:
                self._counts['shared_calls'] += 1
            else:
                leader = self._in_flight[tenant_id] = Future()
        if pending is not None:
            return pending.result()  # raises the leader's error, if any

        try:
            fresh = self._assume_role(tenant_id)
        except Exception as error:
            with self._lock:
                del self._in_flight[tenant_id]
                # A failed refresh (throttling, a network blip) must not break a tenant whose credentials still work.
                stale = cached is not None and cached.expiration.timestamp() > self._now()
                if stale:
                    self._counts['stale_on_error'] += 1
            if stale:
                leader.set_result(cached)
                return cached
            leader.set_exception(error)
            raise
        except BaseException as error:  # KeyboardInterrupt, SystemExit: release the waiters, then go
            with self._lock:
                del self._in_flight[tenant_id]
            leader.set_exception(error)
            raise
        with self._lock:
            del self._in_flight[tenant_id]
            self._touch(self._credentials, tenant_id, fresh)
        leader.set_result(fresh)
        return fresh

    def _new_client(self, tenant_id: str):
        session = botocore.session.Session()
        session.register_component('data_loader', self._loader)
        source = _TenantCredentialSource(
            refresh_using=lambda: self.credentials(tenant_id).metadata(),
            time_fetcher=lambda: datetime.datetime.fromtimestamp(self._now(), tz=datetime.timezone.utc),
            margin=self._margin,
        )
        session.register_component('credential_provider', CredentialResolver([_Provider(source)]))
        return session.create_client('dynamodb', region_name=self._region_name, **self._client_kwargs)

    def _touch(self, cache: 'OrderedDict[str, Any]', key: str, value: Any) -> None:
        """Puts ``key`` last in least-recently-used order and drops the oldest entries over the limit (holding the
        lock)."""
        cache[key] = value
        cache.move_to_end(key)
        while len(cache) > self._max:
            cache.popitem(last=False)

    def _assume_role(self, tenant_id: str) -> TenantCredentials:
        with self._lock:
            self._counts['sts_calls'] += 1
        request: Dict[str, Any] = {
            'RoleArn': self._role_arn,
            'RoleSessionName': f'tenant-{tenant_id}',
            'DurationSeconds': self._duration,
        }
        if self._scoping == 'SESSION_TAGS':
            request['Tags'] = [{'Key': self._tag_key, 'Value': tenant_id}]
        else:
            policy = render_session_policy(self._policy_template, tenant_id)
            request['Policy'] = json.dumps(policy, separators=(',', ':'))
        try:
            response = self._sts.assume_role(**request)
        except Exception as error:
            raise TenantCredentialsError(
                f"AssumeRole for tenant '{tenant_id}' on {self._role_arn} failed: {error}"
            ) from error
        c = response.get('Credentials') or {}
        if not all(c.get(k) for k in ('AccessKeyId', 'SecretAccessKey', 'SessionToken', 'Expiration')):
            raise TenantCredentialsError(f"AssumeRole for tenant '{tenant_id}' returned no credentials.")
        arn = (response.get('AssumedRoleUser') or {}).get('Arn', '')
        return TenantCredentials(
            access_key_id=c['AccessKeyId'],
            secret_access_key=c['SecretAccessKey'],
            session_token=c['SessionToken'],
            expiration=c['Expiration'],
            account_id=arn.split(':')[4] if arn.count(':') >= 5 else None,
        )

    def _check_tenant_id(self, tenant_id: Any) -> None:
        if not is_valid_tenant_id(tenant_id):
            raise ValueError(f"tenant_id must be {TENANT_ID_RULE}; got {tenant_id!r}.")
        if self._scoping == 'FIXED_TENANT' and tenant_id != self._tenant_id:
            raise ValueError(f"This service serves tenant '{self._tenant_id}' only; got '{tenant_id}'.")
