package com.example.tenancy;

import static com.example.tenancy.TenantScopedDynamo.ENV_ROLE_ARN;
import static com.example.tenancy.TenantScopedDynamo.ENV_SCOPING;
import static com.example.tenancy.TenantScopedDynamo.ENV_SESSION_POLICY;
import static com.example.tenancy.TenantScopedDynamo.ENV_TAG_KEY;
import static com.example.tenancy.TenantScopedDynamo.ENV_TENANT_ID;
import static com.example.tenancy.TenantScopedDynamo.TENANT_ID_PLACEHOLDER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.example.tenancy.TenantScopedDynamo.Stats;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.protocols.jsoncore.JsonNode;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;

/**
 * Tests of TenantScopedDynamo against a real moto server (STS and DynamoDB over HTTP) at MOTO_ENDPOINT, which
 * test/java-runtime.test.ts starts (`npx jest test/java-runtime.test.ts` from the repository root). By hand:
 *
 * <pre>
 * ../../.venv/bin/moto_server -H 127.0.0.1 -p 5000 &amp;
 * MOTO_ENDPOINT=http://127.0.0.1:5000 mvn test
 * </pre>
 *
 * <p>No reset of the server is needed: each test assumes its own role (a unique ARN; moto does not require the role
 * to exist), writes items with its own id prefix, and every assertion about STS reads what the server recorded for
 * that role: the sessions it issued ({@code /moto-api/data.json}) and the requests it received (moto's recorder,
 * which these tests switch on).
 */
class TenantScopedDynamoTest {
  private static final Region REGION = Region.US_EAST_1;
  private static final String ACCOUNT = "123456789012";
  private static final String TABLE = "tenant-items-" + UUID.randomUUID().toString().substring(0, 8);
  private static final List<String> TENANTS = List.of("alpha", "beta", "gamma");
  private static final StaticCredentialsProvider TASK_ROLE =
      StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing"));
  private static final String POLICY_TEMPLATE = """
      {
        "Version": "2012-10-17",
        "Statement": [
          {
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
            "Resource": ["arn:aws:dynamodb:us-east-1:%1$s:table/%2$s"],
            "Condition": {
              "ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["<<tenant-id>>"]},
              "Null": {"dynamodb:LeadingKeys": "false"}
            }
          },
          {
            "Effect": "Deny",
            "Action": "dynamodb:Query",
            "Resource": "arn:aws:dynamodb:us-east-1:%1$s:table/%2$s/index/<<tenant-id>>"
          }
        ]
      }
      """.formatted(ACCOUNT, TABLE);

  private static URI endpoint;
  private static HttpClient motoApi;
  private static DynamoDbClient admin;

  private final List<TenantScopedDynamo> helpers = new ArrayList<>();
  private String runId;
  private String roleArn;

  @BeforeAll
  static void useMoto() throws Exception {
    String value = System.getenv("MOTO_ENDPOINT");
    if (value == null || value.isBlank()) {
      fail("MOTO_ENDPOINT is not set: these tests run against a moto server. Run `npx jest test/java-runtime.test.ts`"
          + " from the repository root (it starts one), or start `.venv/bin/moto_server -H 127.0.0.1 -p 5000` and set"
          + " MOTO_ENDPOINT=http://127.0.0.1:5000.");
    }
    endpoint = URI.create(value.replaceAll("/+$", ""));
    motoApi = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    moto("POST", "/moto-api/recorder/start-recording");
    admin = DynamoDbClient.builder().region(REGION).endpointOverride(endpoint).credentialsProvider(TASK_ROLE).build();
    admin.createTable(r -> r.tableName(TABLE)
        .keySchema(
            KeySchemaElement.builder().attributeName("tenantId").keyType(KeyType.HASH).build(),
            KeySchemaElement.builder().attributeName("id").keyType(KeyType.RANGE).build())
        .attributeDefinitions(
            AttributeDefinition.builder().attributeName("tenantId").attributeType(ScalarAttributeType.S).build(),
            AttributeDefinition.builder().attributeName("id").attributeType(ScalarAttributeType.S).build())
        .billingMode(BillingMode.PAY_PER_REQUEST));
  }

  @AfterAll
  static void cleanUp() throws Exception {
    if (admin != null) {
      admin.deleteTable(r -> r.tableName(TABLE));
      admin.close();
    }
    if (motoApi != null) {
      moto("POST", "/moto-api/recorder/stop-recording");
    }
  }

