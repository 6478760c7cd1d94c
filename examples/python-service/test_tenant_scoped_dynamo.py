"""Tests of tenant_scoped_dynamo against a real moto server (STS, IAM and DynamoDB over HTTP).

Run from this directory with the repository's venv (`npx projen local:setup` installs it):

    ../../.venv/bin/python -m unittest -v

The tests start `moto_server` on a free loopback port, or use the one at MOTO_ENDPOINT. They need no reset of the
server: each test assumes its own role (a unique ARN), and every assertion about STS reads what the server recorded
for that role: the sessions it issued (`/moto-api/data.json`) and the requests it received (moto's recorder).
Faults (a slow or failing STS) are injected with botocore event hooks on the STS client the helper is given.
"""

import base64
import datetime
import json
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from unittest import mock

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectTimeoutError, ReadTimeoutError

from tenant_scoped_dynamo import (
    ENV_ROLE_ARN,
    ENV_SCOPING,
    ENV_SESSION_POLICY,
    ENV_TAG_KEY,
    ENV_TENANT_ID,
    TENANT_ID_PLACEHOLDER,
    Stats,
    TenantCredentialsError,
    TenantScopedDynamo,
    render_session_policy,
)

REGION = 'us-east-1'
ACCOUNT = '123456789012'
TABLE = f'tenant-items-{uuid.uuid4().hex[:8]}'  # unique, so a shared MOTO_ENDPOINT needs no cleanup first
TENANTS = ('alpha', 'beta', 'gamma')
MARGIN = 300
POLICY_TEMPLATE = {
    'Version': '2012-10-17',
    'Statement': [
        {
            'Effect': 'Allow',
            'Action': ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'],
            'Resource': [f'arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{TABLE}'],
            'Condition': {
                'ForAllValues:StringEquals': {'dynamodb:LeadingKeys': [TENANT_ID_PLACEHOLDER]},
                'Null': {'dynamodb:LeadingKeys': 'false'},
            },
        },
        {
            # Contains the placeholder but is not equal to it: must be left alone.
            'Effect': 'Deny',
            'Action': 'dynamodb:Query',
            'Resource': f'arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{TABLE}/index/{TENANT_ID_PLACEHOLDER}',
        },
    ],
}

_endpoint = None  # the moto server's URL, set by setUpClass


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _moto(path, method='GET'):
    request = urllib.request.Request(_endpoint + path, method=method)
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read()


def _start_moto(workdir, cleanups):
    """Starts moto_server on a free loopback port, with its recorder writing into workdir; returns its URL."""
    port = _free_port()
    log_path = os.path.join(workdir, 'moto.log')
    with open(log_path, 'w') as log:
        server = subprocess.Popen(
            [sys.executable, '-m', 'moto.server', '-H', '127.0.0.1', '-p', str(port)],
            stdout=log, stderr=subprocess.STDOUT, cwd=workdir,
            env={**os.environ, 'MOTO_RECORDER_FILEPATH': os.path.join(workdir, 'recording')},
        )
    cleanups(lambda: (server.terminate(), server.wait(10)))
    url = f'http://127.0.0.1:{port}'
    deadline = time.time() + 30
    while True:
        try:
            urllib.request.urlopen(url + '/moto-api/data.json', timeout=5).close()
            return url
        except OSError:
            if server.poll() is not None or time.time() > deadline:
                with open(log_path) as f:
                    raise RuntimeError(f'moto_server did not answer on port {port}: {f.read()[-2000:]}')
            time.sleep(0.1)


def _use_environment(env, cleanups):
    """Sets the AWS environment of the tests (and removes what could leak in from the machine) until cleanup."""
    names = list(env) + [
        'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_MAX_ATTEMPTS', 'AWS_RETRY_MODE', 'AWS_ENDPOINT_URL_STS',
    ]
    saved = {name: os.environ.pop(name, None) for name in names}
    os.environ.update(env)

    def restore():
        for name, value in saved.items():
            os.environ.pop(name, None)
            if value is not None:
                os.environ[name] = value

    cleanups(restore)


