package com.example.tenancy;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.protocols.jsoncore.JsonNode;
import software.amazon.awssdk.protocols.jsoncore.JsonNodeParser;
import software.amazon.awssdk.protocols.jsoncore.JsonWriter;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClientBuilder;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.StsClientBuilder;
import software.amazon.awssdk.services.sts.auth.StsAssumeRoleCredentialsProvider;
import software.amazon.awssdk.services.sts.model.AssumeRoleRequest;
import software.amazon.awssdk.services.sts.model.Tag;
import software.amazon.awssdk.thirdparty.jackson.core.JsonParser;

/**
 * Tenant-scoped DynamoDB clients for a Java service that uses ScopedDynamoAccess: the Java counterpart of the
 * TypeScript runtime helper {@code cdk-ecs-saas/lib/runtime} ({@code TenantScopedDynamo}), as a sample to copy into a
 * service. It needs the AWS SDK for Java v2 and nothing of the construct library (whose Maven package loads jsii and
 * Node.js). See docs/runtime-helper.md, "Python and Java services".
 *
 * <pre>{@code
 * TenantScopedDynamo scoped = TenantScopedDynamo.fromEnvironment();   // once per process
 * ...
 * DynamoDbClient ddb = scoped.client(tenantId);   // per request; tenantId from the verified token
 * ddb.putItem(r -> r.tableName(table).item(Map.of("tenantId", AttributeValue.fromS(tenantId), ...)));
 * }</pre>
 *
 * <p>Behaviour:
 * <ul>
 *   <li>Each tenant has one {@link StsAssumeRoleCredentialsProvider}, the SDK's own cache: it renews the credentials
 *       from {@code prefetchTime} (default 5 minutes) before they expire, with one request refreshing while the others
 *       carry on with the current credentials, and makes every request wait only from {@code staleTime} (default
 *       1 minute) before expiry. Concurrent requests share one refresh, so one {@code AssumeRole} call per tenant per
 *       credential lifetime, not one per request.</li>
 *   <li>At most {@code maxCachedTenants} (default 1000) tenants are kept; the least recently used go first. An evicted
 *       tenant's client is dropped, never closed (see {@link #client}).</li>
 *   <li>The tenant id is checked against the tenant-id pattern before any call.</li>
 *   <li>{@code SESSION_TAGS}: {@code AssumeRole} with the session tag {@code <tag key>=<tenant>}.</li>
 *   <li>{@code SESSION_POLICY}: {@code AssumeRole} with the session-policy template, parsed as JSON, in which every
 *       string value equal to the placeholder is replaced by the tenant id; never text substitution, so a tenant id
 *       cannot inject policy text.</li>
 *   <li>{@code FIXED_TENANT}: no STS call (the task role is already fenced); any other tenant is refused.</li>
 *   <li>Every client, STS and DynamoDB, sends its requests through ONE {@link SdkHttpClient} (one connection pool).</li>
 *   <li>No call waits forever: that HTTP client has a connection timeout ({@code connectionTimeout}, default 1 s) and
 *       a socket timeout ({@code requestTimeout}, default 3 s), and every client the helper creates (the tenants'
 *       DynamoDB clients, the fixed tenant's and the STS client) has {@code requestTimeout} as its API call attempt
 *       timeout. A held connection fails each attempt after {@code requestTimeout}, and the SDK retries it, instead of
 *       waiting the Apache client's default 30 s socket timeout on every attempt.</li>
 * </ul>
 *
 * <p>Pass only a tenant id taken from a verified token: the helper scopes access to whatever tenant it is given.
 * Thread-safe: share one instance in the process.
 */
public final class TenantScopedDynamo implements AutoCloseable {
  // The contract with the construct (src/contract/environment.ts and src/contract/tenant-id.ts); the repository's
  // test/java-runtime.test.ts checks that these equal the TypeScript values.
  public static final String ENV_SCOPING = "SCOPED_DYNAMO_SCOPING";
  public static final String ENV_ROLE_ARN = "SCOPED_DYNAMO_ROLE_ARN";
  public static final String ENV_TAG_KEY = "SCOPED_DYNAMO_TAG_KEY";
  public static final String ENV_SESSION_POLICY = "SCOPED_DYNAMO_SESSION_POLICY";
  public static final String ENV_TENANT_ID = "SCOPED_DYNAMO_TENANT_ID";
  public static final String TENANT_ID_PLACEHOLDER = "<<tenant-id>>";
  public static final String TENANT_ID_PATTERN = "^[a-z0-9](?:[a-z0-9-]{0,34}[a-z0-9])?$";
  public static final String TENANT_ID_RULE =
      "1 to 36 characters of lowercase letters, digits and hyphens, starting and ending with a letter or digit";