  @BeforeEach
  void newRole() {
    runId = UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    roleArn = "arn:aws:iam::" + ACCOUNT + ":role/tenant-access-" + runId;
  }

  @AfterEach
  void closeHelpers() {
    helpers.forEach(TenantScopedDynamo::close);
  }

  @Test
  void concurrentRequestsMakeOneAssumeRolePerTenant() throws Exception {
    TenantScopedDynamo scoped = helper("SESSION_TAGS");
    ExecutorService pool = Executors.newFixedThreadPool(32);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> puts = new ArrayList<>();
    try {
      for (int i = 0; i < 200; i++) {
        int n = i;
        puts.add(pool.submit(() -> {
          start.await(); // the first 32 requests (three tenants) all start together
          put(scoped, TENANTS.get(n % 3), n);
          return null;
        }));
      }
      start.countDown();
      for (Future<?> f : puts) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }

    List<Map<String, String>> sessions = issuedSessions(roleArn);
    assertEquals(List.of("tenant-alpha", "tenant-beta", "tenant-gamma"),
        sessions.stream().map(s -> s.get("session_name")).sorted().collect(Collectors.toList()));
    assertEquals(new Stats(3, 3, 3, 0), scoped.stats());
    // Every write was signed with its tenant's session key, and every item is in its tenant's partition.
    Map<String, String> keyOf = new HashMap<>();
    sessions.forEach(s -> keyOf.put(s.get("session_name").substring("tenant-".length()), s.get("access_key_id")));
    List<List<String>> recorded = recordedPuts(runId);
    assertEquals(200, recorded.size());
    assertEquals(keyOf.entrySet().stream().map(e -> List.of(e.getKey(), e.getValue())).collect(Collectors.toSet()),
        Set.copyOf(recorded));
    for (int t = 0; t < 3; t++) {
      String tenant = TENANTS.get(t);
      QueryResponse found = scoped.client(tenant).query(r -> r.tableName(TABLE)
          .keyConditionExpression("tenantId = :t AND begins_with(id, :r)")
          .expressionAttributeValues(Map.of(":t", s(tenant), ":r", s(runId))));
      Set<String> expected = IntStream.range(0, 200).filter(i -> i % 3 == TENANTS.indexOf(tenant))
          .mapToObj(i -> runId + "-" + i).collect(Collectors.toCollection(TreeSet::new));
      assertEquals(expected, found.items().stream().map(item -> item.get("id").s())
          .collect(Collectors.toCollection(TreeSet::new)), tenant);
    }
    assertEquals(List.of(67, 67, 66), TENANTS.stream().map(tenant -> (int) recorded.stream()
        .filter(p -> p.get(0).equals(tenant)).count()).collect(Collectors.toList()));
    assertEquals(3, issuedSessions(roleArn).size()); // the queries too ran on the cached credentials
  }

  @Test
  void sessionTagsCarryTheTenant() throws Exception {
    TenantScopedDynamo scoped = helper("SESSION_TAGS");
    put(scoped, "alpha", 0);

    // What STS received (moto keeps no tags, so its request log is the witness).
    Map<String, String> expected = new LinkedHashMap<>();
    expected.put("Action", "AssumeRole");
    expected.put("Version", "2011-06-15");
    expected.put("RoleArn", roleArn);
    expected.put("RoleSessionName", "tenant-alpha");
    expected.put("DurationSeconds", "3600");
    expected.put("Tags.member.1.Key", "TenantId");
    expected.put("Tags.member.1.Value", "alpha");
    assertEquals(List.of(expected), recordedAssumeRoles(roleArn));
    List<Map<String, String>> sessions = issuedSessions(roleArn);
    assertEquals(1, sessions.size());
    assertEquals(null, sessions.get(0).get("policy"));
    assertEquals(List.of(List.of("alpha", sessions.get(0).get("access_key_id"))), recordedPuts(runId));
  }

