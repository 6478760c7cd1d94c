/**
 * Token issuers as the code that verifies tokens needs them: the router's authorizer and the services (through the
 * runtime helper). No CDK imports.
 */

/** `https://cognito-idp.<region>.amazonaws.com/<region>_<id>`: the issuer of a Cognito user pool's tokens. */
export const COGNITO_ISSUER = /^https:\/\/cognito-idp\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com\/\1_[0-9A-Za-z]+$/;

/** The issuer (`iss`) of the tokens of a Cognito user pool, from its id (`<region>_<id>`). */
export function cognitoIssuerUrl(userPoolId: string): string {
  return `https://cognito-idp.${userPoolId.split('_')[0]}.amazonaws.com/${userPoolId}`;
}

/**
 * Where an issuer's signing keys are fetched: the configured JWKS URI if there is one, else
 * `<issuer>/.well-known/jwks.json`.
 *
 * A Cognito user pool's keys follow the AWS SDK's endpoint settings: when `AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER`
 * (or `AWS_ENDPOINT_URL`) points the process's Cognito client at another endpoint, such as a local emulator, the keys
 * are read from `<endpoint>/<user pool id>/.well-known/jwks.json` there, where emulators serve them. Neither variable is
 * set in AWS, where the pool's own URL is used; anyone who can set them can replace the code as well.
 */
export function jwksUriFor(issuer: string, configured?: string, env: Record<string, string | undefined> = process.env): string {
  if (configured) {
    return configured;
  }
  const endpoint = env.AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER ?? env.AWS_ENDPOINT_URL;
  if (endpoint && COGNITO_ISSUER.test(issuer)) {
    return `${endpoint.replace(/\/$/, '')}/${issuer.split('/').pop()}/.well-known/jwks.json`;
  }
  return `${issuer}/.well-known/jwks.json`;
}