  // Matcher.matches() must match the whole input: unlike find(), it cannot accept "alpha\n" by letting '$' match
  // before the trailing newline.
  private static final Pattern TENANT_ID = Pattern.compile(TENANT_ID_PATTERN);

  /** How sessions are scoped to a tenant (the construct's TenantScoping). */
  public enum Scoping { SESSION_TAGS, SESSION_POLICY, FIXED_TENANT }

  /**
   * What the helper has done so far.
   *
   * @param stsCalls {@code AssumeRole} calls made (counted by an interceptor on the helper's STS client; a call that
   *     the SDK retries counts once)
   * @param tenantsOpened tenant clients (each with its credentials provider) created
   * @param cachedTenants tenants currently kept
   * @param evictions tenants dropped to stay within {@code maxCachedTenants}
   */
  public record Stats(long stsCalls, long tenantsOpened, int cachedTenants, long evictions) {}

  private final Scoping scoping;
  private final String roleArn;
  private final String tagKey;
  private final JsonNode policyTemplate;
  private final String fixedTenantId;
  private final Region region;
  private final URI endpoint;
  private final AwsCredentialsProvider baseCredentials;
  private final Duration sessionDuration;
  private final Duration prefetchTime;
  private final Duration staleTime;
  private final int maxCachedTenants;
  private final Duration requestTimeout;

  private final SdkHttpClient http;
  private final boolean ownsHttp;
  private final AssumeRoleCounter assumeRoles = new AssumeRoleCounter();
  private final StsClient sts;
  private final DynamoDbClient fixedClient;

  /**
   * Each tenant's client (with its own credentials provider); computeIfAbsent makes concurrent first requests for a
   * tenant share one.
   */
  private final ConcurrentHashMap<String, DynamoDbClient> tenants = new ConcurrentHashMap<>();
  /** The same tenants in access order (least recently used first). Guarded by itself. */
  private final LinkedHashMap<String, DynamoDbClient> recency = new LinkedHashMap<>(16, 0.75f, true);
  private final AtomicLong opened = new AtomicLong();
  private long evictions; // guarded by recency

  /** The helper for the container's environment ({@link System#getenv()}), with the SDK's defaults otherwise. */
  public static TenantScopedDynamo fromEnvironment() {
    return builder().environment(System.getenv()).build();
  }

  /** The helper for the environment variables that {@code ScopedDynamoAccess.addToContainer} sets. */
  public static TenantScopedDynamo fromEnvironment(Map<String, String> env) {
    return builder().environment(env).build();
  }

  /** A builder; {@link Builder#environment} reads the construct's environment variables into it. */
  public static Builder builder() {
    return new Builder();
  }

  /** Whether {@code tenantId} follows the tenant-id rule (docs/tenant-ids.md). */
  public static boolean isValidTenantId(String tenantId) {
    return tenantId != null && TENANT_ID.matcher(tenantId).matches();
  }