  @Test
  void sessionPolicyIsRenderedPerTenantAsWholeJsonValues() throws Exception {
    TenantScopedDynamo scoped = helper("SESSION_POLICY");
    put(scoped, "alpha", 0);
    put(scoped, "beta", 1);

    Map<String, JsonNode> policies = new HashMap<>();
    for (Map<String, String> session : issuedSessions(roleArn)) {
      policies.put(session.get("session_name"), JsonNode.parser().parse(session.get("policy")));
    }
    assertEquals(Set.of("tenant-alpha", "tenant-beta"), policies.keySet());
    for (String tenant : List.of("alpha", "beta")) {
      // Only the whole value "<<tenant-id>>" is replaced; the Deny statement's longer string keeps its placeholder.
      String rendered = POLICY_TEMPLATE.replace("\"" + TENANT_ID_PLACEHOLDER + "\"", "\"" + tenant + "\"");
      assertTrue(rendered.contains("/index/" + TENANT_ID_PLACEHOLDER + "\""));
      assertEquals(JsonNode.parser().parse(rendered), policies.get("tenant-" + tenant), tenant);
    }
    assertTrue(recordedAssumeRoles(roleArn).stream().noneMatch(call -> call.containsKey("Tags.member.1.Key")));
    assertEquals(2, recordedAssumeRoles(roleArn).size());

    // A quote in a tenant id is refused before any call; and even if it were not, it would stay one JSON string.
    assertThrows(IllegalArgumentException.class, () -> scoped.client("a\"b"));
    assertEquals(2, issuedSessions(roleArn).size());
    String injection = "a\"],\"x\":[\"*";
    JsonNode injected = JsonNode.parser().parse(TenantScopedDynamo.renderSessionPolicy(POLICY_TEMPLATE, injection));
    JsonNode condition = injected.field("Statement").get().index(0).get().field("Condition").get()
        .field("ForAllValues:StringEquals").get();
    assertEquals(Set.of("dynamodb:LeadingKeys"), condition.asObject().keySet());
    assertEquals(injection, condition.field("dynamodb:LeadingKeys").get().index(0).get().asString());
  }

