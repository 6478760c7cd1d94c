/**
 * Deployed probe for integ.tiers: calls the stand-in router (an internal ALB) from inside the VPC with a routing
 * header and a path, and reports the status and body.
 */
export async function handler(event: { routingKey: string; path: string; method?: string }) {
  const response = await fetch(`http://${process.env.ROUTER_DNS}${event.path}`, {
    method: event.method ?? 'GET',
    headers: { 'x-tenant-route': event.routingKey },
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // plain text (the proxy's health endpoint)
  }
  return { status: response.status, body };
}