  private TenantScopedDynamo(Builder b) {
    if (b.scoping == null) {
      throw new IllegalArgumentException("scoping must be SESSION_TAGS, SESSION_POLICY or FIXED_TENANT.");
    }
    this.scoping = b.scoping;
    switch (b.scoping) {
      case SESSION_TAGS:
        if (isBlank(b.roleArn) || isBlank(b.tagKey)) {
          throw new IllegalArgumentException("roleArn and tagKey are required with scoping SESSION_TAGS.");
        }
        this.policyTemplate = null;
        break;
      case SESSION_POLICY:
        if (isBlank(b.roleArn) || isBlank(b.sessionPolicyTemplate)) {
          throw new IllegalArgumentException(
              "roleArn and sessionPolicyTemplate are required with scoping SESSION_POLICY.");
        }
        this.policyTemplate = parseTemplate(b.sessionPolicyTemplate);
        break;
      case FIXED_TENANT:
      default:
        if (!isValidTenantId(b.tenantId)) {
          throw new IllegalArgumentException(
              "tenantId is required with scoping FIXED_TENANT and must be " + TENANT_ID_RULE + "; got "
                  + describe(b.tenantId) + ".");
        }
        this.policyTemplate = null;
    }
    long duration = b.sessionDuration.getSeconds();
    if (duration < 900 || duration > 3600 || b.sessionDuration.getNano() != 0) {
      throw new IllegalArgumentException(
          "sessionDuration must be whole seconds from 900 to 3600; got " + b.sessionDuration + ".");
    }
    if (b.staleTime.isNegative() || b.prefetchTime.compareTo(b.staleTime) < 0
        || b.prefetchTime.compareTo(b.sessionDuration) >= 0) {
      throw new IllegalArgumentException("staleTime (" + b.staleTime + ") must be at least 0, and prefetchTime ("
          + b.prefetchTime + ") at least staleTime and less than sessionDuration (" + b.sessionDuration + ").");
    }
    if (b.maxCachedTenants < 1) {
      throw new IllegalArgumentException("maxCachedTenants must be at least 1; got " + b.maxCachedTenants + ".");
    }
    checkTimeout("connectionTimeout", b.connectionTimeout);
    checkTimeout("requestTimeout", b.requestTimeout);
    this.roleArn = b.roleArn;
    this.tagKey = b.tagKey;
    this.fixedTenantId = b.tenantId;
    this.region = b.region;
    this.endpoint = b.endpoint;
    this.baseCredentials = b.credentialsProvider;
    this.sessionDuration = b.sessionDuration;
    this.prefetchTime = b.prefetchTime;
    this.staleTime = b.staleTime;
    this.maxCachedTenants = b.maxCachedTenants;
    this.requestTimeout = b.requestTimeout;

    // No call waits forever: the connection and socket timeouts of the shared HTTP client, and (below) the attempt
    // timeout of every client, which also bounds an answer that trickles in or an HTTP client given to the builder.
    this.ownsHttp = b.httpClient == null;
    this.http = ownsHttp
        ? Apache5HttpClient.builder().connectionTimeout(b.connectionTimeout).socketTimeout(b.requestTimeout).build()
        : b.httpClient;
    try {
      if (scoping == Scoping.FIXED_TENANT) {
        this.sts = null;
        this.fixedClient = dynamoBuilder().credentialsProvider(baseCredentials).build();
      } else {
        StsClientBuilder stsBuilder = StsClient.builder()
            .httpClient(http)
            .credentialsProvider(baseCredentials)
            .overrideConfiguration(o -> o.addExecutionInterceptor(assumeRoles).apiCallAttemptTimeout(requestTimeout));
        if (region != null) {
          stsBuilder.region(region);
        }
        if (endpoint != null) {
          stsBuilder.endpointOverride(endpoint);
        }
        this.sts = stsBuilder.build();
        this.fixedClient = null;
      }
    } catch (RuntimeException e) {
      if (ownsHttp) {
        http.close();
      }
      throw e;
    }
  }

  /**
   * A DynamoDB client that can reach only {@code tenantId}'s data. The client is reused for the tenant and renews its
   * credentials itself; the first request through it calls STS.
   *
   * @throws IllegalArgumentException if the tenant id breaks the tenant-id rule, or (FIXED_TENANT) is not the tenant
   *     this service serves; before any call
   */
  public DynamoDbClient client(String tenantId) {
    if (!isValidTenantId(tenantId)) {
      throw new IllegalArgumentException("tenantId must be " + TENANT_ID_RULE + "; got " + describe(tenantId) + ".");
    }
    if (scoping == Scoping.FIXED_TENANT) {
      if (!fixedTenantId.equals(tenantId)) {
        throw new IllegalArgumentException(
            "This service serves tenant '" + fixedTenantId + "' only; got '" + tenantId + "'.");
      }
      return fixedClient;
    }
    // Concurrent first requests for a tenant all get the one client that computeIfAbsent creates (creating it makes
    // no call: the provider calls STS on first use, and its cache lets concurrent callers wait for that one call).
    DynamoDbClient client = tenants.computeIfAbsent(tenantId, this::open);
    touch(tenantId, client);
    return client;
  }

  /** What the helper has done so far. */
  public Stats stats() {
    synchronized (recency) {
      return new Stats(assumeRoles.calls.get(), opened.get(), tenants.size(), evictions);
    }
  }

  /**
   * The parsed session-policy template with every string value equal to the placeholder replaced by the tenant id,
   * as JSON. Keys and strings that merely contain the placeholder are left alone (no text substitution), and the
   * tenant id is written as one JSON string whatever it contains.
   */
  public static String renderSessionPolicy(String template, String tenantId) {
    return render(parseTemplate(template), tenantId);
  }