  @Test
  void aTemplateWhosePlaceholderIsNotAWholeStringValueIsRefused() {
    String[][] cases = {
        {"{\"Statement\": [{\"" + TENANT_ID_PLACEHOLDER + "\": \"x\"}]}", "has no <<tenant-id>> value"},
        {"{\"Resource\": \"table/" + TENANT_ID_PLACEHOLDER + "\"}", "has no <<tenant-id>> value"},
        {"{\"Statement\": [\"" + TENANT_ID_PLACEHOLDER + "\"", "is not JSON"},
        {"{\"Resource\": \"" + TENANT_ID_PLACEHOLDER + "\"} {}", "is not JSON"},
    };
    for (String[] c : cases) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> helper("SESSION_POLICY", b -> b.sessionPolicyTemplate(c[0])), c[0]);
      assertTrue(e.getMessage().startsWith("sessionPolicyTemplate " + c[1]), e.getMessage());
    }
    // The same template with the placeholder as a whole value is accepted.
    helper("SESSION_POLICY", b -> b.sessionPolicyTemplate("{\"Resource\": \"" + TENANT_ID_PLACEHOLDER + "\"}"));
  }

  @Test
  void fixedTenantMakesNoStsCallAndRefusesOtherTenants() throws Exception {
    int before = allIssuedSessions().size();
    TenantScopedDynamo scoped = helper("FIXED_TENANT");

    put(scoped, "alpha", 0);
    assertSame(scoped.client("alpha"), scoped.client("alpha"));
    Map<String, AttributeValue> got = scoped.client("alpha").getItem(r -> r.tableName(TABLE)
        .key(Map.of("tenantId", s("alpha"), "id", s(runId + "-0")))).item();
    assertEquals("alpha", got.get("tenantId").s());
    assertEquals(List.of(List.of("alpha", "testing")), recordedPuts(runId)); // signed with the task's own credentials
    IllegalArgumentException other = assertThrows(IllegalArgumentException.class, () -> scoped.client("beta"));
    assertEquals("This service serves tenant 'alpha' only; got 'beta'.", other.getMessage());
    assertThrows(IllegalArgumentException.class, () -> scoped.client("Alpha"));
    assertEquals(new Stats(0, 0, 0, 0), scoped.stats());
    assertEquals(before, allIssuedSessions().size());
  }

  @Test
  void invalidTenantIdsAreRefusedBeforeAnyCall() throws Exception {
    TenantScopedDynamo scoped = helper("SESSION_TAGS");
    String[] invalid = {"Alpha", "alpha beta", "", "../x", "a".repeat(37), "-a", "a-", "a\"b", "alpha\n", "al\npha",
        "\u0430lpha", null};
    for (String tenant : invalid) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> scoped.client(tenant),
          String.valueOf(tenant));
      assertTrue(e.getMessage().startsWith("tenantId must be 1 to 36 characters"), e.getMessage());
      assertFalse(TenantScopedDynamo.isValidTenantId(tenant));
    }
    assertEquals(new Stats(0, 0, 0, 0), scoped.stats());
    assertEquals(List.of(), issuedSessions(roleArn));

    put(scoped, "a".repeat(36), 0); // the longest valid id
    assertEquals(List.of("tenant-" + "a".repeat(36)),
        issuedSessions(roleArn).stream().map(s -> s.get("session_name")).collect(Collectors.toList()));
    assertEquals(1, scoped.stats().stsCalls());
  }

  @Test
  void evictionDoesNotBreakAClientAlreadyHandedOut() throws Exception {
    TenantScopedDynamo scoped = helper("SESSION_TAGS", b -> b.maxCachedTenants(2));
    DynamoDbClient alpha = scoped.client("alpha");
    DynamoDbClient beta = scoped.client("beta");
    put(scoped, "beta", 0);
    assertSame(alpha, scoped.client("alpha")); // alpha is now the most recently used
    DynamoDbClient gamma = scoped.client("gamma"); // evicts beta, the least recently used
    assertEquals(new Stats(1, 3, 2, 1), scoped.stats());
    assertSame(alpha, scoped.client("alpha"));
    assertSame(gamma, scoped.client("gamma"));

    // The evicted client handed out before keeps working, on its cached credentials: no new session.
    beta.putItem(r -> r.tableName(TABLE).item(Map.of("tenantId", s("beta"), "id", s(runId + "-1"))));
    assertEquals(1, issuedSessions(roleArn).size());

    // The next request for beta gets a new client, with a new session.
    DynamoDbClient betaAgain = scoped.client("beta"); // evicts alpha
    assertNotSame(beta, betaAgain);
    betaAgain.putItem(r -> r.tableName(TABLE).item(Map.of("tenantId", s("beta"), "id", s(runId + "-2"))));
    List<Map<String, String>> sessions = issuedSessions(roleArn);
    assertEquals(List.of("tenant-beta", "tenant-beta"),
        sessions.stream().map(s -> s.get("session_name")).collect(Collectors.toList()));
    assertEquals(List.of(
        List.of("beta", sessions.get(0).get("access_key_id")),
        List.of("beta", sessions.get(0).get("access_key_id")),
        List.of("beta", sessions.get(1).get("access_key_id"))), recordedPuts(runId));
    // Alpha, evicted in turn, still works too (its first request is the one that calls STS).
    alpha.putItem(r -> r.tableName(TABLE).item(Map.of("tenantId", s("alpha"), "id", s(runId + "-3"))));
    assertEquals(new Stats(3, 4, 2, 2), scoped.stats());
  }

  @Test
  void configurationIsChecked() {
    IllegalArgumentException missing =
        assertThrows(IllegalArgumentException.class, () -> TenantScopedDynamo.fromEnvironment(Map.of()));
    assertTrue(missing.getMessage().contains("Is ScopedDynamoAccess.addToContainer applied"), missing.getMessage());
    Object[][] cases = {
        {"SESSION_TAGS", (Consumer<TenantScopedDynamo.Builder>) b -> b.tagKey(null), "roleArn and tagKey are required"},
        {"SESSION_POLICY", (Consumer<TenantScopedDynamo.Builder>) b -> b.roleArn(""),
            "roleArn and sessionPolicyTemplate are required"},
        {"FIXED_TENANT", (Consumer<TenantScopedDynamo.Builder>) b -> b.tenantId(null), "tenantId is required"},
        {"FIXED_TENANT", (Consumer<TenantScopedDynamo.Builder>) b -> b.tenantId("Alpha"), "must be 1 to 36"},
        {"SESSION_TAGS", (Consumer<TenantScopedDynamo.Builder>) b -> b.sessionDuration(Duration.ofSeconds(899)),
            "from 900 to 3600"},
        {"SESSION_TAGS", (Consumer<TenantScopedDynamo.Builder>) b -> b.sessionDuration(Duration.ofSeconds(3601)),
            "from 900 to 3600"},
        {"SESSION_TAGS", (Consumer<TenantScopedDynamo.Builder>) b -> b.sessionDuration(Duration.ofMinutes(15))
            .prefetchTime(Duration.ofMinutes(15)), "less than sessionDuration"},
        {"SESSION_TAGS", (Consumer<TenantScopedDynamo.Builder>) b -> b.staleTime(Duration.ofMinutes(6)),
            "at least staleTime"},
        {"SESSION_TAGS", (Consumer<TenantScopedDynamo.Builder>) b -> b.maxCachedTenants(0), "at least 1"},
    };
    for (Object[] c : cases) {
      @SuppressWarnings("unchecked")
      Consumer<TenantScopedDynamo.Builder> options = (Consumer<TenantScopedDynamo.Builder>) c[1];
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> helper((String) c[0], options), (String) c[2]);
      assertTrue(e.getMessage().contains((String) c[2]), e.getMessage());
    }
  }

  @Test
  void aDynamoDbCallThroughAHeldConnectionFailsAfterTheRequestTimeoutPerAttempt() throws Exception {
    try (HeldConnections held = new HeldConnections()) {
      TenantScopedDynamo scoped =
          helper("FIXED_TENANT", b -> b.endpoint(held.endpoint()).requestTimeout(Duration.ofMillis(200)));
      long started = System.nanoTime();
      SdkClientException e = assertThrows(SdkClientException.class, () -> scoped.client("alpha")
          .getItem(r -> r.tableName(TABLE).key(Map.of("tenantId", s("alpha"), "id", s(runId)))));
      long elapsedMs = (System.nanoTime() - started) / 1_000_000;
      // The SDK's 4 attempts for DynamoDB, of 200 ms each, each on a new connection, plus backoff: far from the
      // Apache client's default 30 s socket timeout on every attempt.
      assertTrue(e.getMessage().endsWith("(SDK Attempt Count: 4)"), e.getMessage());
      assertEquals(3, e.getSuppressed().length); // the failures of attempts 1 to 3
      assertTrue(elapsedMs >= 800 && elapsedMs < 5_000, elapsedMs + " ms");
      assertEquals(4, held.accepted());
    }
  }

  @Test
  void theStsClientTheHelperMakesTimesOutToo() throws Exception {
    try (HeldConnections held = new HeldConnections()) {
      TenantScopedDynamo scoped =
          helper("SESSION_TAGS", b -> b.endpoint(held.endpoint()).requestTimeout(Duration.ofMillis(200)));
      long started = System.nanoTime();
      // The tenant's credentials come first: the AssumeRole call fails, so the PutItem is never sent.
      SdkClientException e = assertThrows(SdkClientException.class, () -> put(scoped, "alpha", 0));
      long elapsedMs = (System.nanoTime() - started) / 1_000_000;
      // The SDK's 3 attempts for STS, of 200 ms each, plus backoff.
      assertTrue(e.getMessage().endsWith("(SDK Attempt Count: 3)"), e.getMessage());
      assertTrue(elapsedMs >= 600 && elapsedMs < 5_000, elapsedMs + " ms");
      assertEquals(3, held.accepted());
      assertEquals(new Stats(1, 1, 1, 0), scoped.stats()); // one AssumeRole call, of 3 attempts
      assertEquals(List.of(), issuedSessions(roleArn));
    }
  }

  @Test
  void aConnectionNeverAcceptedFailsAfterTheConnectionTimeoutPerAttempt() throws Exception {
    try (NeverAccepted unanswered = new NeverAccepted()) {
      TenantScopedDynamo scoped =
          helper("FIXED_TENANT", b -> b.endpoint(unanswered.endpoint()).connectionTimeout(Duration.ofMillis(200)));
      long started = System.nanoTime();
      SdkClientException e = assertThrows(SdkClientException.class, () -> scoped.client("alpha").listTables());
      long elapsedMs = (System.nanoTime() - started) / 1_000_000;
      // 4 attempts, each failing to connect within 200 ms (the request timeout, 3 s, never comes into play).
      assertTrue(e.getMessage().contains("Connect timed out") && e.getMessage().endsWith("(SDK Attempt Count: 4)"),
          e.getMessage());
      assertTrue(elapsedMs >= 800 && elapsedMs < 5_000, elapsedMs + " ms");
    }
  }

  @Test
  void timeoutsAreChecked() {
    List<Map.Entry<String, Duration>> refused = List.of(
        Map.entry("connectionTimeout", Duration.ZERO),
        Map.entry("connectionTimeout", Duration.ofMillis(-1000)),
        Map.entry("requestTimeout", Duration.ofNanos(999_999)),
        Map.entry("requestTimeout", Duration.ofNanos(1_500_000)));
    for (Map.Entry<String, Duration> c : refused) {
      Consumer<TenantScopedDynamo.Builder> option = c.getKey().equals("connectionTimeout")
          ? b -> b.connectionTimeout(c.getValue())
          : b -> b.requestTimeout(c.getValue());
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> helper("FIXED_TENANT", option), c.toString());
      assertEquals(c.getKey() + " must be a whole number of milliseconds, at least 1; got " + c.getValue() + ".",
          e.getMessage());
    }
    assertThrows(NullPointerException.class, () -> TenantScopedDynamo.builder().connectionTimeout(null));
    assertThrows(NullPointerException.class, () -> TenantScopedDynamo.builder().requestTimeout(null));
    // The smallest timeouts are accepted, by every scoping.
    for (String scoping : List.of("SESSION_TAGS", "SESSION_POLICY", "FIXED_TENANT")) {
      helper(scoping, b -> b.connectionTimeout(Duration.ofMillis(1)).requestTimeout(Duration.ofMillis(1)));
    }
  }

  // ---- helpers

  /** A local server that accepts connections and never answers (a dependency that hangs); counts what it accepted. */
  private static final class HeldConnections implements AutoCloseable {
    private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
    private final List<Socket> held = new CopyOnWriteArrayList<>();

    HeldConnections() throws IOException {
      Thread acceptor = new Thread(() -> {
        try {
          while (true) {
            held.add(server.accept());
          }
        } catch (IOException closed) {
          // close() closed the server
        }
      }, "held-connections");
      acceptor.setDaemon(true);
      acceptor.start();
    }

    URI endpoint() {
      return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    int accepted() {
      return held.size();
    }

    @Override
    public void close() throws IOException {
      server.close();
      for (Socket socket : held) {
        socket.close();
      }
    }
  }

  /**
   * A local server whose accept queue is full and never served: the kernel drops new connections' SYNs, so connecting
   * hangs (Linux, with the default net.ipv4.tcp_abort_on_overflow=0).
   */
  private static final class NeverAccepted implements AutoCloseable {
    private final ServerSocket server = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"));
    private final List<Socket> queued = new ArrayList<>();

    NeverAccepted() throws IOException {
      InetSocketAddress address = new InetSocketAddress("127.0.0.1", server.getLocalPort());
      while (true) {
        Socket probe = new Socket();
        try {
          probe.connect(address, 200);
        } catch (SocketTimeoutException full) {
          probe.close();
          return; // the queue is full: connecting now hangs
        }
        queued.add(probe);
        if (queued.size() > 16) {
          close();
          throw new IllegalStateException("the accept queue never filled: connecting to a full queue does not hang");
        }
      }
    }

    URI endpoint() {
      return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    @Override
    public void close() throws IOException {
      for (Socket probe : queued) {
        probe.close();
      }
      server.close();
    }
  }


  private TenantScopedDynamo helper(String scoping) {
    return helper(scoping, b -> { });
  }

  /** The helper as a container would build it from its environment, pointed at moto. */
  private TenantScopedDynamo helper(String scoping, Consumer<TenantScopedDynamo.Builder> options) {
    Map<String, String> env = Map.of(
        ENV_SCOPING, scoping,
        ENV_ROLE_ARN, roleArn,
        ENV_TAG_KEY, "TenantId",
        ENV_SESSION_POLICY, POLICY_TEMPLATE,
        ENV_TENANT_ID, "alpha");
    TenantScopedDynamo.Builder builder = TenantScopedDynamo.builder()
        .environment(env)
        .region(REGION)
        .endpoint(endpoint)
        .credentialsProvider(TASK_ROLE);
    options.accept(builder);
    TenantScopedDynamo scoped = builder.build();
    helpers.add(scoped);
    return scoped;
  }

  private void put(TenantScopedDynamo scoped, String tenant, int n) {
    scoped.client(tenant).putItem(r -> r.tableName(TABLE).item(Map.of("tenantId", s(tenant), "id", s(runId + "-" + n))));
  }

  private static AttributeValue s(String value) {
    return AttributeValue.fromS(value);
  }

  private static String moto(String method, String path) throws IOException, InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(endpoint.resolve(path))
        .method(method, HttpRequest.BodyPublishers.noBody())
        .timeout(Duration.ofSeconds(30))
        .build();
    HttpResponse<String> response = motoApi.send(request, HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IllegalStateException(method + " " + path + " answered " + response.statusCode() + ": " + response.body());
    }
    return response.body();
  }

  /** Every session moto issued: its record of each AssumeRole (role_arn, session_name, policy, access_key_id). */
  private static List<Map<String, String>> allIssuedSessions() throws IOException, InterruptedException {
    JsonNode data = JsonNode.parser().parse(moto("GET", "/moto-api/data.json"));
    List<Map<String, String>> sessions = new ArrayList<>();
    JsonNode roles = data.field("sts").flatMap(sts -> sts.field("AssumedRole")).orElse(null);
    if (roles == null) {
      return sessions;
    }
    for (JsonNode role : roles.asArray()) {
      Map<String, String> session = new HashMap<>();
      for (String key : List.of("role_arn", "session_name", "policy", "access_key_id")) {
        JsonNode value = role.field(key).orElse(null);
        session.put(key, value == null || value.isNull() ? null : value.asString());
      }
      sessions.add(session);
    }
    return sessions;
  }

  /** The sessions moto issued for one role. */
  private static List<Map<String, String>> issuedSessions(String roleArn) throws IOException, InterruptedException {
    return allIssuedSessions().stream().filter(s -> roleArn.equals(s.get("role_arn"))).collect(Collectors.toList());
  }

  /** Every request moto received since recording started: headers and decoded body. */
  private static List<Map.Entry<Map<String, String>, String>> recordedRequests() throws IOException, InterruptedException {
    List<Map.Entry<Map<String, String>, String>> requests = new ArrayList<>();
    for (String line : moto("GET", "/moto-api/recorder/download-recording").split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      JsonNode entry = JsonNode.parser().parse(line);
      Map<String, String> headers = new HashMap<>();
      entry.field("headers").get().asObject().forEach((k, v) -> headers.put(k, v.asString()));
      JsonNode bodyNode = entry.field("body").orElse(null);
      String body = bodyNode == null || bodyNode.isNull() ? "" : bodyNode.asString();
      if (entry.field("body_encoded").map(JsonNode::asBoolean).orElse(false)) {
        body = new String(Base64.getDecoder().decode(body), StandardCharsets.UTF_8);
      }
      requests.add(Map.entry(headers, body));
    }
    return requests;
  }

  /** The AssumeRole requests moto received for one role, as their query parameters in the order sent. */
  private static List<Map<String, String>> recordedAssumeRoles(String roleArn) throws IOException, InterruptedException {
    List<Map<String, String>> calls = new ArrayList<>();
    for (Map.Entry<Map<String, String>, String> request : recordedRequests()) {
      Map<String, String> params = new LinkedHashMap<>();
      for (String pair : request.getValue().split("&")) {
        int eq = pair.indexOf('=');
        if (eq > 0) {
          params.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
              URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
      }
      if ("AssumeRole".equals(params.get("Action")) && roleArn.equals(params.get("RoleArn"))) {
        calls.add(params);
      }
    }
    return calls;
  }

  /** The PutItem requests of one test: [tenantId of the item, access key that signed the request], in order. */
  private static List<List<String>> recordedPuts(String run) throws IOException, InterruptedException {
    List<List<String>> puts = new ArrayList<>();
    for (Map.Entry<Map<String, String>, String> request : recordedRequests()) {
      Map<String, String> headers = request.getKey();
      if (!headers.getOrDefault("X-Amz-Target", "").endsWith(".PutItem")) {
        continue;
      }
      JsonNode item = JsonNode.parser().parse(request.getValue()).field("Item").get();
      if (item.field("id").get().field("S").get().asString().startsWith(run)) {
        String credential = headers.get("Authorization").split("Credential=")[1].split("/")[0];
        puts.add(List.of(item.field("tenantId").get().field("S").get().asString(), credential));
      }
    }
    return puts;
  }
}
