/**
 * The HTTP settings of the AWS SDK clients a service makes itself (the DynamoDB and STS clients come from the runtime
 * helper, which sets the same: docs/service-resilience.md). `throwOnRequestTimeout`: without it, current
 * `@smithy/node-http-handler` only logs a warning when the request timeout passes, and waits on.
 */
export const SDK_REQUEST_HANDLER = { connectionTimeout: 1_000, requestTimeout: 3_000, throwOnRequestTimeout: true } as const;