  /**
   * Closes the STS client, the FIXED_TENANT client and the HTTP client (unless the builder was given one), and forgets
   * every tenant. Call it at shutdown, once no request uses a client any more.
   */
  @Override
  public void close() {
    synchronized (recency) {
      recency.clear();
      tenants.clear();
    }
    if (sts != null) {
      sts.close();
    }
    if (fixedClient != null) {
      fixedClient.close();
    }
    if (ownsHttp) {
      http.close();
    }
  }

  private DynamoDbClient open(String tenantId) {
    AssumeRoleRequest.Builder request = AssumeRoleRequest.builder()
        .roleArn(roleArn)
        .roleSessionName("tenant-" + tenantId)
        .durationSeconds((int) sessionDuration.getSeconds());
    if (scoping == Scoping.SESSION_TAGS) {
      request.tags(Tag.builder().key(tagKey).value(tenantId).build()); // not transitive
    } else {
      request.policy(render(policyTemplate, tenantId));
    }
    StsAssumeRoleCredentialsProvider credentials = StsAssumeRoleCredentialsProvider.builder()
        .stsClient(sts)
        .refreshRequest(request.build())
        .prefetchTime(prefetchTime)
        .staleTime(staleTime)
        // asyncCredentialUpdateEnabled stays false (the default): see touch() for why.
        .build();
    DynamoDbClient client = dynamoBuilder().credentialsProvider(credentials).build();
    opened.incrementAndGet();
    return client;
  }

  /**
   * Marks the tenant as used and evicts the least recently used tenants beyond {@code maxCachedTenants}.
   *
   * <p>Eviction only drops a tenant from the cache; it never closes its client or credentials provider. A client
   * handed out may still be in use on another thread (a request in flight, or a handler that holds it for a while),
   * and closing it there would break that request. Dropping is enough, because an evicted tenant owns nothing that
   * needs closing: its client sends requests through the shared HTTP client (closing a client built with
   * {@code httpClient(...)} would not close that anyway), the SDK schedules its timeouts on a scheduler shared by all
   * clients, and a credentials provider with the default synchronous refresh has no background task. So once the last
   * caller lets go of the client, the garbage collector takes the client and its provider. Background refresh
   * ({@code asyncCredentialUpdateEnabled}) is left off on purpose: it schedules each provider's next refresh on a
   * static SDK scheduler, which keeps an evicted provider reachable and calling STS every hour until it is closed.
   */
  private void touch(String tenantId, DynamoDbClient client) {
    synchronized (recency) {
      if (tenants.get(tenantId) != client) {
        return; // evicted since computeIfAbsent returned it: the caller may still use it
      }
      recency.put(tenantId, client); // access order: now the most recently used
      Iterator<Map.Entry<String, DynamoDbClient>> eldest = recency.entrySet().iterator();
      while (recency.size() > maxCachedTenants) {
        Map.Entry<String, DynamoDbClient> entry = eldest.next();
        eldest.remove();
        tenants.remove(entry.getKey(), entry.getValue());
        evictions++;
      }
    }
  }

  private DynamoDbClientBuilder dynamoBuilder() {
    DynamoDbClientBuilder builder = DynamoDbClient.builder()
        .httpClient(http)
        .overrideConfiguration(o -> o.apiCallAttemptTimeout(requestTimeout));
    if (region != null) {
      builder.region(region);
    }
    if (endpoint != null) {
      builder.endpointOverride(endpoint);
    }
    return builder;
  }

