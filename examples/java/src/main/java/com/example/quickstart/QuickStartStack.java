package com.example.quickstart;

import io.github.cdkecssaas.ClusterPerTenantTier;
import io.github.cdkecssaas.CognitoIssuerOptions;
import io.github.cdkecssaas.PooledEcsTier;
import io.github.cdkecssaas.RouteOptions;
import io.github.cdkecssaas.RouterTier;
import io.github.cdkecssaas.SaasApplication;
import io.github.cdkecssaas.SbtContract;
import io.github.cdkecssaas.ServiceDefinition;
import io.github.cdkecssaas.ServiceTableAccess;
import io.github.cdkecssaas.SharedTierLifecycle;
import io.github.cdkecssaas.SiloServiceTier;
import io.github.cdkecssaas.StackTierLifecycle;
import io.github.cdkecssaas.TableAccessLevel;
import io.github.cdkecssaas.TableDefinition;
import io.github.cdkecssaas.TableSharing;
import io.github.cdkecssaas.TenantConfigOutputs;
import io.github.cdkecssaas.TenantIdentity;
import io.github.cdkecssaas.TenantLifecycle;
import io.github.cdkecssaas.TenantRouter;
import io.github.cdkecssaas.TenantTemplate;
import io.github.cdkecssaas.TenantUserPool;
import io.github.cdkecssaas.TierRouting;
import io.github.cdkecssaas.TierTenant;
import io.github.cdkecssaas.TierUsagePlan;
import io.github.cdkecssaas.TierUsagePlanProps;
import io.github.cdkecssaas.TokenIssuer;
import java.util.List;
import java.util.Map;
import software.amazon.awscdk.App;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.services.dynamodb.Attribute;
import software.amazon.awscdk.services.dynamodb.AttributeType;
import software.amazon.awscdk.services.dynamodb.ITable;
import software.amazon.awscdk.services.ec2.Vpc;
import software.amazon.awscdk.services.ecs.ContainerImage;
import software.amazon.awscdk.services.events.EventBus;
import software.constructs.Construct;

