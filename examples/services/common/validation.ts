/**
 * JSON-schema pieces for what the services store and give back (docs/service-resilience.md): text without control
 * characters, and numbers that DynamoDB stores exactly as sent.
 */

/** What the services use of Fastify's Ajv (8.x, Fastify's own copy: not importable as a type here). */
export interface KeywordRegistry {
  addKeyword(definition: {
    keyword: string;
    type: string;
    schemaType: string;
    error: { message: (cxt: { schema: unknown }) => string };
    validate: (schema: any, value: any) => boolean;
  }): unknown;
}

/** Keyword: text free of the characters that `TEXT_RULES` forbids, on one line or several. */
export const TEXT_KEYWORD = 'x-text';

/**
 * What no stored text may hold: C0 and C1 controls (NUL; ESC, which starts ANSI escape sequences; DEL...), lone
 * surrogates (no UTF-8 encoder can write them), and the bidirectional overrides that reorder displayed text. Free text
 * over several lines may hold tab, line feed and carriage return.
 */
const TEXT_RULES = {
  line: /[\p{Cc}\u202A-\u202E\u2066-\u2069]/u,
  multiline: /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F\u202A-\u202E\u2066-\u2069]/u,
} as const;

/** One line of text, at least one visible character, at most `maxLength` UTF-16 units. */
export function lineSchema(maxLength: number) {
  return { type: 'string', minLength: 1, maxLength, pattern: '\\S', [TEXT_KEYWORD]: 'line' } as const;
}

/** Free text over several lines, at most `maxLength` UTF-16 units. */
export function textSchema(maxLength: number) {
  return { type: 'string', maxLength, [TEXT_KEYWORD]: 'multiline' } as const;
}

/** Keyword: a number with at most this many decimal places, exactly (`19.99` passes, `1e-131` and `0.1 + 0.2` fail). */
export const DECIMAL_PLACES_KEYWORD = 'x-decimalPlaces';

/**
 * An amount of money: 0 to `maximum`, in currency units with at most two decimal places. DynamoDB stores numbers of
 * up to 38 significant digits from 1e-130 to 1e125: a price that passes is stored exactly as sent, never refused.
 */
export function moneySchema(maximum: number) {
  return { type: 'number', minimum: 0, maximum, [DECIMAL_PLACES_KEYWORD]: 2 } as const;
}

/** Registers the services' keywords with Fastify's Ajv (the `ajv.plugins` option). */
export function validationKeywords(ajv: KeywordRegistry): void {
  ajv.addKeyword({
    keyword: TEXT_KEYWORD,
    type: 'string',
    schemaType: 'string',
    error: {
      message: (cxt) => cxt.schema === 'line'
        ? 'must be one line without control characters, lone surrogates or bidirectional overrides'
        : 'must not contain control characters (but tab and line breaks), lone surrogates or bidirectional overrides',
    },
    validate: (kind: keyof typeof TEXT_RULES, value: string) =>
      (value as string & { isWellFormed(): boolean }).isWellFormed() && !TEXT_RULES[kind].test(value),
  });
  ajv.addKeyword({
    keyword: DECIMAL_PLACES_KEYWORD,
    type: 'number',
    schemaType: 'number',
    error: { message: (cxt) => `must have at most ${String(cxt.schema)} decimal places` },
    validate: (places: number, value: number) => {
      const scale = 10 ** places;
      return Number.isFinite(value) && Math.round(value * scale) / scale === value;
    },
  });
}
