/** Reads an app's runtime configuration (`config.json`, written at deploy time or by the local environment). */
import { LocalEndpoints, WEB_CONFIG_FILE } from './contract';

/** Fetches `/config.json` and checks that each named field is a non-empty string. */
export async function loadConfig<T>(required: string[], fetchFn: typeof fetch = fetch): Promise<T> {
  const response = await fetchFn(`/${WEB_CONFIG_FILE}`, { cache: 'no-cache' });
  if (!response.ok) {
    throw new Error(`The app's configuration (/${WEB_CONFIG_FILE}) could not be loaded: HTTP ${response.status}.`);
  }
  const config = (await response.json()) as Record<string, unknown>;
  const missing = required.filter((k) => typeof config[k] !== 'string' || config[k] === '');
  if (missing.length > 0) {
    throw new Error(`The app's configuration (/${WEB_CONFIG_FILE}) has no ${missing.join(', ')}.`);
  }
  return config as T;
}

/**
 * Where a tenant API is reached: its URL as the control plane hands it out, or, in the local environment, where that
 * URL is served on this machine. Always ends with `/`.
 */
export function apiBaseUrl(apiGatewayUrl: string, local?: LocalEndpoints): string {
  const url = apiGatewayUrl.endsWith('/') ? apiGatewayUrl : `${apiGatewayUrl}/`;
  return local?.apiUrls[url] ?? url;
}
