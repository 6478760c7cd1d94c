package com.example.quickstart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.cdkecssaas.PooledEcsTier;
import io.github.cdkecssaas.SaasApplication;
import io.github.cdkecssaas.ServiceDefinition;
import io.github.cdkecssaas.ServiceTableAccess;
import io.github.cdkecssaas.TableDefinition;
import io.github.cdkecssaas.TableSharing;
import io.github.cdkecssaas.TierUsagePlan;
import io.github.cdkecssaas.TierUsagePlanProps;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import software.amazon.awscdk.App;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.services.ec2.Vpc;
import software.amazon.awscdk.services.ecs.ContainerImage;

/** A synth-time validation error reaches Java as an exception naming the prop and the value (docs/languages.md). */
class ValidationTest {
    /** The messages every language must see, from examples/validation-errors.properties. */
    private static final Properties ERRORS = new Properties();

    static {
        try (Reader reader = Files.newBufferedReader(Path.of("..", "validation-errors.properties"), StandardCharsets.UTF_8)) {
            ERRORS.load(reader);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read examples/validation-errors.properties", e);
        }
    }

    private Stack stack;
    private Vpc vpc;
    private SaasApplication application;

    @BeforeEach
    void setUp() {
        stack = new Stack(new App(), "Validation");
        vpc = new Vpc(stack, "Vpc");
        application = SaasApplication.Builder.create()
                .tables(List.of(TableDefinition.builder().name("products").sharing(TableSharing.POOLED).build()))
                .services(List.of(ServiceDefinition.builder()
                        .name("products")
                        .image(ContainerImage.fromRegistry("public.ecr.aws/docker/library/node:22-alpine"))
                        .pathPrefix("/products")
                        .tables(List.of(ServiceTableAccess.builder().table("products").build()))
                        .build()))
                .build();
    }

    /**
     * jsii throws the JavaScript Error as a RuntimeException: a JsiiError from a constructor, a plain
     * RuntimeException from a method. The first line of its message is the library's message (after "Error: " when
     * a method threw); the JavaScript kernel's stack follows on the next lines.
     */
    private static void assertError(final String key, final Executable create) {
        RuntimeException e = assertThrows(RuntimeException.class, create);
        assertEquals(ERRORS.getProperty(key), e.getMessage().split("\n", 2)[0].replaceFirst("^Error: ", ""));
    }

    @Test
    void invalidTenantId() {
        assertError("invalid-tenant-id", () -> PooledEcsTier.Builder.create(stack, "Basic")
                .vpc(vpc).application(application).tenants(List.of("acme", "Acme_Corp")).build());
    }

    @Test
    void invalidRateLimit() {
        assertError("invalid-rate-limit",
                () -> TierUsagePlan.of(TierUsagePlanProps.builder().rateLimit(-1).burstLimit(50).build()));
    }

    @Test
    void unknownPooledTable() {
        PooledEcsTier basic = PooledEcsTier.Builder.create(stack, "Basic").vpc(vpc).application(application).build();
        assertError("unknown-pooled-table", () -> basic.pooledTable("product"));
    }

    @Test
    void everyCaseIsTested() {
        Set<String> tested = Arrays.stream(ValidationTest.class.getDeclaredMethods())
                .filter(m -> m.isAnnotationPresent(Test.class))
                .map(m -> m.getName().replaceAll("([A-Z])", "-$1").toLowerCase())
                .collect(Collectors.toSet());
        Set<String> untested = ERRORS.stringPropertyNames().stream()
                .filter(k -> !tested.contains(k)).collect(Collectors.toSet());
        assertEquals(Set.of(), untested);
    }
}
