/**
 * The tier-name rule: a tier name is a routing key, part of Service Connect namespace names, and a value of the tier
 * claim of tokens.
 */
export const TIER_NAME_PATTERN = /^[a-z][a-z0-9-]{0,19}$/;

/** Human-readable form of TIER_NAME_PATTERN for error messages. */
export const TIER_NAME_RULE = '1 to 20 lowercase letters, digits and hyphens, starting with a letter';