def issued_sessions(role_arn):
    """The sessions moto issued for a role: its record of each AssumeRole (session name, policy, access key)."""
    data = json.loads(_moto('/moto-api/data.json'))
    return [r for r in data.get('sts', {}).get('AssumedRole', []) if r['role_arn'] == role_arn]


def recorded_requests():
    """Every request moto received since recording started: method, headers, decoded body."""
    out = []
    for line in _moto('/moto-api/recorder/download-recording').decode().splitlines():
        entry = json.loads(line)
        body = entry.get('body') or ''
        if entry.get('body_encoded'):
            body = base64.b64decode(body).decode('utf-8', 'replace')
        out.append({'headers': entry['headers'], 'body': body})
    return out


def recorded_assume_roles(role_arn):
    """The AssumeRole requests moto received for a role, as their query parameters."""
    calls = []
    for r in recorded_requests():
        params = {k: v[0] for k, v in urllib.parse.parse_qs(r['body']).items()}
        if params.get('Action') == 'AssumeRole' and params.get('RoleArn') == role_arn:
            calls.append(params)
    return calls


def recorded_puts(run):
    """The PutItem requests of one test run: (tenantId of the item, access key that signed the request)."""
    puts = []
    for r in recorded_requests():
        if r['headers'].get('X-Amz-Target', '').endswith('.PutItem'):
            item = json.loads(r['body'])['Item']
            if item['id']['S'].startswith(run):
                credential = r['headers']['Authorization'].split('Credential=')[1].split('/')[0]
                puts.append((item['tenantId']['S'], credential))
    return puts


class Clock:
    """The helper's clock: real time plus an offset that a test moves forward."""

    def __init__(self):
        self.offset = 0.0

    def __call__(self):
        return time.time() + self.offset

    def set(self, epoch_seconds):
        self.offset = epoch_seconds - time.time()


class Sts:
    """An STS client with fault injection: a delay, a gate, an error. Counts the calls that reach it. With a clock,
    credential expiry is shifted onto the clock's time, as if the server's clock were the test's."""

    def __init__(self, clock=None):
        self.client = boto3.client('sts')
        self._lock = threading.Lock()
        self.calls = 0
        self.delay = 0.0
        self.gate = None
        self.error = None
        self.clock = clock
        self.client.meta.events.register('before-call.sts.AssumeRole', self._before)
        self.client.meta.events.register('after-call.sts.AssumeRole', self._after)

    def _before(self, **_):
        with self._lock:
            self.calls += 1
        if self.gate:
            self.gate()
        time.sleep(self.delay)
        if self.error:
            raise ClientError({'Error': {'Code': self.error[0], 'Message': self.error[1]}}, 'AssumeRole')

    def _after(self, parsed, **_):
        if self.clock and 'Credentials' in parsed:
            parsed['Credentials']['Expiration'] += datetime.timedelta(seconds=self.clock.offset)


class HeldConnections:
    """A local server that accepts connections and never answers (a dependency that hangs); counts what it accepted.
    """

    def __init__(self):
        self._server = socket.create_server(('127.0.0.1', 0))
        self._server.settimeout(0.05)  # so that the accepting thread sees close() soon
        self.endpoint = f'http://127.0.0.1:{self._server.getsockname()[1]}'
        self._held = []
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self):
        while not self._closed.is_set():
            try:
                connection, _ = self._server.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self._held.append(connection)

    @property
    def accepted(self):
        return len(self._held)

    def close(self):
        self._closed.set()
        self._thread.join(5)
        self._server.close()
        for connection in self._held:
            connection.close()


