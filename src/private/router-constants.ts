/** Header that carries a request's routing key from API Gateway to the router's load balancers. */
export const ROUTING_HEADER = 'x-tenant-route';

/** Lambda allows 4 KB of environment variables per function. */
export const LAMBDA_ENVIRONMENT_LIMIT = 4096;
