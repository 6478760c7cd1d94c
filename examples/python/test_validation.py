"""A synth-time validation error reaches Python as an exception naming the prop and the value (docs/languages.md)."""
import pathlib
import unittest

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from cdk_ecs_saas import (
    PooledEcsTier, SaasApplication, ServiceDefinition, ServiceTableAccess, TableDefinition, TableSharing,
    TierUsagePlan,
)

ERRORS_FILE = pathlib.Path(__file__).resolve().parent.parent / "validation-errors.properties"


def expected_errors() -> dict:
    """The messages every language must see, from examples/validation-errors.properties."""
    errors = {}
    for line in ERRORS_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            key, message = line.split("=", 1)
            errors[key.strip()] = message.strip()
    return errors


class ValidationErrors(unittest.TestCase):
    errors = expected_errors()

    def setUp(self) -> None:
        self.stack = cdk.Stack(cdk.App(), "Validation")
        self.vpc = ec2.Vpc(self.stack, "Vpc")
        image = ecs.ContainerImage.from_registry("public.ecr.aws/docker/library/node:22-alpine")
        self.application = SaasApplication(
            tables=[TableDefinition(name="products", sharing=TableSharing.POOLED)],
            services=[ServiceDefinition(name="products", image=image, path_prefix="/products",
                                        tables=[ServiceTableAccess(table="products")])],
        )

    def assert_error(self, key: str, create) -> None:
        with self.assertRaises(RuntimeError) as raised:
            create()
        # jsii raises the JavaScript Error as a RuntimeError; a static method's error starts "Error: ".
        self.assertEqual(str(raised.exception).removeprefix("Error: "), self.errors[key])

    def test_invalid_tenant_id(self) -> None:
        self.assert_error("invalid-tenant-id", lambda: PooledEcsTier(
            self.stack, "Basic", vpc=self.vpc, application=self.application, tenants=["acme", "Acme_Corp"]))

    def test_invalid_rate_limit(self) -> None:
        self.assert_error("invalid-rate-limit", lambda: TierUsagePlan.of(rate_limit=-1, burst_limit=50))

    def test_unknown_pooled_table(self) -> None:
        basic = PooledEcsTier(self.stack, "Basic", vpc=self.vpc, application=self.application)
        self.assert_error("unknown-pooled-table", lambda: basic.pooled_table("product"))

    def test_every_case_is_tested(self) -> None:
        tested = {name[len("test_"):].replace("_", "-") for name in dir(self) if name.startswith("test_")}
        self.assertEqual(set(self.errors) - tested, set())


if __name__ == "__main__":
    unittest.main()
