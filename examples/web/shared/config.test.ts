import { describe, expect, it } from 'vitest';
import { apiBaseUrl, loadConfig } from './config';

const serve = (status: number, body: unknown) => (async () => new Response(JSON.stringify(body), { status })) as typeof fetch;

describe('loadConfig', () => {
  it('answers the configuration when every required field is there', async () => {
    await expect(loadConfig(['region'], serve(200, { region: 'us-east-1', extra: 1 }))).resolves.toEqual({ region: 'us-east-1', extra: 1 });
  });

  it('names the missing fields', async () => {
    await expect(loadConfig(['region', 'controlPlaneApiUrl'], serve(200, { region: '' }))).rejects.toThrow(
      "The app's configuration (/config.json) has no region, controlPlaneApiUrl.",
    );
  });

  it('says when config.json cannot be loaded', async () => {
    await expect(loadConfig(['region'], serve(404, {}))).rejects.toThrow('could not be loaded: HTTP 404');
  });
});

describe('apiBaseUrl', () => {
  const local = { cognitoEndpoint: 'http://127.0.0.1:1/', apiUrls: { 'https://a.execute-api.us-east-1.amazonaws.com/prod/': 'http://127.0.0.1:2/prod/' } };

  it('maps an AWS URL to where the local environment serves it, adding the trailing slash', () => {
    expect(apiBaseUrl('https://a.execute-api.us-east-1.amazonaws.com/prod', local)).toBe('http://127.0.0.1:2/prod/');
  });

  it('keeps the AWS URL when deployed, or when the local environment does not serve it', () => {
    expect(apiBaseUrl('https://a.execute-api.us-east-1.amazonaws.com/prod/')).toBe('https://a.execute-api.us-east-1.amazonaws.com/prod/');
    expect(apiBaseUrl('https://b.execute-api.us-east-1.amazonaws.com/prod/', local)).toBe('https://b.execute-api.us-east-1.amazonaws.com/prod/');
  });
});