  private static JsonNode parseTemplate(String template) {
    // JsonNode's parser reads the first JSON value and ignores whatever follows it, so the template is first read as
    // tokens: one value, then nothing.
    try (JsonParser tokens = JsonNodeParser.DEFAULT_JSON_FACTORY.createParser(template)) {
      if (tokens.nextToken() == null) {
        throw new IllegalArgumentException("sessionPolicyTemplate is not JSON: it is empty.");
      }
      tokens.skipChildren();
      if (tokens.nextToken() != null) {
        throw new IllegalArgumentException("sessionPolicyTemplate is not JSON: text follows its JSON value.");
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("sessionPolicyTemplate is not JSON: " + e.getMessage(), e);
    }
    JsonNode parsed = JsonNode.parser().parse(template);
    if (!hasPlaceholderValue(parsed)) {
      throw new IllegalArgumentException("sessionPolicyTemplate has no " + TENANT_ID_PLACEHOLDER
          + " value: it would not scope sessions to a tenant (only a whole string value is replaced, never a key or"
          + " part of a string).");
    }
    return parsed;
  }

  private static boolean hasPlaceholderValue(JsonNode node) {
    if (node.isString()) {
      return TENANT_ID_PLACEHOLDER.equals(node.asString());
    }
    if (node.isArray()) {
      return node.asArray().stream().anyMatch(TenantScopedDynamo::hasPlaceholderValue);
    }
    if (node.isObject()) {
      return node.asObject().values().stream().anyMatch(TenantScopedDynamo::hasPlaceholderValue);
    }
    return false;
  }

  private static String render(JsonNode template, String tenantId) {
    try (JsonWriter writer = JsonWriter.create()) {
      write(writer, template, tenantId);
      return new String(writer.getBytes(), StandardCharsets.UTF_8);
    }
  }

  private static void write(JsonWriter writer, JsonNode node, String tenantId) {
    if (node.isString()) {
      String value = node.asString();
      writer.writeValue(TENANT_ID_PLACEHOLDER.equals(value) ? tenantId : value);
    } else if (node.isObject()) {
      writer.writeStartObject();
      for (Map.Entry<String, JsonNode> field : node.asObject().entrySet()) {
        writer.writeFieldName(field.getKey());
        write(writer, field.getValue(), tenantId);
      }
      writer.writeEndObject();
    } else if (node.isArray()) {
      writer.writeStartArray();
      List<JsonNode> items = node.asArray();
      for (JsonNode item : items) {
        write(writer, item, tenantId);
      }
      writer.writeEndArray();
    } else if (node.isNumber()) {
      writer.writeNumber(node.asNumber()); // the number's text as parsed
    } else if (node.isBoolean()) {
      writer.writeValue(node.asBoolean());
    } else {
      writer.writeNull();
    }
  }

  private static void checkTimeout(String name, Duration value) {
    if (value.compareTo(Duration.ofMillis(1)) < 0 || value.getNano() % 1_000_000 != 0) {
      throw new IllegalArgumentException(
          name + " must be a whole number of milliseconds, at least 1; got " + value.toString() + ".");
    }
  }

  private static boolean isBlank(String value) {
    return value == null || value.isBlank();
  }

  /** The value quoted, with control characters escaped, for error messages. */
  private static String describe(String value) {
    if (value == null) {
      return "null";
    }
    StringBuilder out = new StringBuilder("'");
    value.codePoints().forEach(c -> {
      if (c < 0x20 || c == 0x7f) {
        out.append(String.format("\\u%04x", c));
      } else {
        out.appendCodePoint(c);
      }
    });
    return out.append('\'').toString();
  }

  /** Counts the AssumeRole calls of the helper's STS client. */
  private static final class AssumeRoleCounter implements ExecutionInterceptor {
    private final AtomicLong calls = new AtomicLong();

    @Override
    public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes executionAttributes) {
      if (context.request() instanceof AssumeRoleRequest) {
        calls.incrementAndGet();
      }
    }
  }

  /** Options of {@link TenantScopedDynamo}; the setters given later override {@link #environment}. */
  public static final class Builder {
    private Scoping scoping;
    private String roleArn;
    private String tagKey;
    private String sessionPolicyTemplate;
    private String tenantId;
    private Region region;
    private URI endpoint;
    private AwsCredentialsProvider credentialsProvider;
    private SdkHttpClient httpClient;
    private Duration sessionDuration = Duration.ofHours(1);
    private Duration prefetchTime = Duration.ofMinutes(5);
    private Duration staleTime = Duration.ofMinutes(1);
    private int maxCachedTenants = 1000;
    private Duration connectionTimeout = Duration.ofSeconds(1);
    private Duration requestTimeout = Duration.ofSeconds(3);

    private Builder() {}

    /**
     * Reads the environment variables that {@code ScopedDynamoAccess.addToContainer} sets: the scoping, role, tag
     * key, session-policy template and fixed tenant.
     */
    public Builder environment(Map<String, String> env) {
      String value = Objects.requireNonNullElse(env.get(ENV_SCOPING), "");
      try {
        this.scoping = Scoping.valueOf(value);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(ENV_SCOPING + " must be SESSION_TAGS, SESSION_POLICY or FIXED_TENANT; got '"
            + value + "'. Is ScopedDynamoAccess.addToContainer applied to this container?", e);
      }
      this.roleArn = env.get(ENV_ROLE_ARN);
      this.tagKey = env.get(ENV_TAG_KEY);
      this.sessionPolicyTemplate = env.get(ENV_SESSION_POLICY);
      this.tenantId = env.get(ENV_TENANT_ID);
      return this;
    }