class NeverAccepted:
    """A local server whose accept queue is full and never served: the kernel drops new connections' SYNs, so
    connecting hangs (Linux, with the default net.ipv4.tcp_abort_on_overflow=0)."""

    def __init__(self):
        self._server = socket.socket()
        self._server.bind(('127.0.0.1', 0))
        self._server.listen(0)
        address = self._server.getsockname()
        self.endpoint = f'http://127.0.0.1:{address[1]}'
        self._queued = []
        while True:
            probe = socket.socket()
            probe.settimeout(0.2)
            try:
                probe.connect(address)
            except socket.timeout:
                probe.close()
                return  # the queue is full: connecting now hangs
            self._queued.append(probe)
            if len(self._queued) > 16:
                self.close()
                raise RuntimeError('the accept queue never filled: connecting to a full queue does not hang here')

    def close(self):
        for probe in self._queued:
            probe.close()
        self._server.close()


def attempts_of(client):
    """Counts the attempts (sent requests, retries included) a botocore client makes from now on."""
    count = []
    client.meta.events.register('before-send', lambda **_: count.append(1))
    return count


class TenantScopedDynamoTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        global _endpoint
        workdir = tempfile.mkdtemp(prefix='tenant-scoped-dynamo-')
        cls.addClassCleanup(shutil.rmtree, workdir, ignore_errors=True)
        _endpoint = os.environ.get('MOTO_ENDPOINT') or _start_moto(workdir, cls.addClassCleanup)
        none = os.path.join(workdir, 'none')  # no profile or config file of the machine
        _use_environment({
            'AWS_ENDPOINT_URL': _endpoint,
            'AWS_ACCESS_KEY_ID': 'testing',
            'AWS_SECRET_ACCESS_KEY': 'testing',
            'AWS_DEFAULT_REGION': REGION,
            'AWS_REGION': REGION,
            'AWS_EC2_METADATA_DISABLED': 'true',
            'AWS_CONFIG_FILE': none,
            'AWS_SHARED_CREDENTIALS_FILE': none,
        }, cls.addClassCleanup)
        _moto('/moto-api/recorder/start-recording', 'POST')
        cls.addClassCleanup(_moto, '/moto-api/recorder/stop-recording', 'POST')
        logging.getLogger('botocore.credentials').setLevel(logging.ERROR)  # the refresh warnings of the fault tests
        dynamodb = boto3.client('dynamodb')
        dynamodb.create_table(
            TableName=TABLE,
            KeySchema=[{'AttributeName': 'tenantId', 'KeyType': 'HASH'}, {'AttributeName': 'id', 'KeyType': 'RANGE'}],
            AttributeDefinitions=[
                {'AttributeName': 'tenantId', 'AttributeType': 'S'},
                {'AttributeName': 'id', 'AttributeType': 'S'},
            ],
            BillingMode='PAY_PER_REQUEST',
        )
        cls.addClassCleanup(dynamodb.delete_table, TableName=TABLE)

    def setUp(self):
        self.run_id = uuid.uuid4().hex[:12]
        trust = {
            'Version': '2012-10-17',
            'Statement': [{'Effect': 'Allow', 'Principal': {'AWS': f'arn:aws:iam::{ACCOUNT}:root'},
                           'Action': ['sts:AssumeRole', 'sts:TagSession']}],
        }
        self.role_arn = boto3.client('iam').create_role(
            RoleName=f'tenant-access-{self.run_id}', AssumeRolePolicyDocument=json.dumps(trust),
        )['Role']['Arn']

    def helper(self, scoping='SESSION_TAGS', sts=None, **options):
        env = {
            ENV_SCOPING: scoping,
            ENV_ROLE_ARN: self.role_arn,
            ENV_TAG_KEY: 'TenantId',
            ENV_SESSION_POLICY: json.dumps(POLICY_TEMPLATE),
            ENV_TENANT_ID: 'alpha',
        }
        return TenantScopedDynamo.from_environment(env, sts_client=(sts or Sts()).client, **options)

    def put(self, scoped, tenant, n):
        scoped.client(tenant).put_item(
            TableName=TABLE, Item={'tenantId': {'S': tenant}, 'id': {'S': f'{self.run_id}-{n}'}},
        )

    def test_concurrent_requests_through_clients_make_one_sts_call_per_tenant(self):
        scoped = self.helper()
        with ThreadPoolExecutor(max_workers=32) as pool:
            list(pool.map(lambda i: self.put(scoped, TENANTS[i % 3], i), range(200)))

        sessions = issued_sessions(self.role_arn)
        self.assertEqual(sorted(s['session_name'] for s in sessions), ['tenant-alpha', 'tenant-beta', 'tenant-gamma'])
        self.assertEqual(scoped.stats.sts_calls, 3)
        # Every item is in its tenant's partition, and every write was signed with that tenant's session.
        key_of = {s['session_name'][len('tenant-'):]: s['access_key_id'] for s in sessions}
        puts = recorded_puts(self.run_id)
        self.assertEqual(len(puts), 200)
        self.assertEqual({(tenant, key) for tenant, key in puts}, set(key_of.items()))
        for i, tenant in enumerate(TENANTS):
            ddb = scoped.client(tenant)
            found = ddb.query(
                TableName=TABLE, KeyConditionExpression='tenantId = :t AND begins_with(id, :r)',
                ExpressionAttributeValues={':t': {'S': tenant}, ':r': {'S': self.run_id}},
            )
            self.assertEqual(found['Count'], len(range(i, 200, 3)))
            item = ddb.get_item(TableName=TABLE, Key={'tenantId': {'S': tenant}, 'id': {'S': f'{self.run_id}-{i}'}})
            self.assertEqual(item['Item']['tenantId'], {'S': tenant})
        self.assertEqual(len(issued_sessions(self.role_arn)), 3)

    def test_concurrent_lookups_share_one_in_flight_assume_role(self):
        sts = Sts()
        scoped = self.helper(sts=sts)

        def hold_until_everyone_waits():
            # STS answers only once the other 197 callers have joined a call under way (or after 10 s, when the
            # sharing is broken and the counts below fail).
            deadline = time.time() + 10
            while scoped.stats.shared_calls < 197 and time.time() < deadline:
                time.sleep(0.01)

        sts.gate = hold_until_everyone_waits
        with ThreadPoolExecutor(max_workers=200) as pool:
            results = list(pool.map(lambda i: (TENANTS[i % 3], scoped.credentials(TENANTS[i % 3])), range(200)))

        self.assertEqual(scoped.stats, Stats(sts_calls=3, cache_hits=0, shared_calls=197, stale_on_error=0))
        self.assertEqual(sts.calls, 3)
        self.assertEqual(len(issued_sessions(self.role_arn)), 3)
        for tenant in TENANTS:
            self.assertEqual(len({id(c) for t, c in results if t == tenant}), 1)
        # And afterwards, from the cache.
        scoped.credentials('alpha')
        self.assertEqual(scoped.stats.cache_hits, 1)
        self.assertEqual(sts.calls, 3)

    def test_session_tags_carry_the_tenant(self):
        scoped = self.helper('SESSION_TAGS')
        creds = scoped.credentials('alpha')

        # What STS received (moto keeps no tags, so its request log is the witness).
        self.assertEqual(recorded_assume_roles(self.role_arn), [{
            'Action': 'AssumeRole',
            'Version': '2011-06-15',
            'RoleArn': self.role_arn,
            'RoleSessionName': 'tenant-alpha',
            'DurationSeconds': '3600',
            'Tags.member.1.Key': 'TenantId',
            'Tags.member.1.Value': 'alpha',
        }])
        [session] = issued_sessions(self.role_arn)
        self.assertIsNone(session['policy'])
        identity = boto3.client(
            'sts', aws_access_key_id=creds.access_key_id, aws_secret_access_key=creds.secret_access_key,
            aws_session_token=creds.session_token,
        ).get_caller_identity()
        self.assertEqual(identity['Arn'], f'arn:aws:sts::{ACCOUNT}:assumed-role/tenant-access-{self.run_id}/tenant-alpha')
        self.assertEqual(creds.account_id, ACCOUNT)

    def test_session_policy_is_rendered_per_tenant_as_whole_json_values(self):
        scoped = self.helper('SESSION_POLICY')
        scoped.credentials('alpha')
        scoped.credentials('beta')

        policies = {s['session_name']: json.loads(s['policy']) for s in issued_sessions(self.role_arn)}
        for tenant in ('alpha', 'beta'):
            expected = json.loads(json.dumps(POLICY_TEMPLATE))
            expected['Statement'][0]['Condition']['ForAllValues:StringEquals']['dynamodb:LeadingKeys'] = [tenant]
            self.assertEqual(policies[f'tenant-{tenant}'], expected)
        self.assertIn(f'/index/{TENANT_ID_PLACEHOLDER}', policies['tenant-alpha']['Statement'][1]['Resource'])
        self.assertTrue(all('Tags.member.1.Key' not in c for c in recorded_assume_roles(self.role_arn)))

        # A quote in a tenant id is refused before any call; and even if it were not, it would stay one JSON string.
        with self.assertRaises(ValueError):
            scoped.credentials('a"b')
        self.assertEqual(len(issued_sessions(self.role_arn)), 2)
        injected = json.loads(json.dumps(render_session_policy(POLICY_TEMPLATE, 'a"],"x":["*')))
        self.assertEqual(
            injected['Statement'][0]['Condition']['ForAllValues:StringEquals'], {'dynamodb:LeadingKeys': ['a"],"x":["*']},
        )
        # Keys are not values: a placeholder only as a key, or inside a longer string, scopes nothing and is refused.
        for template in ({'Statement': [{TENANT_ID_PLACEHOLDER: 'x'}]}, {'Resource': f'table/{TENANT_ID_PLACEHOLDER}'}):
            with self.assertRaisesRegex(ValueError, 'has no <<tenant-id>> value'):
                TenantScopedDynamo('SESSION_POLICY', role_arn=self.role_arn, session_policy_template=json.dumps(template))

    def test_fixed_tenant_makes_no_sts_call_and_refuses_other_tenants(self):
        sts = Sts()
        sts.error = ('AccessDenied', 'no STS call is expected')
        before = len(json.loads(_moto('/moto-api/data.json')).get('sts', {}).get('AssumedRole', []))
        scoped = self.helper('FIXED_TENANT', sts=sts)

        self.put(scoped, 'alpha', 0)
        self.assertIs(scoped.client('alpha'), scoped.client('alpha'))
        got = scoped.client('alpha').get_item(TableName=TABLE, Key={'tenantId': {'S': 'alpha'}, 'id': {'S': f'{self.run_id}-0'}})
        self.assertEqual(got['Item']['tenantId'], {'S': 'alpha'})
        self.assertEqual(recorded_puts(self.run_id), [('alpha', 'testing')])  # signed by the task's own credentials
        with self.assertRaisesRegex(ValueError, "serves tenant 'alpha' only; got 'beta'"):
            scoped.client('beta')
        with self.assertRaisesRegex(RuntimeError, 'not available with scoping FIXED_TENANT'):
            scoped.credentials('alpha')
        after = len(json.loads(_moto('/moto-api/data.json')).get('sts', {}).get('AssumedRole', []))
        self.assertEqual((sts.calls, after - before, scoped.stats), (0, 0, Stats()))

    def test_invalid_tenant_ids_are_refused_before_any_call(self):
        sts = Sts()
        scoped = self.helper(sts=sts)
        for tenant in ('Alpha', 'alpha beta', '', '../x', 'a' * 37, '-a', 'a-', 'a"b', 'alpha\n', None, 7):
            with self.subTest(tenant=tenant):
                with self.assertRaisesRegex(ValueError, 'tenant_id must be 1 to 36 characters'):
                    scoped.credentials(tenant)
                with self.assertRaisesRegex(ValueError, 'tenant_id must be 1 to 36 characters'):
                    scoped.client(tenant)
        scoped.credentials('a' * 36)  # the longest valid id
        self.assertEqual(sts.calls, 1)
        self.assertEqual([s['session_name'] for s in issued_sessions(self.role_arn)], ['tenant-' + 'a' * 36])

    def test_an_sts_error_reaches_every_waiting_caller_and_is_not_cached(self):
        sts = Sts()
        sts.error = ('AccessDenied', 'not authorized to perform sts:TagSession')
        sts.delay = 0.3
        scoped = self.helper(sts=sts)

        def attempt(_):
            try:
                scoped.credentials('alpha')
            except TenantCredentialsError as e:
                return e
            return None

        with ThreadPoolExecutor(max_workers=5) as pool:
            errors = list(pool.map(attempt, range(5)))
        message = (
            f"AssumeRole for tenant 'alpha' on {self.role_arn} failed: An error occurred (AccessDenied) when calling "
            'the AssumeRole operation: not authorized to perform sts:TagSession'
        )
        self.assertEqual([str(e) for e in errors], [message] * 5)
        self.assertIsInstance(errors[0].__cause__, ClientError)
        self.assertEqual((sts.calls, scoped.stats.shared_calls), (1, 4))

        sts.delay = 0
        with self.assertRaisesRegex(TenantCredentialsError, "AssumeRole for tenant 'alpha'"):
            self.put(scoped, 'alpha', 0)  # through a client too
        self.assertEqual(sts.calls, 2)

        sts.error = None
        self.put(scoped, 'alpha', 1)  # not cached: the next request tries again, and succeeds
        self.assertEqual(sts.calls, 3)
        self.assertEqual(len(issued_sessions(self.role_arn)), 1)
        self.assertEqual(recorded_puts(self.run_id), [('alpha', issued_sessions(self.role_arn)[0]['access_key_id'])])

    def test_credentials_are_renewed_before_they_expire(self):
        clock = Clock()
        sts = Sts(clock)
        scoped = self.helper(sts=sts, now=clock, refresh_margin_seconds=MARGIN)
        self.put(scoped, 'alpha', 1)
        first = scoped.credentials('alpha')
        expiry = first.expiration.timestamp()
        self.assertAlmostEqual(expiry, time.time() + 3600, delta=60)

        clock.set(expiry - MARGIN - 5)  # just before the refresh margin
        self.put(scoped, 'alpha', 2)
        self.assertIs(scoped.credentials('alpha'), first)
        self.assertEqual(sts.calls, 1)

        clock.set(expiry - MARGIN + 5)  # inside the margin: still valid, but renewed
        self.put(scoped, 'alpha', 3)
        self.put(scoped, 'alpha', 4)
        second = scoped.credentials('alpha')
        self.assertEqual(sts.calls, 2)
        self.assertNotEqual(second.access_key_id, first.access_key_id)
        self.assertGreater(second.expiration.timestamp(), clock() + 3000)
        signed_with = [key for _, key in recorded_puts(self.run_id)]  # in the order the server received them
        self.assertEqual(signed_with, [first.access_key_id] * 2 + [second.access_key_id] * 2)
        # The client asked the cache only when its own copy was due: the three hits are the credentials() calls.
        self.assertEqual(scoped.stats, Stats(sts_calls=2, cache_hits=3, shared_calls=0, stale_on_error=0))
        self.assertEqual(len(issued_sessions(self.role_arn)), 2)

    def test_a_failed_refresh_serves_still_valid_credentials_and_an_expired_tenant_gets_the_error(self):
        clock = Clock()
        sts = Sts(clock)
        scoped = self.helper(sts=sts, now=clock)
        first = scoped.credentials('alpha')
        self.put(scoped, 'alpha', 0)
        expiry = first.expiration.timestamp()

        clock.set(expiry - 120)  # inside the refresh margin, two minutes before expiry
        sts.error = ('Throttling', 'Rate exceeded')
        self.assertIs(scoped.credentials('alpha'), first)
        self.assertEqual(scoped.stats.stale_on_error, 1)
        self.put(scoped, 'alpha', 1)  # the client carries on with the valid credentials
        self.assertEqual({key for _, key in recorded_puts(self.run_id)}, {first.access_key_id})

        clock.set(expiry + 1)
        with self.assertRaisesRegex(TenantCredentialsError, 'Throttling'):
            scoped.credentials('alpha')
        with self.assertRaisesRegex(TenantCredentialsError, 'Throttling'):
            self.put(scoped, 'alpha', 2)
        self.assertEqual(len(issued_sessions(self.role_arn)), 1)

    def test_the_cache_holds_at_most_max_cached_tenants(self):
        sts = Sts()
        scoped = self.helper(sts=sts, max_cached_tenants=2)
        client_alpha = scoped.client('alpha')
        for tenant in ('alpha', 'beta', 'alpha', 'gamma', 'alpha'):  # gamma evicts beta, the least recently used
            scoped.credentials(tenant)
        self.assertEqual(sts.calls, 3)
        scoped.credentials('beta')
        self.assertEqual(sts.calls, 4)
        self.assertEqual(len(issued_sessions(self.role_arn)), 4)

        self.assertIs(scoped.client('alpha'), client_alpha)
        scoped.client('beta')
        scoped.client('gamma')  # evicts alpha's client
        self.assertIsNot(scoped.client('alpha'), client_alpha)

    def test_configuration_is_checked(self):
        with self.assertRaisesRegex(ValueError, 'Is ScopedDynamoAccess.addToContainer applied'):
            TenantScopedDynamo.from_environment({})
        tags = {'scoping': 'SESSION_TAGS', 'role_arn': self.role_arn, 'tag_key': 'TenantId'}
        cases = [
            ({'scoping': 'SESSION_TAGS', 'role_arn': self.role_arn}, 'role_arn and tag_key are required'),
            ({'scoping': 'SESSION_POLICY', 'role_arn': self.role_arn}, 'session_policy_template are required'),
            ({'scoping': 'FIXED_TENANT'}, 'tenant_id is required'),
            ({'scoping': 'PER_REQUEST'}, 'scoping must be SESSION_TAGS, SESSION_POLICY or FIXED_TENANT'),
            ({**tags, 'session_duration_seconds': 899}, 'from 900 to 3600'),
            ({**tags, 'session_duration_seconds': 3601}, 'from 900 to 3600'),
            ({**tags, 'session_duration_seconds': 900, 'refresh_margin_seconds': 900}, 'less than the session'),
            ({**tags, 'refresh_margin_seconds': -1}, 'at least 0'),
            ({**tags, 'max_cached_tenants': 0}, 'at least 1'),
        ]
        for options, message in cases:
            with self.subTest(options=options):
                with self.assertRaisesRegex(ValueError, message):
                    TenantScopedDynamo(**options)

    def test_a_dynamodb_call_through_a_held_connection_fails_after_the_request_timeout_per_attempt(self):
        held = HeldConnections()
        self.addCleanup(held.close)
        key = {'tenantId': {'S': 'alpha'}, 'id': {'S': self.run_id}}
        sts = Sts()
        for scoping in ('FIXED_TENANT', 'SESSION_TAGS'):  # the fixed tenant's client, then a tenant's
            with self.subTest(scoping=scoping):
                before = held.accepted
                scoped = self.helper(
                    scoping, sts=sts, request_timeout_ms=200, client_kwargs={'endpoint_url': held.endpoint},
                )
                attempts = attempts_of(scoped.client('alpha'))
                started = time.monotonic()
                with self.assertRaises(ReadTimeoutError):
                    scoped.client('alpha').get_item(TableName=TABLE, Key=key)
                elapsed = time.monotonic() - started
                # The standard retry mode's 4 attempts for DynamoDB, of 200 ms each, each on a new connection, plus
                # backoff (25 ms scale): far from botocore's defaults (legacy mode: 10 attempts of 60 s each, over ten
                # minutes with its backoff).
                self.assertGreaterEqual(elapsed, 0.8)
                self.assertLess(elapsed, 5)
                self.assertEqual((len(attempts), held.accepted - before), (4, 4))
        self.assertEqual(sts.calls, 1)  # the tenant's credentials came from STS (moto); only DynamoDB was held

    def test_the_sts_client_the_helper_makes_times_out_too_and_the_error_names_the_tenant_and_the_role(self):
        held = HeldConnections()
        self.addCleanup(held.close)
        # The helper makes its own STS client (no sts_client), which reads AWS_ENDPOINT_URL_STS.
        with mock.patch.dict(os.environ, {'AWS_ENDPOINT_URL_STS': held.endpoint}):
            scoped = TenantScopedDynamo(
                'SESSION_TAGS', role_arn=self.role_arn, tag_key='TenantId', request_timeout_ms=200,
            )
        started = time.monotonic()
        with self.assertRaisesRegex(TenantCredentialsError, f"AssumeRole for tenant 'alpha' on {self.role_arn} failed"):
            scoped.credentials('alpha')
        elapsed = time.monotonic() - started
        # The standard retry mode's 3 attempts for STS, of 200 ms each, plus backoff.
        self.assertGreaterEqual(elapsed, 0.6)
        self.assertLess(elapsed, 5)
        self.assertEqual(held.accepted, 3)
        self.assertEqual(scoped.stats.sts_calls, 1)  # one AssumeRole call, of 3 attempts
        self.assertEqual(issued_sessions(self.role_arn), [])

    def test_a_connection_never_accepted_fails_after_the_connection_timeout_per_attempt(self):
        unanswered = NeverAccepted()
        self.addCleanup(unanswered.close)
        scoped = self.helper(
            'FIXED_TENANT', connection_timeout_ms=200, client_kwargs={'endpoint_url': unanswered.endpoint},
        )
        attempts = attempts_of(scoped.client('alpha'))
        started = time.monotonic()
        with self.assertRaises(ConnectTimeoutError):
            scoped.client('alpha').list_tables()
        elapsed = time.monotonic() - started
        # 4 attempts of 200 ms each, plus backoff; botocore's default connection timeout is 60 s.
        self.assertGreaterEqual(elapsed, 0.8)
        self.assertLess(elapsed, 5)
        self.assertEqual(len(attempts), 4)

    def test_timeouts_are_checked_and_set_on_every_client_the_helper_makes(self):
        for name in ('connection_timeout_ms', 'request_timeout_ms'):
            for value in (0, -1, 1.5, 1000.0, True, '1000', None):
                with self.subTest(name=name, value=value):
                    message = f'{name} must be a whole number of milliseconds, at least 1; got {value!r}.'
                    with self.assertRaisesRegex(ValueError, f'^{re.escape(message)}$'):
                        TenantScopedDynamo('FIXED_TENANT', tenant_id='alpha', **{name: value})

        def timeouts(client):
            config = client.meta.config
            return config.connect_timeout, config.read_timeout, config.retries['mode']

        with mock.patch.dict(os.environ, {'AWS_ENDPOINT_URL_STS': _endpoint}):
            scoped = TenantScopedDynamo('SESSION_TAGS', role_arn=self.role_arn, tag_key='TenantId')
            tuned = TenantScopedDynamo(
                'SESSION_TAGS', role_arn=self.role_arn, tag_key='TenantId', connection_timeout_ms=1,
                request_timeout_ms=250,
            )
        fixed = TenantScopedDynamo('FIXED_TENANT', tenant_id='alpha')
        for client in (scoped._sts, scoped.client('alpha'), fixed.client('alpha')):
            self.assertEqual(timeouts(client), (1, 3, 'standard'))
        for client in (tuned._sts, tuned.client('alpha')):
            self.assertEqual(timeouts(client), (0.001, 0.25, 'standard'))
        # A config of the caller's is merged over the helper's: its own options win, the others stay.
        own_config = Config(read_timeout=10, max_pool_connections=50)
        own = TenantScopedDynamo('FIXED_TENANT', tenant_id='alpha', client_kwargs={'config': own_config})
        own = own.client('alpha')
        self.assertEqual((timeouts(own), own.meta.config.max_pool_connections), ((1, 10, 'standard'), 50))


if __name__ == '__main__':
    unittest.main()
