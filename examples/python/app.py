#!/usr/bin/env python3
"""The Python quick start of cdk-ecs-saas: a whole application plane (docs/languages.md)."""
import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_events as events
from cdk_ecs_saas import (
    ClusterPerTenantTier, PooledEcsTier, RouterTier, SaasApplication, SbtContract, ServiceDefinition,
    ServiceTableAccess, SharedTierLifecycle, SiloServiceTier, StackTierLifecycle, TableAccessLevel, TableDefinition,
    TableSharing, TenantLifecycle, TenantRouter, TenantTemplate, TenantUserPool, TierRouting, TierUsagePlan,
    TokenIssuer,
)
from constructs import Construct


class QuickStartStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        vpc = ec2.Vpc(self, "Vpc", max_azs=2)
        pooled = self.application(TableSharing.POOLED)
        silo = self.application(TableSharing.PER_TENANT)

        # The three tiers.
        basic = PooledEcsTier(self, "Basic", vpc=vpc, application=pooled, tenants=["basic-1"])
        products = {"products": basic.pooled_table("products")}
        advanced = SiloServiceTier(self, "Advanced",
                                   vpc=vpc, application=silo, pooled_tables=products, tenants=["acme"])
        premium = ClusterPerTenantTier(self, "Premium",
                                       vpc=vpc, application=silo, pooled_tables=products, tenants=["initech"])

        # The router: a usage plan per tier, and a load balancer of its own for each premium tenant.
        users = TenantUserPool(self, "Users")
        router = TenantRouter(
            self, "Router",
            vpc=vpc,
            application=silo,
            issuers=[TokenIssuer.cognito(user_pool=users, client_ids=[users.app_client.user_pool_client_id])],
            tiers=[
                RouterTier(tier_name="basic", routing=TierRouting.SHARED, usage_plan=TierUsagePlan.REFERENCE_BASIC),
                RouterTier(
                    tier_name="advanced",
                    routing=TierRouting.PER_TENANT,
                    usage_plan=TierUsagePlan.of(rate_limit=100, burst_limit=200, quota_limit=5000),
                ),
                RouterTier(
                    tier_name="premium",
                    routing=TierRouting.PER_TENANT,
                    usage_plan=TierUsagePlan.REFERENCE_PREMIUM,
                    dedicated_load_balancer=True,
                ),
            ],
            issuer_registry=True,
        )
        router.add_shared_tier("basic", basic.routing_targets)
        router.add_tenants(advanced.tenants)
        router.add_tenants(premium.tenants)

        # Advanced tenants onboarded later get a stack of their own, provisioned from this template.
        template = TenantTemplate(self, "AdvancedTenant", tier_name="advanced")
        tenant_tier = SiloServiceTier(template, "Advanced",
                                      vpc=vpc, application=silo, pooled_tables=products, cluster=advanced.cluster)
        tenant = tenant_tier.add_tenant(template.tenant_id)
        router.add_tenant(tenant, shard=template.router_shard, priority=template.rule_priority)
        identity = template.add_tenant_identity()
        template.configure_tenant(
            user_pool_id=identity.user_pool.user_pool_id,
            app_client_id=identity.app_client.user_pool_client_id,
            api_url=router.endpoint_for(template.tenant_id),
        )

        # The lifecycle answers a SaaS Builder Toolkit 0.9 control plane on its event bus.
        control_plane_bus = events.EventBus(self, "ControlPlaneBus")
        TenantLifecycle(
            self, "Lifecycle",
            event_bus=control_plane_bus,
            contract=SbtContract.V0_9,
            router=router,
            application=pooled,
            pooled_tables=basic.pooled_tables,
            shared_tiers=[SharedTierLifecycle(
                tier_name="basic",
                user_pool=users,
                app_client_id=users.app_client.user_pool_client_id,
                api_url=router.endpoint_for_tier("basic"),
            )],
            stack_tiers=[StackTierLifecycle(template=template)],
        )

    def application(self, orders: TableSharing) -> SaasApplication:
        """Products pooled everywhere; orders pooled in the basic tier, one table per tenant above it (bridge model)."""
        partition_key = dynamodb.Attribute(name="tenantId", type=dynamodb.AttributeType.STRING)
        sort_key = dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING)
        image = ecs.ContainerImage.from_registry("public.ecr.aws/docker/library/node:22-alpine")
        return SaasApplication(
            tables=[
                TableDefinition(name="products", sharing=TableSharing.POOLED,
                                partition_key=partition_key, sort_key=sort_key),
                TableDefinition(name="orders", sharing=orders, partition_key=partition_key, sort_key=sort_key),
            ],
            services=[
                ServiceDefinition(name="products", image=image, path_prefix="/products", container_port=3010,
                                  tables=[ServiceTableAccess(table="products")]),
                ServiceDefinition(
                    name="orders",
                    image=image,
                    path_prefix="/orders",
                    container_port=3020,
                    tables=[ServiceTableAccess(table="orders"),
                            ServiceTableAccess(table="products", access_level=TableAccessLevel.READ)],
                ),
            ],
        )


app = cdk.App()
QuickStartStack(app, "QuickStart")
app.synth()