    public Builder scoping(Scoping scoping) {
      this.scoping = scoping;
      return this;
    }

    /** The tenant-access role (SESSION_TAGS and SESSION_POLICY). */
    public Builder roleArn(String roleArn) {
      this.roleArn = roleArn;
      return this;
    }

    /** The session tag key that carries the tenant id (SESSION_TAGS). */
    public Builder tagKey(String tagKey) {
      this.tagKey = tagKey;
      return this;
    }

    /** The JSON session-policy template with the placeholder as a whole string value (SESSION_POLICY). */
    public Builder sessionPolicyTemplate(String sessionPolicyTemplate) {
      this.sessionPolicyTemplate = sessionPolicyTemplate;
      return this;
    }

    /** The one tenant this service serves (FIXED_TENANT). */
    public Builder tenantId(String tenantId) {
      this.tenantId = tenantId;
      return this;
    }

    /** Region of the STS and DynamoDB clients. Default: the SDK's region chain (AWS_REGION, profile...). */
    public Builder region(Region region) {
      this.region = region;
      return this;
    }

    /**
     * Endpoint of the STS and DynamoDB clients, for a local stand-in. Default: AWS's endpoints, or AWS_ENDPOINT_URL
     * (and the service-specific AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL_DYNAMODB), which the SDK reads itself.
     */
    public Builder endpoint(URI endpoint) {
      this.endpoint = endpoint;
      return this;
    }

    /**
     * The credentials that call STS (SESSION_TAGS, SESSION_POLICY) or DynamoDB (FIXED_TENANT): the task role.
     * Default: the SDK's default credentials chain.
     */
    public Builder credentialsProvider(AwsCredentialsProvider credentialsProvider) {
      this.credentialsProvider = credentialsProvider;
      return this;
    }

    /**
     * The HTTP client that every client of the helper sends its requests through; the caller closes it, and sets its
     * timeouts ({@link #requestTimeout} still bounds each attempt). Default: an Apache 5 HTTP client with the SDK's
     * defaults but the timeouts below, which {@link TenantScopedDynamo#close()} closes.
     */
    public Builder httpClient(SdkHttpClient httpClient) {
      this.httpClient = httpClient;
      return this;
    }

    /** Duration of the tenant sessions: 900 to 3600 seconds (role chaining caps sessions at one hour). */
    public Builder sessionDuration(Duration sessionDuration) {
      this.sessionDuration = Objects.requireNonNull(sessionDuration, "sessionDuration");
      return this;
    }

    /** From this long before expiry, one request renews a tenant's credentials. Default 5 minutes. */
    public Builder prefetchTime(Duration prefetchTime) {
      this.prefetchTime = Objects.requireNonNull(prefetchTime, "prefetchTime");
      return this;
    }

    /** From this long before expiry, every request waits for the renewal. Default 1 minute. */
    public Builder staleTime(Duration staleTime) {
      this.staleTime = Objects.requireNonNull(staleTime, "staleTime");
      return this;
    }

    /** Most tenants whose client is kept. Default 1000. */
    public Builder maxCachedTenants(int maxCachedTenants) {
      this.maxCachedTenants = maxCachedTenants;
      return this;
    }

    /**
     * Longest wait for a TCP connection to STS or DynamoDB, whole milliseconds, at least 1 ms; a connection that takes
     * longer fails the attempt, and the SDK retries it. The connection timeout of the helper's HTTP client (not of one
     * given to {@link #httpClient}). Default 1 second.
     */
    public Builder connectionTimeout(Duration connectionTimeout) {
      this.connectionTimeout = Objects.requireNonNull(connectionTimeout, "connectionTimeout");
      return this;
    }

    /**
     * Longest wait for an attempt of a call, whole milliseconds, at least 1 ms: the API call attempt timeout of every
     * client the helper creates, and the socket (read) timeout of its HTTP client. A held connection fails the attempt,
     * and the SDK retries it. Default 3 seconds.
     */
    public Builder requestTimeout(Duration requestTimeout) {
      this.requestTimeout = Objects.requireNonNull(requestTimeout, "requestTimeout");
      return this;
    }

    public TenantScopedDynamo build() {
      return new TenantScopedDynamo(this);
    }
  }
}