/** The Java quick start of cdk-ecs-saas: a whole application plane (docs/languages.md). */
public final class QuickStartStack extends Stack {
    public QuickStartStack(final Construct scope, final String id) {
        super(scope, id);
        Vpc vpc = Vpc.Builder.create(this, "Vpc").maxAzs(2).build();
        SaasApplication pooled = application(TableSharing.POOLED);
        SaasApplication silo = application(TableSharing.PER_TENANT);

        // The three tiers.
        PooledEcsTier basic = PooledEcsTier.Builder.create(this, "Basic")
                .vpc(vpc).application(pooled).tenants(List.of("basic-1")).build();
        Map<String, ITable> products = Map.of("products", basic.pooledTable("products"));
        SiloServiceTier advanced = SiloServiceTier.Builder.create(this, "Advanced")
                .vpc(vpc).application(silo).pooledTables(products).tenants(List.of("acme")).build();
        ClusterPerTenantTier premium = ClusterPerTenantTier.Builder.create(this, "Premium")
                .vpc(vpc).application(silo).pooledTables(products).tenants(List.of("initech")).build();

        // The router: a usage plan per tier, and a load balancer of its own for each premium tenant.
        TenantUserPool users = new TenantUserPool(this, "Users");
        TenantRouter router = TenantRouter.Builder.create(this, "Router")
                .vpc(vpc)
                .application(silo)
                .issuers(List.of(TokenIssuer.cognito(CognitoIssuerOptions.builder()
                        .userPool(users)
                        .clientIds(List.of(users.getAppClient().getUserPoolClientId()))
                        .build())))
                .tiers(List.of(
                        RouterTier.builder()
                                .tierName("basic")
                                .routing(TierRouting.SHARED)
                                .usagePlan(TierUsagePlan.REFERENCE_BASIC)
                                .build(),
                        RouterTier.builder()
                                .tierName("advanced")
                                .routing(TierRouting.PER_TENANT)
                                .usagePlan(TierUsagePlan.of(TierUsagePlanProps.builder()
                                        .rateLimit(100).burstLimit(200).quotaLimit(5000).build()))
                                .build(),
                        RouterTier.builder()
                                .tierName("premium")
                                .routing(TierRouting.PER_TENANT)
                                .usagePlan(TierUsagePlan.REFERENCE_PREMIUM)
                                .dedicatedLoadBalancer(true)
                                .build()))
                .issuerRegistry(true)
                .build();
        router.addSharedTier("basic", basic.getRoutingTargets());
        router.addTenants(advanced.getTenants());
        router.addTenants(premium.getTenants());

        // Advanced tenants onboarded later get a stack of their own, provisioned from this template.
        TenantTemplate template = TenantTemplate.Builder.create(this, "AdvancedTenant").tierName("advanced").build();
        SiloServiceTier tenantTier = SiloServiceTier.Builder.create(template, "Advanced")
                .vpc(vpc).application(silo).pooledTables(products).cluster(advanced.getCluster()).build();
        TierTenant tenant = tenantTier.addTenant(template.getTenantId());
        router.addTenant(tenant, RouteOptions.builder()
                .shard(template.getRouterShard()).priority(template.getRulePriority()).build());
        TenantIdentity identity = template.addTenantIdentity();
        template.configureTenant(TenantConfigOutputs.builder()
                .userPoolId(identity.getUserPool().getUserPoolId())
                .appClientId(identity.getAppClient().getUserPoolClientId())
                .apiUrl(router.endpointFor(template.getTenantId()))
                .build());

        // The lifecycle answers a SaaS Builder Toolkit 0.9 control plane on its event bus.
        EventBus controlPlaneBus = new EventBus(this, "ControlPlaneBus");
        TenantLifecycle.Builder.create(this, "Lifecycle")
                .eventBus(controlPlaneBus)
                .contract(SbtContract.V0_9)
                .router(router)
                .application(pooled)
                .pooledTables(basic.getPooledTables())
                .sharedTiers(List.of(SharedTierLifecycle.builder()
                        .tierName("basic")
                        .userPool(users)
                        .appClientId(users.getAppClient().getUserPoolClientId())
                        .apiUrl(router.endpointForTier("basic"))
                        .build()))
                .stackTiers(List.of(StackTierLifecycle.builder().template(template).build()))
                .build();
    }

    /** Products pooled everywhere; orders pooled in the basic tier, one table per tenant above it (bridge model). */
    private SaasApplication application(final TableSharing orders) {
        Attribute partitionKey = Attribute.builder().name("tenantId").type(AttributeType.STRING).build();
        Attribute sortKey = Attribute.builder().name("id").type(AttributeType.STRING).build();
        ContainerImage image = ContainerImage.fromRegistry("public.ecr.aws/docker/library/node:22-alpine");
        return SaasApplication.Builder.create()
                .tables(List.of(
                        TableDefinition.builder().name("products").sharing(TableSharing.POOLED)
                                .partitionKey(partitionKey).sortKey(sortKey).build(),
                        TableDefinition.builder().name("orders").sharing(orders)
                                .partitionKey(partitionKey).sortKey(sortKey).build()))
                .services(List.of(
                        ServiceDefinition.builder().name("products").image(image).pathPrefix("/products")
                                .containerPort(3010)
                                .tables(List.of(ServiceTableAccess.builder().table("products").build()))
                                .build(),
                        ServiceDefinition.builder()
                                .name("orders")
                                .image(image)
                                .pathPrefix("/orders")
                                .containerPort(3020)
                                .tables(List.of(
                                        ServiceTableAccess.builder().table("orders").build(),
                                        ServiceTableAccess.builder().table("products")
                                                .accessLevel(TableAccessLevel.READ).build()))
                                .build()))
                .build();
    }

    public static void main(final String[] args) {
        App app = new App();
        new QuickStartStack(app, "QuickStart");
        app.synth();
    }
}
