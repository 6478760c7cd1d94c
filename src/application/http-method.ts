/**
 * HTTP methods a service answers. The tenant proxy refuses every other method with 405.
 */
export enum HttpMethod {
  /** GET */
  GET = 'GET',
  /** HEAD */
  HEAD = 'HEAD',
  /** POST */
  POST = 'POST',
  /** PUT */
  PUT = 'PUT',
  /** PATCH */
  PATCH = 'PATCH',
  /** DELETE */
  DELETE = 'DELETE',
  /** OPTIONS */
  OPTIONS = 'OPTIONS',
}
