import { Stack } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { CognitoTokenUse, TokenIssuer } from '../src';

describe('TokenIssuer.cognito', () => {
  test('is the user pool\'s issuer URL in the pool\'s Region, with the client ids as audiences and ID tokens by default', () => {
    const stack = new Stack(undefined, 'S', { env: { account: '111111111111', region: 'eu-west-1' } });
    const pool = cognito.UserPool.fromUserPoolId(stack, 'Pool', 'eu-west-1_abc');
    const issuer = TokenIssuer.cognito({ userPool: pool, clientIds: ['c1'] });
    expect(issuer.issuerUrl).toBe('https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc');
    expect(issuer.audiences).toEqual(['c1']);
    expect(issuer.tokenUse).toBe('id');
    expect(issuer.jwksUri).toBeUndefined();
    expect(issuer.tenantId).toBeUndefined();
  });

  test('takes access tokens and a tenant binding', () => {
    const stack = new Stack(undefined, 'S', { env: { account: '111111111111', region: 'us-east-1' } });
    const pool = new cognito.UserPool(stack, 'Pool');
    const issuer = TokenIssuer.cognito({ userPool: pool, clientIds: ['c1'], tokenUse: CognitoTokenUse.ACCESS, tenantId: 'acme' });
    expect(issuer.tokenUse).toBe('access');
    expect(issuer.tenantId).toBe('acme');
    expect(stack.resolve(issuer.issuerUrl)).toEqual({ 'Fn::Join': ['', ['https://cognito-idp.us-east-1.amazonaws.com/', { Ref: 'PoolD3F588B8' }]] });
  });

  test('needs at least one client id, and no empty one', () => {
    const stack = new Stack();
    const pool = cognito.UserPool.fromUserPoolId(stack, 'Pool', 'us-east-1_abc');
    expect(() => TokenIssuer.cognito({ userPool: pool, clientIds: [] })).toThrow(/clientIds is empty: give at least one client id/);
    expect(() => TokenIssuer.cognito({ userPool: pool, clientIds: [' '] })).toThrow(/clientIds has an empty value/);
  });
});

describe('TokenIssuer.oidc', () => {
  test('keeps the issuer without a trailing slash, and the JWKS URI when given', () => {
    const issuer = TokenIssuer.oidc({ issuerUrl: 'https://login.example.com/', audiences: ['app'], jwksUri: 'https://login.example.com/keys' });
    expect(issuer.issuerUrl).toBe('https://login.example.com');
    expect(issuer.jwksUri).toBe('https://login.example.com/keys');
    expect(issuer.tokenUse).toBeUndefined();
  });

  test.each([
    ['issuerUrl', { issuerUrl: 'http://login.example.com', audiences: ['a'] }],
    ['issuerUrl', { issuerUrl: 'not a url', audiences: ['a'] }],
    ['issuerUrl', { issuerUrl: 'https://login.example.com?x=1', audiences: ['a'] }],
    ['jwksUri', { issuerUrl: 'https://login.example.com', audiences: ['a'], jwksUri: 'http://login.example.com/keys' }],
  ])('%s must be https without query or fragment (%j)', (prop, options) => {
    expect(() => TokenIssuer.oidc(options)).toThrow(new RegExp(`${prop} must be an https URL without query or fragment; got '`));
  });

  test('needs at least one audience', () => {
    expect(() => TokenIssuer.oidc({ issuerUrl: 'https://login.example.com', audiences: [] })).toThrow(/audiences is empty/);
  });
});
