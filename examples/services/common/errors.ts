/**
 * Errors that become HTTP answers. Their message is sent to the client, so it must never carry internal detail;
 * any other error is answered with a plain 500 (see app.ts).
 */
export class HttpError extends Error {
  constructor(public readonly statusCode: number, message: string) {
    super(message);
    this.name = 'HttpError';
  }
}

/** 400: the request is well formed JSON but not acceptable. */
export function badRequest(message: string): HttpError {
  return new HttpError(400, message);
}

/** 404: the resource does not exist for the caller's tenant (another tenant's resource is answered the same way). */
export function notFound(what: string): HttpError {
  return new HttpError(404, `${what} not found`);
}

/** True when an AWS SDK error (or any error) has this name. Names survive bundling; classes may be duplicated. */
export function isErrorNamed(error: unknown, ...names: string[]): boolean {
  return error instanceof Error && names.includes(error.name);
}
