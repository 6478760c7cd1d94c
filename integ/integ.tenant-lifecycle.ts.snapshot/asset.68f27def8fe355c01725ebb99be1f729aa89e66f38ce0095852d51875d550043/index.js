"use strict";
var __create = Object.create;
var __defProp = Object.defineProperty;
var __getOwnPropDesc = Object.getOwnPropertyDescriptor;
var __getOwnPropNames = Object.getOwnPropertyNames;
var __getProtoOf = Object.getPrototypeOf, __hasOwnProp = Object.prototype.hasOwnProperty;
var __export = (target, all) => {
  for (var name in all)
    __defProp(target, name, { get: all[name], enumerable: !0 });
}, __copyProps = (to, from, except, desc) => {
  if (from && typeof from == "object" || typeof from == "function")
    for (let key of __getOwnPropNames(from))
      !__hasOwnProp.call(to, key) && key !== except && __defProp(to, key, { get: () => from[key], enumerable: !(desc = __getOwnPropDesc(from, key)) || desc.enumerable });
  return to;
};
var __toESM = (mod, isNodeMode, target) => (target = mod != null ? __create(__getProtoOf(mod)) : {}, __copyProps(
  // If the importer is in node compatibility mode or this is not an ESM
  // file that has been converted to a CommonJS file using a Babel-
  // compatible transform (i.e. "__esModule" has not been set), then set
  // "default" to the CommonJS "module.exports" for node compatibility.
  isNodeMode || !mod || !mod.__esModule ? __defProp(target, "default", { value: mod, enumerable: !0 }) : target,
  mod
)), __toCommonJS = (mod) => __copyProps(__defProp({}, "__esModule", { value: !0 }), mod);

// src/router/handler.ts
var handler_exports = {};
__export(handler_exports, {
  findTenantKey: () => findTenantKey,
  handler: () => handler,
  registeredIssuer: () => registeredIssuer
});
module.exports = __toCommonJS(handler_exports);

// node_modules/@aws-lambda-powertools/logger/lib/esm/constants.js
var LogJsonIndent = {
  PRETTY: 4,
  COMPACT: 0
};
var LogLevelThreshold = {
  TRACE: 6,
  DEBUG: 8,
  INFO: 12,
  WARN: 16,
  ERROR: 20,
  CRITICAL: 24,
  SILENT: 28
}, ReservedKeys = [
  "level",
  "message",
  "sampling_rate",
  "service",
  "timestamp"
], UncaughtErrorLogMessage = "Uncaught error detected, flushing log buffer before exit";

// node_modules/@aws/lambda-invoke-store/dist-es/invoke-store.js
var PROTECTED_KEYS = {
  REQUEST_ID: /* @__PURE__ */ Symbol.for("_AWS_LAMBDA_REQUEST_ID"),
  X_RAY_TRACE_ID: /* @__PURE__ */ Symbol.for("_AWS_LAMBDA_X_RAY_TRACE_ID"),
  TENANT_ID: /* @__PURE__ */ Symbol.for("_AWS_LAMBDA_TENANT_ID"),
  TRACEPARENT: /* @__PURE__ */ Symbol.for("_AWS_LAMBDA_TRACEPARENT"),
  TRACESTATE: /* @__PURE__ */ Symbol.for("_AWS_LAMBDA_TRACESTATE"),
  BAGGAGE: /* @__PURE__ */ Symbol.for("_AWS_LAMBDA_BAGGAGE")
}, NO_GLOBAL_AWS_LAMBDA = ["true", "1"].includes(process.env?.AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA ?? "");
NO_GLOBAL_AWS_LAMBDA || (globalThis.awslambda = globalThis.awslambda || {});
var InvokeStoreBase = class {
  static PROTECTED_KEYS = PROTECTED_KEYS;
  isProtectedKey(key) {
    return Object.values(PROTECTED_KEYS).includes(key);
  }
  getRequestId() {
    return this.get(PROTECTED_KEYS.REQUEST_ID) ?? "-";
  }
  getXRayTraceId() {
    return this.get(PROTECTED_KEYS.X_RAY_TRACE_ID);
  }
  getTenantId() {
    return this.get(PROTECTED_KEYS.TENANT_ID);
  }
  getTraceparent() {
    return this.get(PROTECTED_KEYS.TRACEPARENT);
  }
  getTracestate() {
    return this.get(PROTECTED_KEYS.TRACESTATE);
  }
  getBaggage() {
    return this.get(PROTECTED_KEYS.BAGGAGE);
  }
}, InvokeStoreSingle = class extends InvokeStoreBase {
  currentContext;
  getContext() {
    return this.currentContext;
  }
  hasContext() {
    return this.currentContext !== void 0;
  }
  get(key) {
    return this.currentContext?.[key];
  }
  set(key, value) {
    if (this.isProtectedKey(key))
      throw new Error(`Cannot modify protected Lambda context field: ${String(key)}`);
    this.currentContext = this.currentContext || {}, this.currentContext[key] = value;
  }
  run(context, fn) {
    return this.currentContext = context, fn();
  }
}, InvokeStoreMulti = class _InvokeStoreMulti extends InvokeStoreBase {
  als;
  static async create() {
    let instance = new _InvokeStoreMulti(), asyncHooks = await import("node:async_hooks");
    return instance.als = new asyncHooks.AsyncLocalStorage(), instance;
  }
  getContext() {
    return this.als.getStore();
  }
  hasContext() {
    return this.als.getStore() !== void 0;
  }
  get(key) {
    return this.als.getStore()?.[key];
  }
  set(key, value) {
    if (this.isProtectedKey(key))
      throw new Error(`Cannot modify protected Lambda context field: ${String(key)}`);
    let store = this.als.getStore();
    if (!store)
      throw new Error("No context available");
    store[key] = value;
  }
  run(context, fn) {
    return this.als.run(context, fn);
  }
}, InvokeStore;
(function(InvokeStore2) {
  let instance = null;
  async function getInstanceAsync(forceInvokeStoreMulti) {
    return instance || (instance = (async () => {
      let newInstance = forceInvokeStoreMulti === !0 || "AWS_LAMBDA_MAX_CONCURRENCY" in process.env ? await InvokeStoreMulti.create() : new InvokeStoreSingle();
      return !NO_GLOBAL_AWS_LAMBDA && globalThis.awslambda?.InvokeStore ? globalThis.awslambda.InvokeStore : (!NO_GLOBAL_AWS_LAMBDA && globalThis.awslambda && (globalThis.awslambda.InvokeStore = newInstance), newInstance);
    })()), instance;
  }
  InvokeStore2.getInstanceAsync = getInstanceAsync, InvokeStore2._testing = process.env.AWS_LAMBDA_BENCHMARK_MODE === "1" ? {
    reset: () => {
      instance = null, globalThis.awslambda?.InvokeStore && delete globalThis.awslambda.InvokeStore, globalThis.awslambda = { InvokeStore: void 0 };
    }
  } : void 0;
})(InvokeStore || (InvokeStore = {}));

// node_modules/@aws-lambda-powertools/commons/lib/esm/constants.js
var AWS_LAMBDA_INITIALIZATION_TYPE_ENV_VAR = "AWS_LAMBDA_INITIALIZATION_TYPE", AWS_LAMBDA_MAX_CONCURRENCY = "AWS_LAMBDA_MAX_CONCURRENCY", POWERTOOLS_DEV_ENV_VAR = "POWERTOOLS_DEV";
var XRAY_TRACE_ID_ENV_VAR = "_X_AMZN_TRACE_ID";

// node_modules/@aws-lambda-powertools/commons/lib/esm/envUtils.js
var getStringFromEnv = ({ key, defaultValue, errorMessage }) => {
  let value = process.env[key];
  if (value === void 0) {
    if (defaultValue !== void 0)
      return defaultValue;
    throw errorMessage ? new Error(errorMessage) : new Error(`Environment variable ${key} is required`);
  }
  return value.trim();
}, getNumberFromEnv = ({ key, defaultValue, errorMessage }) => {
  let value = getStringFromEnv({
    key,
    defaultValue: String(defaultValue),
    errorMessage
  }), parsedValue = Number(value);
  if (Number.isNaN(parsedValue))
    throw new TypeError(`Environment variable ${key} must be a number`);
  return parsedValue;
}, truthyValues = /* @__PURE__ */ new Set(["1", "y", "yes", "t", "true", "on"]), falsyValues = /* @__PURE__ */ new Set(["0", "n", "no", "f", "false", "off"]), getBooleanFromEnv = ({ key, defaultValue, errorMessage, extendedParsing }) => {
  let parsedValue = getStringFromEnv({
    key,
    defaultValue: String(defaultValue),
    errorMessage
  }).toLowerCase();
  if (extendedParsing) {
    if (truthyValues.has(parsedValue))
      return !0;
    if (falsyValues.has(parsedValue))
      return !1;
  }
  if (parsedValue !== "true" && parsedValue !== "false")
    throw new Error(`Environment variable ${key} must be a boolean`);
  return parsedValue === "true";
}, isDevMode = () => {
  try {
    return getBooleanFromEnv({
      key: POWERTOOLS_DEV_ENV_VAR,
      extendedParsing: !0
    });
  } catch {
    return !1;
  }
};
var getXrayTraceDataFromEnv = () => {
  let xRayTraceEnv = globalThis.awslambda?.InvokeStore?.getXRayTraceId() ?? getStringFromEnv({
    key: XRAY_TRACE_ID_ENV_VAR,
    defaultValue: ""
  });
  if (xRayTraceEnv === "")
    return;
  if (!xRayTraceEnv.includes("="))
    return {
      Root: xRayTraceEnv
    };
  let xRayTraceData = {};
  for (let field of xRayTraceEnv.split(";")) {
    let [key, value] = field.split("=");
    xRayTraceData[key] = value;
  }
  return xRayTraceData;
};
var shouldUseInvokeStore = () => getStringFromEnv({
  key: AWS_LAMBDA_MAX_CONCURRENCY,
  defaultValue: ""
}) !== "", getXRayTraceIdFromEnv = () => getXrayTraceDataFromEnv()?.Root;

// node_modules/@aws-lambda-powertools/logger/lib/esm/formatter/LogFormatter.js
var LogFormatter = class {
  /**
   * Whether a warning about an unresolvable timezone has already been emitted,
   * used to avoid logging the same warning on every formatted log entry.
   */
  #timezoneWarningEmitted = !1;
  /**
   * Format an error into a loggable object.
   *
   * @example
   * ```json
   * {
   *   "name": "Error",
   *   "location": "file.js:1",
   *   "message": "An error occurred",
   *   "stack": "Error: An error occurred\n    at file.js:1\n    at file.js:2\n    at file.js:3",
   *   "cause": {
   *     "name": "OtherError",
   *     "location": "file.js:2",
   *     "message": "Another error occurred",
   *     "stack": "Error: Another error occurred\n    at file.js:2\n    at file.js:3\n    at file.js:4"
   *   }
   * }
   * ```
   *
   * @param error - Error to format
   */
  formatError(error) {
    let { name, message, stack, cause, ...errorAttributes } = error, formattedError = {
      name,
      location: this.getCodeLocation(error.stack),
      message,
      stack: isDevMode() && typeof stack == "string" ? stack?.split(`
`) : stack,
      cause: cause instanceof Error ? this.formatError(cause) : cause
    };
    for (let key in error)
      typeof key == "string" && !["name", "message", "stack", "cause"].includes(key) && (formattedError[key] = errorAttributes[key]);
    return formattedError;
  }
  /**
   * Format a date into an ISO 8601 string with the configured timezone.
   *
   * The timezone is read from the `TZ` environment variable, if present.
   * Otherwise, the timezone defaults to ':UTC'.
   *
   * @param now - The date to format
   */
  formatTimestamp(now) {
    let configuredTimezone = getStringFromEnv({
      key: "TZ",
      defaultValue: ""
    });
    return configuredTimezone && !configuredTimezone.includes("UTC") ? this.#generateISOTimestampWithOffset(now, configuredTimezone) : now.toISOString();
  }
  /**
   * Get the location of an error from a stack trace.
   *
   * @param stack - stack trace to parse
   */
  getCodeLocation(stack) {
    if (!stack)
      return "";
    let stackLines = stack.split(`
`), regex = /\(([^()]*?):(\d+?):(\d+?)\)\\?$/;
    for (let item of stackLines) {
      let match = regex.exec(item);
      if (Array.isArray(match))
        return `${match[1]}:${Number(match[2])}`;
    }
    return "";
  }
  /**
   * Resolve the time zone to use for formatting timestamps.
   *
   * Validation is delegated to `Intl.DateTimeFormat` itself, so both canonical
   * identifiers (e.g. `Asia/Calcutta`) and their aliases (e.g. `Asia/Kolkata`)
   * are accepted.
   *
   * If the provided time zone cannot be resolved - e.g. `TZ` is set to
   * `:/etc/localtime` in certain Docker images - we fall back to UTC and emit
   * a one-time warning.
   *
   * @param timezone - IANA time zone identifier (e.g., "Asia/Dhaka").
   */
  #resolveTimezone = (timezone) => {
    try {
      return new Intl.DateTimeFormat("en", { timeZone: timezone }), timezone;
    } catch {
      return this.#timezoneWarningEmitted || (this.#timezoneWarningEmitted = !0, console.warn(`Invalid or unresolvable time zone: "${timezone}" - falling back to UTC.`)), "UTC";
    }
  };
  /**
   * Create a new Intl.DateTimeFormat object configured with the specified time zone
   * and formatting options.
   *
   * The time is displayed in 24-hour format (hour12: false).
   *
   * @param timezone - resolvable IANA time zone identifier (e.g., "Asia/Dhaka").
   */
  #getDateFormatter = (timezone) => {
    let twoDigitFormatOption = "2-digit";
    return new Intl.DateTimeFormat("en", {
      hourCycle: "h23",
      year: "numeric",
      month: twoDigitFormatOption,
      day: twoDigitFormatOption,
      hour: twoDigitFormatOption,
      minute: twoDigitFormatOption,
      second: twoDigitFormatOption,
      timeZone: timezone
    });
  };
  /**
   * Generate an ISO 8601 timestamp string with the specified time zone and the local time zone offset.
   *
   * If the time zone cannot be resolved, both the date/time digits and the offset
   * fall back to UTC so that the emitted timestamp always denotes the correct instant.
   *
   * @param date - date to format
   * @param timezone - IANA time zone identifier (e.g., "Asia/Dhaka").
   */
  #generateISOTimestampWithOffset(date, timezone) {
    let resolvedTimezone = this.#resolveTimezone(timezone), { year, month, day, hour, minute, second } = this.#getDateFormatter(resolvedTimezone).formatToParts(date).reduce((acc, item) => (acc[item.type] = item.value, acc), {}), datePart = `${year}-${month}-${day}T${hour}:${minute}:${second}`, offset = resolvedTimezone === timezone ? -date.getTimezoneOffset() : 0, offsetSign = offset >= 0 ? "+" : "-", offsetHours = Math.abs(Math.floor(offset / 60)).toString().padStart(2, "0"), offsetMinutes = Math.abs(offset % 60).toString().padStart(2, "0"), millisecondPart = date.getMilliseconds().toString().padStart(3, "0"), offsetPart = `${offsetSign}${offsetHours}:${offsetMinutes}`;
    return `${datePart}.${millisecondPart}${offsetPart}`;
  }
};

// node_modules/@aws-lambda-powertools/commons/lib/esm/version.js
var PT_VERSION = "2.36.0";

// node_modules/@aws-lambda-powertools/commons/lib/esm/awsSdkUtils.js
var EXEC_ENV = process.env.AWS_EXECUTION_ENV || "NA";

// node_modules/@aws-lambda-powertools/commons/lib/esm/deepMerge.js
var UNSAFE_KEYS = /* @__PURE__ */ new Set(["__proto__", "constructor"]), isPlainObject = (value) => {
  if (typeof value != "object" || value === null)
    return !1;
  let proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}, cloneItem = (srcItem, ancestors) => {
  if (isPlainObject(srcItem)) {
    let cloned = {};
    return ancestors.push(srcItem), mergeRecursive(cloned, srcItem, ancestors), ancestors.pop(), { skip: !1, value: cloned };
  }
  if (Array.isArray(srcItem)) {
    if (ancestors.includes(srcItem))
      return { skip: !0 };
    let cloned = [];
    return ancestors.push(srcItem), mergeArrayItemsByIndex(cloned, srcItem, ancestors), ancestors.pop(), { skip: !1, value: cloned };
  }
  return { skip: !1, value: srcItem };
}, mergeArrayItem = (targetArray, index, srcItem, ancestors) => {
  let tgtItem = targetArray[index], isSrcPlainObject = isPlainObject(srcItem);
  if (!(isSrcPlainObject && ancestors.includes(srcItem))) {
    if (isSrcPlainObject && isPlainObject(tgtItem)) {
      ancestors.push(srcItem), mergeRecursive(tgtItem, srcItem, ancestors), ancestors.pop();
      return;
    }
    if (Array.isArray(srcItem) && Array.isArray(tgtItem)) {
      ancestors.includes(srcItem) || (ancestors.push(srcItem), mergeArrayItemsByIndex(tgtItem, srcItem, ancestors), ancestors.pop());
      return;
    }
    if (srcItem !== void 0 || tgtItem === void 0) {
      let result = cloneItem(srcItem, ancestors);
      result.skip || (targetArray[index] = result.value);
    }
  }
}, mergeArrayItemsByIndex = (targetArray, sourceArray, ancestors) => {
  for (let i = 0; i < sourceArray.length; i++)
    mergeArrayItem(targetArray, i, sourceArray[i], ancestors);
}, handleArrayMerge = (target, key, sourceArray, targetValue, ancestors) => {
  if (!Array.isArray(targetValue)) {
    let freshArray = [];
    mergeArrayItemsByIndex(freshArray, sourceArray, ancestors), target[key] = freshArray;
    return;
  }
  mergeArrayItemsByIndex(targetValue, sourceArray, ancestors);
}, handleObjectMerge = (target, key, sourceObject, targetValue, ancestors) => {
  if (isPlainObject(targetValue)) {
    mergeRecursive(targetValue, sourceObject, ancestors);
    return;
  }
  let newTarget = {};
  mergeRecursive(newTarget, sourceObject, ancestors), target[key] = newTarget;
}, mergeRecursive = (target, source, ancestors) => {
  for (let key of Object.keys(source)) {
    if (UNSAFE_KEYS.has(key))
      continue;
    let sourceValue = source[key], targetValue = target[key];
    if (Array.isArray(sourceValue)) {
      if (ancestors.includes(sourceValue))
        continue;
      ancestors.push(sourceValue), handleArrayMerge(target, key, sourceValue, targetValue, ancestors), ancestors.pop();
      continue;
    }
    if (isPlainObject(sourceValue)) {
      if (ancestors.includes(sourceValue))
        continue;
      ancestors.push(sourceValue), handleObjectMerge(target, key, sourceValue, targetValue, ancestors), ancestors.pop();
      continue;
    }
    (sourceValue !== void 0 || targetValue === void 0) && (target[key] = sourceValue);
  }
}, deepMerge = (target, ...sources) => {
  let ancestors = [target];
  for (let source of sources)
    source != null && (ancestors.push(source), mergeRecursive(target, source, ancestors), ancestors.pop());
  return target;
};

// node_modules/@aws-lambda-powertools/commons/lib/esm/middleware/constants.js
var PREFIX = "powertools-for-aws", TRACER_KEY = `${PREFIX}.tracer`, METRICS_KEY = `${PREFIX}.metrics`, LOGGER_KEY = `${PREFIX}.logger`, IDEMPOTENCY_KEY = `${PREFIX}.idempotency`;

// node_modules/@aws-lambda-powertools/commons/lib/esm/typeUtils.js
var isString = (value) => typeof value == "string";
var isNull = (value) => Object.is(value, null), isNullOrUndefined = (value) => isNull(value) || Object.is(value, void 0);

// node_modules/@aws-lambda-powertools/commons/lib/esm/Utility.js
var Utility = class {
  #initializationType;
  coldStart = !0;
  defaultServiceName = "service_undefined";
  constructor() {
    this.#initializationType = this.getInitializationType(), this.#initializationType !== "on-demand" && (this.coldStart = !1);
  }
  /**
   * Get the value of the `AWS_LAMBDA_INITIALIZATION_TYPE` environment variable.
   */
  getInitializationType() {
    let envVarValue = process.env[AWS_LAMBDA_INITIALIZATION_TYPE_ENV_VAR]?.trim();
    return envVarValue === "on-demand" ? "on-demand" : envVarValue === "provisioned-concurrency" ? "provisioned-concurrency" : "unknown";
  }
  /**
   * Get the cold start status of the current execution environment.
   *
   * The method also flips the cold start status to `false` after the first invocation.
   */
  getColdStart() {
    return this.#initializationType !== "on-demand" ? !1 : this.coldStart ? (this.coldStart = !1, !0) : !1;
  }
  /**
   * Validate that the service name provided is valid.
   * Used internally during initialization.
   *
   * @param serviceName Service name to validate
   */
  isValidServiceName(serviceName) {
    return typeof serviceName == "string" && serviceName.trim().length > 0;
  }
};

// node_modules/@aws-lambda-powertools/commons/lib/esm/index.js
var env = process.env.AWS_EXECUTION_ENV || "NA";
if (!process.env.AWS_SDK_UA_APP_ID?.includes("/PTEnv/")) {
  let ptUserAgent = `PT/NO-OP/${PT_VERSION}/PTEnv/${env}`;
  process.env.AWS_SDK_UA_APP_ID = process.env.AWS_SDK_UA_APP_ID ? `${process.env.AWS_SDK_UA_APP_ID}/${ptUserAgent}` : ptUserAgent;
}

// node_modules/@aws-lambda-powertools/logger/lib/esm/formatter/LogItem.js
var LogItem = class {
  /**
   * The attributes of the log item.
   */
  attributes = {};
  /**
   * Constructor for LogItem.
   *
   * Attributes are added in the following order:
   * - Standard keys provided by the logger (e.g. `message`, `level`, `timestamp`)
   * - Persistent attributes provided by developer, not formatted (done later)
   * - Ephemeral attributes provided as parameters for a single log item (done later)
   *
   * @param params - The parameters for the LogItem.
   */
  constructor(params) {
    this.setAttributes(params.attributes);
  }
  /**
   * Add attributes to the log item.
   *
   * @param attributes - The attributes to add to the log item.
   */
  addAttributes(attributes) {
    return deepMerge(this.attributes, attributes), this;
  }
  /**
   * Get the attributes of the log item.
   */
  getAttributes() {
    return this.attributes;
  }
  /**
   * Prepare the log item for printing.
   *
   * This operation removes empty keys from the log item, see {@link removeEmptyKeys | removeEmptyKeys()} for more information.
   */
  prepareForPrint() {
    this.attributes = this.removeEmptyKeys(this.getAttributes());
  }
  /**
   * Remove empty keys from the log item, where empty keys are defined as keys with
   * values of `undefined`, empty strings (`''`), or `null`.
   *
   * @param attributes - The attributes to remove empty keys from.
   */
  removeEmptyKeys(attributes) {
    let newAttributes = {};
    for (let key in attributes)
      attributes[key] !== void 0 && attributes[key] !== "" && attributes[key] !== null && (newAttributes[key] = attributes[key]);
    return newAttributes;
  }
  /**
   * Replace the attributes of the log item.
   *
   * @param attributes - The attributes to set for the log item.
   */
  setAttributes(attributes) {
    this.attributes = attributes;
  }
};

// node_modules/@aws-lambda-powertools/logger/lib/esm/Logger.js
var import_node_console = require("node:console"), import_node_crypto = require("node:crypto");

// node_modules/@aws-lambda-powertools/logger/lib/esm/formatter/PowertoolsLogFormatter.js
var PowertoolsLogFormatter = class extends LogFormatter {
  /**
   * List of keys to order log attributes by.
   *
   * This can be a set of keys or an array of keys.
   */
  #logRecordOrder;
  constructor(options) {
    super(), this.#logRecordOrder = options?.logRecordOrder;
  }
  /**
   * It formats key-value pairs of log attributes.
   *
   * @param {UnformattedAttributes} attributes - unformatted attributes
   * @param {LogAttributes} additionalLogAttributes - additional log attributes
   */
  formatAttributes(attributes, additionalLogAttributes) {
    let baseAttributes = {
      level: attributes.logLevel,
      message: attributes.message,
      timestamp: this.formatTimestamp(attributes.timestamp),
      service: attributes.serviceName,
      cold_start: attributes.lambdaContext?.coldStart,
      function_arn: attributes.lambdaContext?.invokedFunctionArn,
      function_memory_size: attributes.lambdaContext?.memoryLimitInMB,
      function_name: attributes.lambdaContext?.functionName,
      function_request_id: attributes.lambdaContext?.awsRequestId,
      sampling_rate: attributes.sampleRateValue,
      xray_trace_id: attributes.xRayTraceId,
      tenant_id: attributes.lambdaContext?.tenantId
    };
    if (this.#logRecordOrder === void 0)
      return new LogItem({ attributes: baseAttributes }).addAttributes(additionalLogAttributes);
    let orderedAttributes = {};
    for (let key of this.#logRecordOrder)
      key in baseAttributes && !(key in orderedAttributes) ? orderedAttributes[key] = baseAttributes[key] : key in additionalLogAttributes && !(key in orderedAttributes) && (orderedAttributes[key] = additionalLogAttributes[key]);
    for (let key in baseAttributes)
      key in orderedAttributes || (orderedAttributes[key] = baseAttributes[key]);
    for (let key in additionalLogAttributes)
      key in orderedAttributes || (orderedAttributes[key] = additionalLogAttributes[key]);
    return new LogItem({
      attributes: orderedAttributes
    });
  }
};

// node_modules/@aws-lambda-powertools/commons/lib/esm/InvocationScoped.js
var InvocationScoped = class {
  /**
   * Key the boxed value is stored under in the InvokeStore, unique to this
   * instance.
   */
  #key;
  /**
   * Creates the value, either by calling the `fresh` factory or by handing back
   * the `initial` value.
   */
  #createValue;
  /**
   * Whether each invocation gets its own value created for it (`fresh`) instead
   * of falling back to the shared one (`initial`).
   */
  #createsPerInvocation;
  /**
   * The value shared across invocations, boxed like the invocation-scoped one.
   */
  #sharedValue;
  /**
   * @param name - Description of the value, used for the storage key, e.g. `powertools.logger.logLevel`
   * @param {Object} options - Options to create the value
   * @param options.initial - Value shared across invocations until one sets its own
   * @param options.fresh - Creates the value, called once per invocation on first access, and once for the shared value
   */
  constructor(name, options) {
    if (this.#key = Symbol(name), "fresh" in options)
      this.#createValue = options.fresh, this.#createsPerInvocation = !0;
    else {
      let { initial } = options;
      this.#createValue = () => initial, this.#createsPerInvocation = !1;
    }
  }
  /**
   * Whether reads and writes are currently scoped to a single invocation.
   */
  get isScoped() {
    return this.#getScopedStore() !== void 0;
  }
  /**
   * Gets the invocation-scoped value when there is one, otherwise the shared
   * value.
   *
   * A `fresh` value is created on first access, and the same one is handed back
   * for the rest of the invocation.
   */
  get() {
    let store = this.#getScopedStore();
    if (store === void 0)
      return this.getShared();
    let scopedValue = store.get(this.#key);
    if (scopedValue !== void 0)
      return scopedValue[0];
    if (!this.#createsPerInvocation)
      return this.getShared();
    let freshValue = this.#createValue();
    return store.set(this.#key, [freshValue]), freshValue;
  }
  /**
   * Sets the value for the current invocation, or the shared value when no
   * invocation context is active, i.e. during initialization.
   *
   * `undefined` is a value like any other: it shadows the shared value until
   * {@link InvocationScoped.reset | `reset()`} discards it.
   *
   * @param value - The value to store
   */
  set(value) {
    let store = this.#getScopedStore();
    if (store === void 0) {
      this.setShared(value);
      return;
    }
    store.set(this.#key, [value]);
  }
  /**
   * Discards the value, so that a `fresh` one is created on the next access and
   * an `initial` one goes back to the shared value.
   *
   * Outside an invocation context the shared value is discarded instead, which
   * puts an `initial` value back to the one given at construction.
   */
  reset() {
    let store = this.#getScopedStore();
    if (store === void 0) {
      this.#sharedValue = void 0;
      return;
    }
    store.set(this.#key, void 0);
  }
  /**
   * Gets the value shared across invocations, ignoring any invocation context.
   *
   * It is created on first access, whether from here or from
   * {@link InvocationScoped.get | `get()`}.
   */
  getShared() {
    return this.#sharedValue ??= [this.#createValue()], this.#sharedValue[0];
  }
  /**
   * Sets the value shared across invocations, ignoring any invocation context.
   *
   * @param value - The value to store
   */
  setShared(value) {
    this.#sharedValue = [value];
  }
  /**
   * Gets the InvokeStore when reads and writes should be scoped to the current
   * invocation, or `undefined` when they should go to the shared value.
   */
  #getScopedStore() {
    if (!shouldUseInvokeStore())
      return;
    let store = globalThis.awslambda?.InvokeStore;
    if (store === void 0)
      throw new Error("InvokeStore is not available");
    return store.hasContext() ? store : void 0;
  }
};

// node_modules/@aws-lambda-powertools/logger/lib/esm/LogAttributesStore.js
var LogAttributesStore = class {
  #temporaryAttributes = new InvocationScoped("powertools.logger.temporaryAttributes", { fresh: () => ({}) });
  #keys = new InvocationScoped("powertools.logger.keys", { fresh: () => /* @__PURE__ */ new Map() });
  #lambdaContext = new InvocationScoped("powertools.logger.lambdaContext", { initial: void 0 });
  #persistentAttributes = {};
  #getTemporaryAttributes() {
    return this.#temporaryAttributes.get();
  }
  #getKeys() {
    return this.#keys.get();
  }
  appendTemporaryKeys(attributes) {
    let tempAttrs = this.#getTemporaryAttributes();
    deepMerge(tempAttrs, attributes);
    let keysMap = this.#getKeys();
    for (let key of Object.keys(attributes))
      keysMap.set(key, "temp");
  }
  removeTemporaryKeys(keys2) {
    let tempAttrs = this.#getTemporaryAttributes(), keysMap = this.#getKeys();
    for (let key of keys2)
      tempAttrs[key] = void 0, this.#persistentAttributes[key] ? keysMap.set(key, "persistent") : keysMap.delete(key);
  }
  getTemporaryAttributes() {
    return { ...this.#getTemporaryAttributes() };
  }
  clearTemporaryAttributes() {
    let tempAttrs = this.#getTemporaryAttributes(), keysMap = this.#getKeys();
    for (let key of Object.keys(tempAttrs))
      this.#persistentAttributes[key] ? keysMap.set(key, "persistent") : keysMap.delete(key);
    this.#temporaryAttributes.reset();
  }
  setLambdaContext(context) {
    this.#lambdaContext.set(context);
  }
  getLambdaContext() {
    return this.#lambdaContext.get();
  }
  setPersistentAttributes(attributes) {
    let keysMap = this.#getKeys();
    this.#persistentAttributes = { ...attributes };
    for (let key of Object.keys(attributes))
      keysMap.set(key, "persistent");
  }
  getPersistentAttributes() {
    return { ...this.#persistentAttributes };
  }
  getAllAttributes() {
    let result = {}, tempAttrs = this.#getTemporaryAttributes(), keysMap = this.#getKeys();
    for (let [key, value] of Object.entries(this.#persistentAttributes))
      value !== void 0 && (result[key] = value);
    for (let [key, type] of keysMap.entries())
      type === "temp" && tempAttrs[key] !== void 0 && (result[key] = tempAttrs[key]);
    return result;
  }
  removePersistentKeys(keys2) {
    let keysMap = this.#getKeys(), tempAttrs = this.#getTemporaryAttributes();
    for (let key of keys2)
      this.#persistentAttributes[key] = void 0, tempAttrs[key] ? keysMap.set(key, "temp") : keysMap.delete(key);
  }
};

// node_modules/@aws-lambda-powertools/logger/lib/esm/logBuffer.js
var SizedItem = class {
  value;
  logLevel;
  byteSize;
  constructor(value, logLevel) {
    if (!isString(value))
      throw new Error("Value should be a string");
    this.value = value, this.logLevel = logLevel, this.byteSize = Buffer.byteLength(value);
  }
}, SizedSet = class extends Set {
  currentBytesSize = 0;
  hasEvictedLog = !1;
  /**
   * Adds an item to the set and updates the current byte size.
   *
   * @param item - The item to add
   */
  add(item) {
    return this.currentBytesSize += item.byteSize, super.add(item), this;
  }
  /**
   * Deletes an item from the set and updates the current byte size.
   *
   * @param item - The item to delete
   */
  delete(item) {
    let wasDeleted = super.delete(item);
    return wasDeleted && (this.currentBytesSize -= item.byteSize), wasDeleted;
  }
  /**
   * Clears all items from the set and resets the current byte size.
   */
  clear() {
    super.clear(), this.currentBytesSize = 0;
  }
  /**
   * Removes the first item from the set and returns it.
   */
  shift() {
    let firstElement = this.values().next().value;
    return firstElement && this.delete(firstElement), firstElement;
  }
}, CircularMap = class extends Map {
  #maxBytesSize;
  #onBufferOverflow;
  constructor({ maxBytesSize, onBufferOverflow }) {
    super(), this.#maxBytesSize = maxBytesSize, this.#onBufferOverflow = onBufferOverflow;
  }
  /**
   * Adds an item to the buffer, evicting older items if necessary.
   *
   * @param key - The key to associate with the item
   * @param value - The item to add
   * @param logLevel - The log level of the item
   */
  setItem(key, value, logLevel) {
    let item = new SizedItem(value, logLevel);
    if (item.byteSize > this.#maxBytesSize)
      throw new Error("Item too big");
    let buffer = this.get(key) || new SizedSet();
    return buffer.currentBytesSize !== 0 && buffer.currentBytesSize + item.byteSize >= this.#maxBytesSize && (this.#deleteFromBufferUntilSizeIsLessThanMax(buffer, item), this.#onBufferOverflow && this.#onBufferOverflow()), buffer.add(item), super.set(key, buffer), this;
  }
  /**
   * Deletes an item from the buffer.
   *
   * @param key - The key associated with the item
   * @param value - The item to delete
   */
  #deleteFromBufferUntilSizeIsLessThanMax(buffer, item) {
    for (; buffer.size !== 0 && buffer.currentBytesSize + item.byteSize >= this.#maxBytesSize; )
      buffer.shift(), buffer.hasEvictedLog = !0;
  }
};

// node_modules/@aws-lambda-powertools/logger/lib/esm/LogInvocationStore.js
var LogInvocationStore = class {
  #logLevel;
  #buffer = new InvocationScoped("powertools.logger.buffer", { fresh: () => new CircularMap({ maxBytesSize: this.#maxBytes }) });
  #maxBytes;
  constructor(logLevel) {
    this.#logLevel = new InvocationScoped("powertools.logger.logLevel", {
      initial: logLevel
    });
  }
  /**
   * Get the log level in effect: the per-invocation level when one has been
   * set, otherwise the base level.
   */
  getLogLevel() {
    return this.#logLevel.get();
  }
  /**
   * Get the base log level shared across invocations, without consulting the
   * InvokeStore.
   */
  getBaseLogLevel() {
    return this.#logLevel.getShared();
  }
  /**
   * Set the log level, scoping it to the current invocation when concurrency
   * is enabled and an invocation context is active. Outside an invocation
   * context (e.g. during initialization) the base level is set instead.
   */
  setLogLevel(logLevel) {
    this.#logLevel.set(logLevel);
  }
  /**
   * Set the base log level shared across invocations, regardless of any active
   * invocation context. Used at initialization and for Advanced Logging
   * Controls, which apply environment-wide.
   */
  setBaseLogLevel(logLevel) {
    this.#logLevel.setShared(logLevel);
  }
  /**
   * Enable the log buffer with the given max byte size per trace id.
   *
   * Must be called before any buffer operation; the buffer methods are only
   * reached when buffering is enabled.
   *
   * @param maxBytes - Max byte size of each trace id's buffer
   */
  configureBuffer(maxBytes) {
    this.#maxBytes = maxBytes, this.#buffer.setShared(new CircularMap({ maxBytesSize: maxBytes }));
  }
  #getBuffer() {
    return this.#buffer.get();
  }
  /**
   * Add a log to the buffer for the given trace id.
   *
   * @param traceId - `_X_AMZN_TRACE_ID` of the request
   * @param value - The serialized log to be buffered
   * @param logLevel - The level of the log to be buffered
   */
  add(traceId, value, logLevel) {
    let buffer = this.#getBuffer();
    !this.#buffer.isScoped && buffer.has(traceId) === !1 && buffer.clear(), buffer.setItem(traceId, value, logLevel);
  }
  /**
   * Get the buffered logs for the given trace id, if any.
   *
   * @param traceId - `_X_AMZN_TRACE_ID` of the request
   */
  get(traceId) {
    return this.#getBuffer().get(traceId);
  }
  /**
   * Empty the buffer for the given trace id.
   *
   * @param traceId - `_X_AMZN_TRACE_ID` of the request
   */
  delete(traceId) {
    this.#getBuffer().delete(traceId);
  }
};

// node_modules/@aws-lambda-powertools/logger/lib/esm/Logger.js
var Logger = class _Logger extends Utility {
  /**
   * Console instance used to print logs.
   *
   * In AWS Lambda, we create a new instance of the Console class so that we can have
   * full control over the output of the logs. In testing environments, we use the
   * default console instance.
   *
   * This property is initialized in the constructor in `setOptions()`.
   */
  console;
  /**
   * Custom config service instance used to configure the logger.
   */
  customConfigService;
  /**
   * Whether to print the Lambda invocation event in the logs.
   */
  logEvent = !1;
  /**
   * Formatter used to format the log items.
   * @default new PowertoolsLogFormatter()
   */
  logFormatter;
  /**
   * JSON indentation used to format the logs.
   */
  logIndentation = LogJsonIndent.COMPACT;
  /**
   * Advanced Logging Control Log Level
   * If not a valid value this will be left undefined, even if the
   * environment variable AWS_LAMBDA_LOG_LEVEL is set
   */
  #alcLogLevel;
  /**
   * Standard attributes managed by Powertools that will be logged in all log items.
   */
  powertoolsLogData = {
    sampleRateValue: 0
  };
  /**
   * Store for managing temporary and persistent log attributes.
   */
  #attributesStore = new LogAttributesStore();
  /**
   * Buffer used to store logs until the logger is initialized.
   *
   * Sometimes we need to log warnings before the logger is fully initialized, however we can't log them
   * immediately because the logger is not ready yet. This buffer stores those logs until the logger is ready.
   */
  #initBuffer = [];
  /**
   * Flag used to determine if the logger is initialized.
   */
  #isInitialized = !1;
  /**
   * This is the initial log leval as set during the initialization of the logger.
   *
   * We keep this value to be able to reset the log level to the initial value when the sample rate is refreshed.
   */
  #initialLogLevel = LogLevelThreshold.INFO;
  /**
   * Replacer function used to serialize the log items.
   */
  #jsonReplacerFn;
  /**
   * Buffer configuration options.
   */
  #bufferConfig = {
    enabled: !1,
    flushOnErrorLog: !0,
    maxBytes: 20480,
    bufferAtVerbosity: LogLevelThreshold.DEBUG
  };
  /**
   * Store for per-invocation log state: the effective log level and, once
   * buffering is enabled, the buffered logs grouped by `_X_AMZN_TRACE_ID`.
   *
   * Scopes the state to each invocation via the InvokeStore when invocations
   * run concurrently, and falls back to instance-level state shared across
   * sequential invocations.
   */
  #invocationStore = new LogInvocationStore(LogLevelThreshold.INFO);
  /**
   * Search function for the correlation ID.
   */
  #correlationIdSearchFn;
  /**
   * The debug sampling rate configuration.
   */
  #debugLogSampling = {
    /**
     * The sampling rate value used to determine if the log level should be set to DEBUG.
     */
    sampleRateValue: 0,
    /**
     * The number of times the debug sampling rate has been refreshed.
     *
     * We use this to determine if we should refresh it again.
     */
    refreshedTimes: 0
  };
  /**
   * Map used to store the warning messages that have already been logged.
   */
  #warnOnceMap = /* @__PURE__ */ new Map();
  /**
   * Log level used by the current instance of Logger.
   *
   * Returns the log level as a number. The higher the number, the less verbose the logs.
   * To get the log level name, use the {@link getLevelName()} method.
   */
  get level() {
    return this.#invocationStore.getLogLevel();
  }
  constructor(options = {}) {
    super();
    let { customConfigService, ...rest } = options;
    this.customConfigService = customConfigService, this.setOptions(rest), this.#isInitialized = !0;
    for (let [level, log] of this.#initBuffer)
      this.printLog(level, this.createAndPopulateLogItem(...log));
    this.#initBuffer = [];
  }
  /**
   * Add the current Lambda function's invocation context data to the powertoolLogData property of the instance.
   * This context data will be part of all printed log items.
   *
   * The implementation signature also accepts the stored {@link LambdaFunctionContext} subset so that
   * {@link Logger.createChild | `createChild()`} can propagate the parent's context without unsafe casts.
   * The public contract ({@link LoggerInterface.addContext}) remains `Context`.
   *
   * @param context - The Lambda function's invocation context.
   */
  addContext(context) {
    this.#attributesStore.setLambdaContext({
      invokedFunctionArn: context.invokedFunctionArn,
      coldStart: this.getColdStart(),
      awsRequestId: context.awsRequestId,
      memoryLimitInMB: context.memoryLimitInMB,
      functionName: context.functionName,
      functionVersion: context.functionVersion,
      tenantId: context.tenantId
    });
  }
  /**
   * @deprecated This method is deprecated and will be removed in the future major versions, please use {@link appendPersistentKeys() `appendPersistentKeys()`} instead.
   */
  addPersistentLogAttributes(attributes) {
    this.appendPersistentKeys(attributes);
  }
  /**
   * Add the given temporary attributes (key-value pairs) to all log items generated by this Logger instance.
   *
   * If the key already exists in the attributes, it will be overwritten. If the key is one of `level`, `message`, `sampling_rate`,
   * `service`, or `timestamp` we will log a warning and drop the value.
   *
   * @param attributes - The attributes to add to all log items.
   */
  appendKeys(attributes) {
    this.#appendKeys(attributes, "temp");
  }
  /**
   * Add the given persistent attributes (key-value pairs) to all log items generated by this Logger instance.
   *
   * If the key already exists in the attributes, it will be overwritten. If the key is one of `level`, `message`, `sampling_rate`,
   * `service`, or `timestamp` we will log a warning and drop the value.
   *
   * @param attributes - The attributes to add to all log items.
   */
  appendPersistentKeys(attributes) {
    this.#appendKeys(attributes, "persistent");
  }
  /**
   * Create a separate Logger instance, identical to the current one.
   * It's possible to overwrite the new instance options by passing them.
   *
   * @param options - The options to initialize the child logger with.
   */
  createChild(options = {}) {
    let persistentKeyName = "persistentLogAttributes" in options && !("persistentKeys" in options) ? "persistentLogAttributes" : "persistentKeys", childLogger = this.createLogger(
      // Merge parent logger options with options passed to createChild,
      // the latter having precedence.
      deepMerge({}, {
        logLevel: this.getLevelName(),
        serviceName: this.powertoolsLogData.serviceName,
        sampleRateValue: this.#debugLogSampling.sampleRateValue,
        logFormatter: this.getLogFormatter(),
        customConfigService: this.getCustomConfigService(),
        environment: this.powertoolsLogData.environment,
        [persistentKeyName]: this.#attributesStore.getPersistentAttributes(),
        jsonReplacerFn: this.#jsonReplacerFn,
        correlationIdSearchFn: this.#correlationIdSearchFn,
        ...this.#bufferConfig.enabled && {
          logBufferOptions: {
            maxBytes: this.#bufferConfig.maxBytes,
            bufferAtVerbosity: this.getLogLevelNameFromNumber(this.#bufferConfig.bufferAtVerbosity),
            flushOnErrorLog: this.#bufferConfig.flushOnErrorLog
          }
        }
      }, options)
    ), lambdaContext = this.#attributesStore.getLambdaContext();
    lambdaContext && childLogger.addContext(lambdaContext);
    let temporaryAttributes = this.#attributesStore.getTemporaryAttributes();
    return Object.keys(temporaryAttributes).length > 0 && childLogger.appendKeys(temporaryAttributes), childLogger;
  }
  /**
   * Print a log item with level CRITICAL.
   *
   * @param input - The log message.
   * @param extraInput - The extra input to log.
   */
  critical(input, ...extraInput) {
    this.processLogItem(LogLevelThreshold.CRITICAL, input, extraInput);
  }
  /**
   * Print a log item with level DEBUG.
   *
   * @param input
   * @param extraInput - The extra input to log.
   */
  debug(input, ...extraInput) {
    this.processLogItem(LogLevelThreshold.DEBUG, input, extraInput);
  }
  /**
   * Print a log item with level ERROR.
   *
   * @param input - The log message.
   * @param extraInput - The extra input to log.
   */
  error(input, ...extraInput) {
    this.processLogItem(LogLevelThreshold.ERROR, input, extraInput);
  }
  /**
   * Get the log level name of the current instance of Logger.
   *
   * Returns the log level name, i.e. `INFO`, `DEBUG`, etc.
   * To get the log level as a number, use the {@link Logger.level} property.
   */
  getLevelName() {
    return this.getLogLevelNameFromNumber(this.#invocationStore.getLogLevel());
  }
  /**
   * Return a boolean value. True means that the Lambda invocation events
   * are printed in the logs.
   */
  getLogEvent() {
    return this.logEvent;
  }
  /**
   * Return the persistent log attributes, which are the attributes
   * that will be logged in all log items.
   */
  getPersistentLogAttributes() {
    return this.#attributesStore.getPersistentAttributes();
  }
  /**
   * Print a log item with level INFO.
   *
   * @param input - The log message.
   * @param extraInput - The extra input to log.
   */
  info(input, ...extraInput) {
    this.processLogItem(LogLevelThreshold.INFO, input, extraInput);
  }
  /**
   * Class method decorator that adds the current Lambda function context as extra
   * information in all log items.
   *
   * This decorator is useful when you want to enrich your logs with information
   * from the function context, such as the function name, version, and request ID, and more.
   *
   * @example
   * ```typescript
   * import { Logger } from '@aws-lambda-powertools/logger';
   * import type { LambdaInterface } from '@aws-lambda-powertools/commons/types';
   *
   * const logger = new Logger({ serviceName: 'serverlessAirline' });
   *
   * class Lambda implements LambdaInterface {
   *   // Decorate your handler class method
   *   ⁣@logger.injectLambdaContext()
   *   public async handler(_event: unknown, _context: unknown): Promise<void> {
   *     logger.info('This is an INFO log with some context');
   *   }
   * }
   *
   * const handlerClass = new Lambda();
   * export const handler = handlerClass.handler.bind(handlerClass);
   * ```
   *
   * The decorator can also be used to log the Lambda invocation event; this can be configured both via
   * the `logEvent` parameter and the `POWERTOOLS_LOGGER_LOG_EVENT` environment variable. When both
   * are set, the `logEvent` parameter takes precedence.
   *
   * Additionally, the decorator can be used to reset the temporary keys added with the `appendKeys()` method
   * after the invocation, or to flush the buffer when an uncaught error is thrown in the handler.
   *
   * @see https://www.typescriptlang.org/docs/handbook/decorators.html#method-decorators
   *
   * @param options.logEvent - When `true` the logger will log the event.
   * @param options.resetKeys - When `true` the logger will clear temporary keys added with {@link Logger.appendKeys() `appendKeys()`} method.
   * @param options.flushBufferOnUncaughtError - When `true` the logger will flush the buffer when an uncaught error is thrown in the handler.
   */
  injectLambdaContext(options) {
    return (_target, _propertyKey, descriptor) => {
      let originalMethod = descriptor.value, loggerRef = this;
      descriptor.value = async function(...args) {
        loggerRef.refreshSampleRateCalculation(), loggerRef.addContext(args[1]), loggerRef.logEventIfEnabled(args[0], options?.logEvent), options?.correlationIdPath && loggerRef.setCorrelationId(args[0], options?.correlationIdPath);
        try {
          return await originalMethod.apply(this, args);
        } catch (error) {
          throw options?.flushBufferOnUncaughtError && (loggerRef.flushBuffer(), loggerRef.error({
            message: UncaughtErrorLogMessage,
            error
          })), error;
        } finally {
          (options?.clearState || options?.resetKeys) && loggerRef.resetKeys(), loggerRef.clearBuffer();
        }
      };
    };
  }
  /**
   * @deprecated This method is deprecated and will be removed in the future major versions. Use {@link resetKeys()} instead.
   */
  /* v8 ignore next -- @preserve */
  static injectLambdaContextAfterOrOnError(logger2, _persistentAttributes, options) {
    options && (options.clearState || options?.resetKeys) && logger2.resetKeys();
  }
  /**
   * @deprecated - This method is deprecated and will be removed in the next major version.
   */
  /* v8 ignore next -- @preserve */
  static injectLambdaContextBefore(logger2, event, context, options) {
    logger2.addContext(context), logger2.logEventIfEnabled(event, options?.logEvent);
  }
  /**
   * Log the AWS Lambda event payload for the current invocation if the environment variable `POWERTOOLS_LOGGER_LOG_EVENT` is set to `true`.
   *
   * @example
   * ```ts
   * process.env.POWERTOOLS_LOGGER_LOG_EVENT = 'true';
   *
   * import { Logger } from '@aws-lambda-powertools/logger';
   *
   * const logger = new Logger();
   *
   * export const handler = async (event) => {
   *   logger.logEventIfEnabled(event);
   *   // ... your handler code
   * }
   * ```
   *
   * @param event - The AWS Lambda event payload.
   * @param overwriteValue - Overwrite the environment variable value.
   */
  logEventIfEnabled(event, overwriteValue) {
    this.shouldLogEvent(overwriteValue) && this.info("Lambda invocation event", { event });
  }
  /**
   * This method allows recalculating the initial sampling decision for changing
   * the log level to DEBUG based on a sample rate value used during initialization,
   * potentially yielding a different outcome.
   *
   * This only works for warm starts, because we don't to avoid double sampling.
   */
  refreshSampleRateCalculation() {
    if (this.#debugLogSampling.refreshedTimes === 0) {
      this.#debugLogSampling.refreshedTimes++;
      return;
    }
    this.#shouldEnableDebugSampling() && this.#invocationStore.getLogLevel() > LogLevelThreshold.TRACE ? (this.setLogLevel("DEBUG"), this.debug("Setting log level to DEBUG due to sampling rate")) : this.setLogLevel(this.getLogLevelNameFromNumber(this.#initialLogLevel));
  }
  /**
   * Remove temporary attributes based on provided keys to all log items generated by this Logger instance.
   *
   * @param keys - The keys to remove.
   */
  removeKeys(keys2) {
    this.#attributesStore.removeTemporaryKeys(keys2);
  }
  /**
   * Remove the given keys from the persistent keys.
   *
   * @example
   * ```typescript
   * import { Logger } from '@aws-lambda-powertools/logger';
   *
   * const logger = new Logger({
   *   persistentKeys: {
   *     environment: 'prod',
   *   },
   * });
   *
   * logger.removePersistentKeys(['environment']);
   * ```
   *
   * @param keys - The keys to remove from the persistent attributes.
   */
  removePersistentKeys(keys2) {
    this.#attributesStore.removePersistentKeys(keys2);
  }
  /**
   * @deprecated This method is deprecated and will be removed in the future major versions. Use {@link removePersistentKeys()} instead.
   */
  removePersistentLogAttributes(keys2) {
    this.removePersistentKeys(keys2);
  }
  /**
   * Remove all temporary log attributes added with {@link appendKeys() `appendKeys()`} method.
   */
  resetKeys() {
    this.#attributesStore.clearTemporaryAttributes();
  }
  /**
   * Set the log level for this Logger instance.
   *
   * If the log level is set using AWS Lambda Advanced Logging Controls, it sets it
   * instead of the given log level to avoid data loss.
   *
   * @param logLevel The log level to set, i.e. `error`, `warn`, `info`, `debug`, etc.
   */
  setLogLevel(logLevel) {
    if (!this.awsLogLevelShortCircuit(logLevel))
      if (this.isValidLogLevel(logLevel))
        this.#invocationStore.setLogLevel(LogLevelThreshold[logLevel]);
      else
        throw new Error(`Invalid log level: ${logLevel}`);
  }
  /**
   * @deprecated This method is deprecated and will be removed in the future major versions, please use {@link appendPersistentKeys() `appendPersistentKeys()`} instead.
   */
  setPersistentLogAttributes(attributes) {
    let filtered = this.#filterReservedAttributeKeys(attributes);
    this.#attributesStore.setPersistentAttributes(filtered);
  }
  /**
   * @deprecated Use getPersistentLogAttributes() instead
   */
  get persistentLogAttributes() {
    return this.#attributesStore.getPersistentAttributes();
  }
  /**
   * Check whether the current Lambda invocation event should be printed in the logs or not.
   *
   * @param overwriteValue - Overwrite the environment variable value.
   */
  shouldLogEvent(overwriteValue) {
    return typeof overwriteValue == "boolean" ? overwriteValue : this.getLogEvent();
  }
  /**
   * Print a log item with level TRACE.
   *
   * @param input - The log message.
   * @param extraInput - The extra input to log.
   */
  trace(input, ...extraInput) {
    this.processLogItem(LogLevelThreshold.TRACE, input, extraInput);
  }
  /**
   * Print a log item with level WARN.
   *
   * @param input - The log message.
   * @param extraInput - The extra input to log.
   */
  warn(input, ...extraInput) {
    this.processLogItem(LogLevelThreshold.WARN, input, extraInput);
  }
  /**
   * Log a warning message once per unique message.
   *
   * @param message - The log message.
   */
  #warnOnce(message) {
    this.#warnOnceMap.has(message) || (this.#warnOnceMap.set(message, !0), this.warn(message));
  }
  /**
   * Factory method for instantiating logger instances. Used by `createChild` method.
   * Important for customization and subclassing. It allows subclasses, like `MyOwnLogger`,
   * to override its behavior while keeping the main business logic in `createChild` intact.
   *
   * @example
   * ```typescript
   * // MyOwnLogger subclass
   * class MyOwnLogger extends Logger {
   *   protected createLogger(options?: ConstructorOptions): MyOwnLogger {
   *     return new MyOwnLogger(options);
   *   }
   *   // No need to re-implement business logic from `createChild` and keep track on changes
   *   public createChild(options?: ConstructorOptions): MyOwnLogger {
   *     return super.createChild(options) as MyOwnLogger;
   *   }
   * }
   * ```
   *
   * @param options - Logger configuration options.
   */
  createLogger(options) {
    return new _Logger(options);
  }
  /**
   * A custom JSON replacer function that is used to serialize the log items.
   *
   * By default, we already extend the default serialization behavior to handle `BigInt` and `Error` objects, as well as remove circular references.
   * When a custom JSON replacer function is passed to the Logger constructor, it will be called **before** our custom rules for each key-value pair in the object being stringified.
   *
   * This allows you to customize the serialization while still benefiting from the default behavior.
   *
   * @see {@link ConstructorOptions.jsonReplacerFn}
   */
  getJsonReplacer() {
    let ancestors = [], jsonReplacerFn = this.#jsonReplacerFn, logFormatter = this.getLogFormatter();
    return function(key, value) {
      let replacedValue = value;
      if (jsonReplacerFn && (replacedValue = jsonReplacerFn(key, replacedValue)), replacedValue instanceof Error && (replacedValue = logFormatter.formatError(replacedValue)), typeof replacedValue == "bigint")
        return replacedValue.toString();
      if (typeof replacedValue == "object" && replacedValue !== null) {
        for (; ancestors.length > 0 && ancestors.at(-1) !== this; )
          ancestors.pop();
        if (ancestors.includes(replacedValue))
          return;
        ancestors.push(replacedValue);
      }
      return replacedValue;
    };
  }
  /**
   * Store information that is printed in all log items.
   *
   * @param attributes - The attributes to add to all log items.
   */
  addToPowertoolsLogData(attributes) {
    deepMerge(this.powertoolsLogData, attributes);
  }
  #filterReservedAttributeKeys(attributes) {
    let filtered = {};
    for (let [key, value] of Object.entries(attributes))
      this.#checkReservedKeyAndWarn(key) || (filtered[key] = value);
    return filtered;
  }
  /**
   * Shared logic for adding keys to the logger instance.
   *
   * @param attributes - The attributes to add to the log item.
   * @param type - The type of the attributes to add.
   */
  #appendKeys(attributes, type) {
    let filtered = this.#filterReservedAttributeKeys(attributes);
    if (type === "temp")
      this.#attributesStore.appendTemporaryKeys(filtered);
    else {
      let current = this.#attributesStore.getPersistentAttributes();
      this.#attributesStore.setPersistentAttributes(deepMerge(current, filtered));
    }
  }
  awsLogLevelShortCircuit(selectedLogLevel) {
    return this.#alcLogLevel !== void 0 ? (this.#invocationStore.setBaseLogLevel(LogLevelThreshold[this.#alcLogLevel]), this.isValidLogLevel(selectedLogLevel) && this.#invocationStore.getBaseLogLevel() > LogLevelThreshold[selectedLogLevel] && this.#warnOnce(`Current log level (${selectedLogLevel}) does not match AWS Lambda Advanced Logging Controls minimum log level (${this.#alcLogLevel}). This can lead to data loss, consider adjusting them.`), !0) : !1;
  }
  /**
   * Create a log item and populate it with the given log level, input, and extra input.
   */
  createAndPopulateLogItem(logLevel, input, extraInput) {
    let unformattedBaseAttributes = {
      logLevel: this.getLogLevelNameFromNumber(logLevel),
      timestamp: /* @__PURE__ */ new Date(),
      xRayTraceId: getXRayTraceIdFromEnv(),
      ...this.#getPowertoolsLogData(),
      message: ""
    }, additionalAttributes = this.#attributesStore.getAllAttributes();
    return this.#processMainInput(input, unformattedBaseAttributes, additionalAttributes), this.#processExtraInput(extraInput, additionalAttributes), this.getLogFormatter().formatAttributes(unformattedBaseAttributes, additionalAttributes);
  }
  /**
   * Process the main input message and add it to the attributes
   */
  #processMainInput(input, baseAttributes, additionalAttributes) {
    if (typeof input == "string") {
      baseAttributes.message = input;
      return;
    }
    let { message, ...rest } = input;
    baseAttributes.message = message;
    for (let [key, value] of Object.entries(rest))
      this.#checkReservedKeyAndWarn(key) || (additionalAttributes[key] = value);
  }
  /**
   * Process extra input items and add them to additional attributes
   */
  #processExtraInput(extraInput, additionalAttributes) {
    for (let item of extraInput)
      isNullOrUndefined(item) || (item instanceof Error ? additionalAttributes.error = item : typeof item == "string" ? additionalAttributes.extra = item : this.#processExtraObject(item, additionalAttributes));
  }
  /**
   * Process an extra input object and add its properties to additional attributes
   */
  #processExtraObject(item, additionalAttributes) {
    for (let [key, value] of Object.entries(item))
      this.#checkReservedKeyAndWarn(key) || (additionalAttributes[key] = value);
  }
  /**
   * Make a new debug log sampling decision based on the sample rate value.
   */
  #shouldEnableDebugSampling() {
    return this.#debugLogSampling.sampleRateValue && (0, import_node_crypto.randomInt)(0, 100) / 100 <= this.#debugLogSampling.sampleRateValue;
  }
  /**
   * Check if a given key is reserved and warn the user if it is.
   *
   * @param key - The key to check
   */
  #checkReservedKeyAndWarn(key) {
    return ReservedKeys.includes(key) ? (this.warn(`The key "${key}" is a reserved key and will be dropped.`), !0) : !1;
  }
  /**
   * Get the custom config service, an abstraction used to fetch environment variables.
   */
  getCustomConfigService() {
    return this.customConfigService;
  }
  /**
   * Get the instance of a service that formats the structure of a
   * log item's keys and values in the desired way.
   */
  getLogFormatter() {
    return this.logFormatter;
  }
  /**
   * Get the log level name from the log level number.
   *
   * For example, if the log level is 16, it will return 'WARN'.
   *
   * @param logLevel - The log level to get the name of
   */
  getLogLevelNameFromNumber(logLevel) {
    let found;
    for (let [key, value] of Object.entries(LogLevelThreshold))
      if (value === logLevel) {
        found = key;
        break;
      }
    return found;
  }
  /**
   * Get information that will be added in all log item by
   * this Logger instance (different from user-provided persistent attributes).
   */
  #getPowertoolsLogData() {
    let lambdaContext = this.#attributesStore.getLambdaContext();
    return lambdaContext === void 0 ? this.powertoolsLogData : { ...this.powertoolsLogData, lambdaContext };
  }
  /**
   * Check if a given log level is valid.
   *
   * @param logLevel - The log level to check
   */
  isValidLogLevel(logLevel) {
    return typeof logLevel == "string" && logLevel in LogLevelThreshold;
  }
  /**
   * Check if a given sample rate value is valid.
   *
   * @param sampleRateValue - The sample rate value to check
   */
  isValidSampleRate(sampleRateValue) {
    return typeof sampleRateValue == "number" && 0 <= sampleRateValue && sampleRateValue <= 1;
  }
  /**
   * Print a given log with given log level.
   *
   * @param logLevel - The log level
   * @param log - The log item to print
   */
  printLog(logLevel, log) {
    log.prepareForPrint();
    let consoleMethod = logLevel === LogLevelThreshold.CRITICAL ? "error" : this.getLogLevelNameFromNumber(logLevel).toLowerCase();
    this.console[consoleMethod](JSON.stringify(log.getAttributes(), this.getJsonReplacer(), this.logIndentation));
  }
  /**
   * Print or buffer a given log with given log level.
   *
   * @param logLevel - The log level threshold
   * @param input - The log message
   * @param extraInput - The extra input to log
   */
  processLogItem(logLevel, input, extraInput) {
    this.#bufferConfig.enabled && this.#bufferConfig.flushOnErrorLog && logLevel >= LogLevelThreshold.ERROR && logLevel < LogLevelThreshold.SILENT && this.flushBuffer();
    let traceId = getXRayTraceIdFromEnv();
    if (traceId !== void 0 && this.shouldBufferLog(traceId, logLevel)) {
      try {
        this.bufferLogItem(traceId, this.createAndPopulateLogItem(logLevel, input, extraInput), logLevel);
      } catch (error) {
        this.printLog(LogLevelThreshold.WARN, this.createAndPopulateLogItem(LogLevelThreshold.WARN, `Unable to buffer log: ${error.message}`, [error])), this.printLog(logLevel, this.createAndPopulateLogItem(logLevel, input, extraInput));
      }
      return;
    }
    logLevel >= this.#invocationStore.getLogLevel() && (this.#isInitialized ? this.printLog(logLevel, this.createAndPopulateLogItem(logLevel, input, extraInput)) : this.#initBuffer.push([logLevel, [logLevel, input, extraInput]]));
  }
  /**
   * Initialize the console property as an instance of the internal version of Console() class (PR #748)
   * or as the global node console if the `POWERTOOLS_DEV' env variable is set and has truthy value.
   */
  setConsole() {
    isDevMode() ? this.console = console : this.console = new import_node_console.Console({
      stdout: process.stdout,
      stderr: process.stderr
    }), this.console.trace = (message, ...optionalParams) => {
      this.console.log(message, ...optionalParams);
    };
  }
  /**
   * Set the initial Logger log level based on the following order:
   * 1. If a log level is set using AWS Lambda Advanced Logging Controls, it sets it.
   * 2. If a log level is passed to the constructor, it sets it.
   * 3. If a log level is set via custom config service, it sets it.
   * 4. If a log level is set via env variables, it sets it.
   *
   * If none of the above is true, the default log level applies (`INFO`).
   *
   * @param logLevel - Log level passed to the constructor
   */
  setInitialLogLevel(logLevel) {
    let constructorLogLevel = logLevel?.toUpperCase();
    if (this.awsLogLevelShortCircuit(constructorLogLevel)) {
      this.#initialLogLevel = this.#invocationStore.getBaseLogLevel();
      return;
    }
    if (this.isValidLogLevel(constructorLogLevel)) {
      this.#invocationStore.setBaseLogLevel(LogLevelThreshold[constructorLogLevel]), this.#initialLogLevel = this.#invocationStore.getBaseLogLevel();
      return;
    }
    let customConfigValue = this.getCustomConfigService()?.getLogLevel()?.toUpperCase();
    if (this.isValidLogLevel(customConfigValue)) {
      this.#invocationStore.setBaseLogLevel(LogLevelThreshold[customConfigValue]), this.#initialLogLevel = this.#invocationStore.getBaseLogLevel();
      return;
    }
    let logLevelVariable = getStringFromEnv({
      key: "POWERTOOLS_LOG_LEVEL",
      defaultValue: ""
    }), logLevelVariableAlias = getStringFromEnv({
      key: "LOG_LEVEL",
      defaultValue: ""
    }), logLevelValue = logLevelVariable || logLevelVariableAlias;
    this.isValidLogLevel(logLevelValue) && (this.#invocationStore.setBaseLogLevel(LogLevelThreshold[logLevelValue]), this.#initialLogLevel = this.#invocationStore.getBaseLogLevel());
  }
  /**
   * Set the sample rate value with the following priority:
   * 1. Constructor value
   * 2. Custom config service value
   * 3. Environment variable value
   * 4. Default value (zero)
   *
   * @param sampleRateValue - The sample rate value
   */
  setInitialSampleRate(sampleRateValue) {
    let constructorValue = sampleRateValue, customConfigValue = this.getCustomConfigService()?.getSampleRateValue(), sampleRateEnvVariable = getNumberFromEnv({
      key: "POWERTOOLS_LOGGER_SAMPLE_RATE",
      defaultValue: 0
    });
    for (let value of [
      constructorValue,
      customConfigValue,
      sampleRateEnvVariable
    ])
      if (this.isValidSampleRate(value)) {
        this.#debugLogSampling.sampleRateValue = value, this.powertoolsLogData.sampleRateValue = value, this.#shouldEnableDebugSampling() && this.#invocationStore.getBaseLogLevel() > LogLevelThreshold.TRACE && (this.setLogLevel("DEBUG"), this.debug("Setting log level to DEBUG due to sampling rate"));
        break;
      }
  }
  /**
   * If the log event feature is enabled via env variable, it sets a property that tracks whether
   * the event passed to the Lambda function handler should be logged or not.
   */
  setLogEvent() {
    this.logEvent = getBooleanFromEnv({
      key: "POWERTOOLS_LOGGER_LOG_EVENT",
      defaultValue: !1
    });
  }
  /**
   * Set the log formatter instance, in charge of giving a custom format
   * to the structured logs, and optionally the ordering for keys within logs.
   *
   * @param logFormatter - The log formatter
   * @param logRecordOrder - Optional list of keys to specify order in logs
   */
  setLogFormatter(logFormatter, logRecordOrder) {
    this.logFormatter = logFormatter ?? new PowertoolsLogFormatter({
      logRecordOrder
    });
  }
  /**
   * If the `POWERTOOLS_DEV` env variable is set,
   * add JSON indentation for pretty printing logs.
   */
  setLogIndentation() {
    isDevMode() && (this.logIndentation = LogJsonIndent.PRETTY);
  }
  /**
   * Configure the Logger instance settings that will affect the Logger's behaviour
   * and the content of all logs.
   *
   * @param options - Options to configure the Logger instance
   */
  setOptions(options) {
    let {
      logLevel,
      serviceName,
      sampleRateValue,
      logFormatter,
      persistentKeys,
      persistentLogAttributes,
      // deprecated in favor of persistentKeys
      environment,
      jsonReplacerFn,
      logRecordOrder,
      logBufferOptions,
      correlationIdSearchFn
    } = options;
    persistentLogAttributes && Object.keys(persistentLogAttributes).length > 0 && persistentKeys && Object.keys(persistentKeys).length > 0 && this.warn("Both persistentLogAttributes and persistentKeys options were provided. Using persistentKeys as persistentLogAttributes is deprecated and will be removed in future releases"), this.setPowertoolsLogData(serviceName, environment, persistentKeys || persistentLogAttributes);
    let lambdaLogLevel = getStringFromEnv({
      key: "AWS_LAMBDA_LOG_LEVEL",
      defaultValue: ""
    }), AlcLogLevel = lambdaLogLevel === "FATAL" ? "CRITICAL" : lambdaLogLevel;
    return this.isValidLogLevel(AlcLogLevel) && (this.#alcLogLevel = AlcLogLevel), this.setLogEvent(), this.setInitialLogLevel(logLevel), this.setInitialSampleRate(sampleRateValue), this.setLogFormatter(logFormatter, logRecordOrder), this.setConsole(), this.setLogIndentation(), this.#jsonReplacerFn = jsonReplacerFn, this.#setLogBuffering(logBufferOptions), this.#correlationIdSearchFn = correlationIdSearchFn, this;
  }
  /**
   * Add important data to the Logger instance that will affect the content of all logs.
   *
   * @param serviceName - The service name
   * @param environment - The environment
   * @param persistentKeys - The persistent log attributes
   */
  setPowertoolsLogData(serviceName, environment, persistentKeys) {
    this.addToPowertoolsLogData({
      awsRegion: getStringFromEnv({
        key: "AWS_REGION",
        defaultValue: ""
      }),
      environment: environment || this.getCustomConfigService()?.getCurrentEnvironment() || getStringFromEnv({
        key: "ENVIRONMENT",
        defaultValue: ""
      }),
      serviceName: serviceName || this.getCustomConfigService()?.getServiceName() || getStringFromEnv({
        key: "POWERTOOLS_SERVICE_NAME",
        defaultValue: ""
      }) || this.defaultServiceName
    }), persistentKeys && this.appendPersistentKeys(persistentKeys);
  }
  /**
   * Configure the buffer settings for the Logger instance.
   *
   * @param options - Options to configure the Logger instance
   */
  #setLogBuffering(options) {
    if (options === void 0 || (this.#bufferConfig.enabled = options?.enabled !== !1, this.#bufferConfig.enabled === !1))
      return;
    options?.maxBytes !== void 0 && (this.#bufferConfig.maxBytes = options.maxBytes), this.#invocationStore.configureBuffer(this.#bufferConfig.maxBytes), options?.flushOnErrorLog === !1 && (this.#bufferConfig.flushOnErrorLog = !1);
    let bufferAtLogLevel = options?.bufferAtVerbosity?.toUpperCase();
    this.isValidLogLevel(bufferAtLogLevel) && (this.#bufferConfig.bufferAtVerbosity = LogLevelThreshold[bufferAtLogLevel]), this.#alcLogLevel !== void 0 && LogLevelThreshold[this.#alcLogLevel] > this.#bufferConfig.bufferAtVerbosity && this.#warnOnce("Advanced Loggging Controls (ALC) Log Level is less verbose than Log Buffering Log Level. Buffered logs will be filtered by ALC");
  }
  /**
   * Add a log to the buffer.
   *
   * @param xrayTraceId - `_X_AMZN_TRACE_ID` of the request
   * @param log - Log to be buffered
   * @param logLevel - The level of log to be buffered
   */
  bufferLogItem(xrayTraceId, log, logLevel) {
    log.prepareForPrint(), this.#invocationStore.add(xrayTraceId, JSON.stringify(log.getAttributes(), this.getJsonReplacer(), this.logIndentation), logLevel);
  }
  /**
   * Flush all logs in the request buffer.
   *
   * This is called automatically when you use the {@link injectLambdaContext | `@logger.injectLambdaContext()`} decorator and
   * your function throws an error.
   */
  flushBuffer() {
    if (this.#bufferConfig.enabled === !1)
      return;
    let traceId = getXRayTraceIdFromEnv();
    if (traceId === void 0)
      return;
    let buffer = this.#invocationStore.get(traceId);
    if (buffer !== void 0) {
      for (let item of buffer) {
        let consoleMethod = this.getLogLevelNameFromNumber(item.logLevel).toLowerCase();
        this.console[consoleMethod](item.value);
      }
      buffer.hasEvictedLog && this.printLog(LogLevelThreshold.WARN, this.createAndPopulateLogItem(LogLevelThreshold.WARN, "Some logs are not displayed because they were evicted from the buffer. Increase buffer size to store more logs in the buffer", [])), this.#alcLogLevel !== void 0 && LogLevelThreshold[this.#alcLogLevel] > this.#bufferConfig.bufferAtVerbosity && this.#warnOnce("Advanced Loggging Controls (ALC) Log Level is less verbose than Log Buffering Log Level. Some logs might be missing."), this.#invocationStore.delete(traceId);
    }
  }
  /**
   * Empties the buffer for the current request
   */
  clearBuffer() {
    if (this.#bufferConfig.enabled === !1)
      return;
    let traceId = getXRayTraceIdFromEnv();
    traceId !== void 0 && this.#invocationStore.delete(traceId);
  }
  /**
   * Test if the log meets the criteria to be buffered.
   *
   * @param traceId - `_X_AMZN_TRACE_ID` of the request
   * @param logLevel - The level of the log being considered
   */
  shouldBufferLog(traceId, logLevel) {
    return this.#bufferConfig.enabled && traceId !== void 0 && logLevel <= this.#bufferConfig.bufferAtVerbosity;
  }
  /**
   * Set the correlation ID for the log item.
   *
   * This method can be used to set the correlation ID for the log item or to search for the correlation ID in the event.
   *
   * @example
   * ```typescript
   * import { Logger } from '@aws-lambda-powertools/logger';
   *
   * const logger = new Logger();
   * logger.setCorrelationId('my-correlation-id'); // sets the correlation ID directly with the first argument as value
   * ```
   *
   * @example
   * ```typescript
   * import { Logger } from '@aws-lambda-powertools/logger';
   * import { search } from '@aws-lambda-powertools/logger/correlationId';
   *
   * const logger = new Logger({ correlationIdSearchFn: search });
   * logger.setCorrelationId(event, 'requestContext.requestId'); // sets the correlation ID from the event using JMSPath expression
   * ```
   *
   * @param value - The value to set as the correlation ID or the event to search for the correlation ID
   * @param correlationIdPath - Optional JMESPath expression to extract the correlation ID for the payload
   */
  setCorrelationId(value, correlationIdPath) {
    if (typeof correlationIdPath == "string") {
      if (!this.#correlationIdSearchFn) {
        this.#warnOnce("correlationIdPath is set but no search function was provided. The correlation ID will not be added to the log attributes.");
        return;
      }
      let correlationId = this.#correlationIdSearchFn(correlationIdPath, value);
      correlationId && this.appendKeys({ correlation_id: correlationId });
      return;
    }
    this.appendKeys({ correlation_id: value });
  }
  /**
   * Get the correlation ID from the log attributes.
   */
  getCorrelationId() {
    return this.#attributesStore.getTemporaryAttributes().correlation_id;
  }
};

// src/router/handler.ts
var import_client_api_gateway = require("@aws-sdk/client-api-gateway"), import_client_dynamodb = require("@aws-sdk/client-dynamodb");

// src/router/api-keys.ts
var API_KEY_MARKER_TAG = "cdk-ecs-saas:router", ApiKeyCache = class {
  constructor(options) {
    this.options = options;
    this.ttlMs = options.ttlMs ?? 10 * 6e4, this.missingTtlMs = options.missingTtlMs ?? 3e4, this.now = options.now ?? Date.now;
  }
  options;
  entries = /* @__PURE__ */ new Map();
  ttlMs;
  missingTtlMs;
  now;
  /** The key value for a request of `tenantId` in `tier`, or undefined when there is none (API Gateway then answers 403). */
  async keyFor(tier, tenantId) {
    if (this.options.perTenantTiers.has(tier))
      return this.cached(`tenant:${tenantId}`, this.ttlMs, () => this.options.findTenantKey(tenantId));
    let id = this.options.tierKeyIds[tier];
    if (id)
      return this.cached(`tier:${tier}`, Number.POSITIVE_INFINITY, () => this.options.getKey(id));
  }
  async cached(key, ttl, load) {
    let now = this.now(), hit = this.entries.get(key);
    if (hit && hit.expires > now)
      return hit.value;
    let value = load();
    this.entries.set(key, { value, expires: now + ttl });
    try {
      let resolved = await value;
      return resolved === void 0 && this.entries.set(key, { value, expires: now + this.missingTtlMs }), resolved;
    } catch (e) {
      throw this.entries.delete(key), e;
    }
  }
};

// node_modules/aws-jwt-verify/dist/esm/error.js
var JwtBaseError = class extends Error {
}, FailedAssertionError = class extends JwtBaseError {
  constructor(msg, actual, expected) {
    super(msg), this.failedAssertion = {
      actual,
      expected
    };
  }
}, JwtParseError = class extends JwtBaseError {
  constructor(msg, error) {
    let message = error != null ? `${msg}: ${error}` : msg;
    super(message);
  }
}, ParameterValidationError = class extends JwtBaseError {
}, JwtInvalidSignatureError = class extends JwtBaseError {
}, JwtInvalidSignatureAlgorithmError = class extends FailedAssertionError {
}, JwtInvalidClaimError = class extends FailedAssertionError {
  withRawJwt({ header, payload }) {
    return this.rawJwt = {
      header,
      payload
    }, this;
  }
}, JwtInvalidIssuerError = class extends JwtInvalidClaimError {
}, JwtInvalidAudienceError = class extends JwtInvalidClaimError {
}, JwtInvalidScopeError = class extends JwtInvalidClaimError {
}, JwtExpiredError = class extends JwtInvalidClaimError {
}, JwtNotBeforeError = class extends JwtInvalidClaimError {
}, CognitoJwtInvalidGroupError = class extends JwtInvalidClaimError {
}, CognitoJwtInvalidTokenUseError = class extends JwtInvalidClaimError {
}, CognitoJwtInvalidClientIdError = class extends JwtInvalidClaimError {
};
var JwksValidationError = class extends JwtBaseError {
}, JwkValidationError = class extends JwtBaseError {
}, JwtWithoutValidKidError = class extends JwtBaseError {
}, KidNotFoundInJwksError = class extends JwtBaseError {
}, WaitPeriodNotYetEndedJwkError = class extends JwtBaseError {
}, JwksNotAvailableInCacheError = class extends JwtBaseError {
}, JwkInvalidUseError = class extends FailedAssertionError {
}, JwkInvalidKtyError = class extends FailedAssertionError {
}, FetchError = class extends JwtBaseError {
  constructor(uri, msg) {
    super(`Failed to fetch ${uri}: ${msg}`);
  }
}, NonRetryableFetchError = class extends FetchError {
};

// node_modules/aws-jwt-verify/dist/esm/node-web-compat-node.js
var import_crypto = require("crypto");

// node_modules/aws-jwt-verify/dist/esm/https-node.js
var import_https = require("https"), import_stream = require("stream");
async function fetch(uri, requestOptions, data) {
  let responseTimeout;
  return new Promise((resolve, reject) => {
    let req = (0, import_https.request)(uri, {
      method: "GET",
      ...requestOptions
    }, (response) => {
      if (response.statusCode !== 200) {
        done(new NonRetryableFetchError(uri, `Status code is ${response.statusCode}, expected 200`));
        return;
      }
      (0, import_stream.pipeline)(response, async (responseBody) => {
        let chunks = [];
        for await (let chunk of responseBody)
          chunks.push(chunk);
        let buf = Buffer.concat(chunks);
        return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
      }, (err, data2) => done(err, data2));
    });
    requestOptions?.responseTimeout && (responseTimeout = setTimeout(() => done(new FetchError(uri, `Response time-out (after ${requestOptions.responseTimeout} ms.)`)), requestOptions.responseTimeout), responseTimeout.unref());
    function done(err, data2) {
      if (responseTimeout && clearTimeout(responseTimeout), err == null) {
        resolve(data2);
        return;
      }
      req.socket?.emit("agentRemove"), err instanceof FetchError || (err = new FetchError(uri, err.message)), req.destroy(), reject(err);
    }
    req.on("error", done), req.end(data);
  });
}

// node_modules/aws-jwt-verify/dist/esm/node-web-compat-node.js
var JwtSignatureAlgorithmHashNames;
(function(JwtSignatureAlgorithmHashNames2) {
  JwtSignatureAlgorithmHashNames2.RS256 = "RSA-SHA256", JwtSignatureAlgorithmHashNames2.RS384 = "RSA-SHA384", JwtSignatureAlgorithmHashNames2.RS512 = "RSA-SHA512", JwtSignatureAlgorithmHashNames2.ES256 = "RSA-SHA256", JwtSignatureAlgorithmHashNames2.ES384 = "RSA-SHA384", JwtSignatureAlgorithmHashNames2.ES512 = "RSA-SHA512";
})(JwtSignatureAlgorithmHashNames || (JwtSignatureAlgorithmHashNames = {}));
var nodeWebCompat = {
  fetch,
  transformJwkToKeyObjectSync: (jwk) => (0, import_crypto.createPublicKey)({
    key: jwk,
    format: "jwk"
  }),
  transformJwkToKeyObjectAsync: async (jwk) => (0, import_crypto.createPublicKey)({
    key: jwk,
    format: "jwk"
  }),
  parseB64UrlString: (b64) => Buffer.from(b64, "base64").toString("utf8"),
  verifySignatureSync: ({ alg, keyObject, jwsSigningInput, signature }) => alg !== "EdDSA" ? (
    // eslint-disable-next-line security/detect-object-injection
    (0, import_crypto.createVerify)(JwtSignatureAlgorithmHashNames[alg]).update(jwsSigningInput).verify({
      key: keyObject,
      dsaEncoding: "ieee-p1363"
      // Signature format r || s (not used for RSA)
    }, signature, "base64")
  ) : (0, import_crypto.verify)(null, Buffer.from(jwsSigningInput), keyObject, Buffer.from(signature, "base64")),
  verifySignatureAsync: async (args) => nodeWebCompat.verifySignatureSync(args),
  defaultFetchTimeouts: {
    socketIdle: 1500,
    response: 3e3
  },
  setTimeoutUnref: (...args) => setTimeout(...args).unref(),
  transformPemToJwk: async (pem) => (0, import_crypto.createPublicKey)({
    key: Buffer.from(pem),
    format: "pem"
  }).export({
    format: "jwk"
  })
};

// node_modules/aws-jwt-verify/dist/esm/https.js
var fetch2 = nodeWebCompat.fetch.bind(void 0), SimpleFetcher = class {
  constructor(props) {
    this.defaultRequestOptions = {
      timeout: nodeWebCompat.defaultFetchTimeouts.socketIdle,
      responseTimeout: nodeWebCompat.defaultFetchTimeouts.response,
      ...props?.defaultRequestOptions
    };
  }
  /**
   * Execute a HTTPS request (with 1 immediate retry in case of errors)
   * @param uri - The URI
   * @param requestOptions - The RequestOptions to use (depending on the runtime context, either Node.js RequestOptions or Web Fetch init)
   * @param data - Data to send to the URI (e.g. POST data)
   * @returns - The response body as ArrayBuffer
   */
  async fetch(uri, requestOptions, data) {
    requestOptions = { ...this.defaultRequestOptions, ...requestOptions };
    try {
      return await fetch2(uri, requestOptions, data);
    } catch (err) {
      if (err instanceof NonRetryableFetchError)
        throw err;
      return fetch2(uri, requestOptions, data);
    }
  }
};

// node_modules/aws-jwt-verify/dist/esm/safe-json-parse.js
function isJsonObject(j) {
  return typeof j == "object" && !Array.isArray(j) && j !== null;
}
function safeJsonParse(s) {
  return JSON.parse(s, (_, value) => (typeof value == "object" && !Array.isArray(value) && value !== null && (delete value.__proto__, delete value.constructor), value));
}

// node_modules/aws-jwt-verify/dist/esm/assert.js
function assertStringEquals(name, actual, expected, errorConstructor = FailedAssertionError) {
  if (!actual)
    throw new errorConstructor(`Missing ${name}. Expected: ${expected}`, actual, expected);
  if (typeof actual != "string")
    throw new errorConstructor(`${name} is not of type string`, actual, expected);
  if (expected !== actual)
    throw new errorConstructor(`${name} not allowed: ${actual}. Expected: ${expected}`, actual, expected);
}
function assertStringArrayContainsString(name, actual, expected, errorConstructor = FailedAssertionError) {
  if (!actual)
    throw new errorConstructor(`Missing ${name}. ${expectationMessage(expected)}`, actual, expected);
  if (typeof actual != "string")
    throw new errorConstructor(`${name} is not of type string`, actual, expected);
  return assertStringArraysOverlap(name, actual, expected, errorConstructor);
}
function assertStringArraysOverlap(name, actual, expected, errorConstructor = FailedAssertionError) {
  if (!actual)
    throw new errorConstructor(`Missing ${name}. ${expectationMessage(expected)}`, actual, expected);
  let expectedAsSet = new Set(Array.isArray(expected) ? expected : [expected]);
  if (typeof actual == "string" && (actual = [actual]), !Array.isArray(actual))
    throw new errorConstructor(`${name} is not an array`, actual, expected);
  if (!actual.some((actualItem) => {
    if (typeof actualItem != "string")
      throw new errorConstructor(`${name} includes elements that are not of type string`, actual, expected);
    return expectedAsSet.has(actualItem);
  }))
    throw new errorConstructor(`${name} not allowed: ${actual.join(", ")}. ${expectationMessage(expected)}`, actual, expected);
}
function expectationMessage(expected) {
  return Array.isArray(expected) ? expected.length > 1 ? `Expected one of: ${expected.join(", ")}` : `Expected: ${expected[0]}` : `Expected: ${expected}`;
}
function assertIsNotPromise(actual, errorFactory) {
  if (actual && typeof actual.then == "function")
    throw errorFactory();
}

// node_modules/aws-jwt-verify/dist/esm/jwk.js
var optionalJwkFieldNames = [
  "use",
  // https://datatracker.ietf.org/doc/html/rfc7517#section-4.2
  "alg",
  // https://datatracker.ietf.org/doc/html/rfc7517#section-4.4
  "kid",
  // https://datatracker.ietf.org/doc/html/rfc7517#section-4.5
  "n",
  // https://datatracker.ietf.org/doc/html/rfc7518#section-6.3.1.1
  "e",
  // https://datatracker.ietf.org/doc/html/rfc7518#section-6.3.1.2
  "x",
  // https://datatracker.ietf.org/doc/html/rfc7518#section-6.2.1.2
  "y",
  // https://datatracker.ietf.org/doc/html/rfc7518#section-6.2.1.3
  "crv"
  //https:// datatracker.ietf.org/doc/html/rfc7518#section-6.2.1.1
], mandatoryJwkFieldNames = [
  "kty"
  // https://datatracker.ietf.org/doc/html/rfc7517#section-4.1
];
function findJwkInJwks(jwks, kid) {
  return jwks.keys.find((jwk) => jwk.kid != null && jwk.kid === kid);
}
var parseJwks = function(jwksBin) {
  let jwks;
  try {
    let jwksText = new TextDecoder("utf8", {
      fatal: !0,
      ignoreBOM: !0
    }).decode(jwksBin);
    jwks = safeJsonParse(jwksText);
  } catch (err) {
    throw new JwksValidationError(`JWKS could not be parsed as JSON: ${err}`);
  }
  return assertIsJwks(jwks), jwks;
};
function assertIsJwks(jwks) {
  if (!jwks)
    throw new JwksValidationError("JWKS empty");
  if (!isJsonObject(jwks))
    throw new JwksValidationError("JWKS should be an object");
  if (!Object.keys(jwks).includes("keys"))
    throw new JwksValidationError("JWKS does not include keys");
  if (!Array.isArray(jwks.keys))
    throw new JwksValidationError("JWKS keys should be an array");
  for (let jwk of jwks.keys)
    assertIsJwk(jwk);
}
function assertIsSignatureJwk(jwk) {
  assertStringArrayContainsString("JWK kty", jwk.kty, ["EC", "RSA", "OKP"], JwkInvalidKtyError), jwk.kty === "EC" ? assertIsEsSignatureJwk(jwk) : jwk.kty === "RSA" ? assertIsRsaSignatureJwk(jwk) : jwk.kty === "OKP" && assertIsEdDSASignatureJwk(jwk);
}
function assertIsEdDSASignatureJwk(jwk) {
  if (jwk.use && assertStringEquals("JWK use", jwk.use, "sig", JwkInvalidUseError), assertStringEquals("JWK kty", jwk.kty, "OKP", JwkInvalidKtyError), !jwk.crv)
    throw new JwkValidationError("Missing Curve (crv)");
  if (!jwk.x)
    throw new JwkValidationError("Missing X Coordinate (x)");
}
function assertIsEsSignatureJwk(jwk) {
  if (jwk.use && assertStringEquals("JWK use", jwk.use, "sig", JwkInvalidUseError), assertStringEquals("JWK kty", jwk.kty, "EC", JwkInvalidKtyError), !jwk.crv)
    throw new JwkValidationError("Missing Curve (crv)");
  if (!jwk.x)
    throw new JwkValidationError("Missing X Coordinate (x)");
  if (!jwk.y)
    throw new JwkValidationError("Missing Y Coordinate (y)");
}
function assertIsRsaSignatureJwk(jwk) {
  if (jwk.use && assertStringEquals("JWK use", jwk.use, "sig", JwkInvalidUseError), assertStringEquals("JWK kty", jwk.kty, "RSA", JwkInvalidKtyError), !jwk.n)
    throw new JwkValidationError("Missing modulus (n)");
  if (!jwk.e)
    throw new JwkValidationError("Missing exponent (e)");
}
function assertIsJwk(jwk) {
  if (!jwk)
    throw new JwkValidationError("JWK empty");
  if (!isJsonObject(jwk))
    throw new JwkValidationError("JWK should be an object");
  for (let field of mandatoryJwkFieldNames)
    if (typeof jwk[field] != "string")
      throw new JwkValidationError(`JWK ${field} should be a string`);
  for (let field of optionalJwkFieldNames)
    if (field in jwk && typeof jwk[field] != "string")
      throw new JwkValidationError(`JWK ${field} should be a string`);
}
function isJwks(jwks) {
  try {
    return assertIsJwks(jwks), !0;
  } catch {
    return !1;
  }
}
function isJwk(jwk) {
  try {
    return assertIsJwk(jwk), !0;
  } catch {
    return !1;
  }
}
var SimplePenaltyBox = class {
  constructor(props) {
    this.waitingUris = /* @__PURE__ */ new Map(), this.waitSeconds = props?.waitSeconds ?? 10;
  }
  async wait(jwksUri) {
    if (this.waitingUris.has(jwksUri))
      throw new WaitPeriodNotYetEndedJwkError("Not allowed to fetch JWKS yet, still waiting for back off period to end");
  }
  release(jwksUri) {
    let i = this.waitingUris.get(jwksUri);
    i && (clearTimeout(i), this.waitingUris.delete(jwksUri));
  }
  registerFailedAttempt(jwksUri) {
    let i = nodeWebCompat.setTimeoutUnref(() => {
      this.waitingUris.delete(jwksUri);
    }, this.waitSeconds * 1e3);
    this.waitingUris.set(jwksUri, i);
  }
  registerSuccessfulAttempt(jwksUri) {
    this.release(jwksUri);
  }
}, SimpleJwksCache = class {
  constructor(props) {
    this.jwksCache = /* @__PURE__ */ new Map(), this.fetchingJwks = /* @__PURE__ */ new Map(), this.penaltyBox = props?.penaltyBox ?? new SimplePenaltyBox(), this.fetcher = props?.fetcher ?? new SimpleFetcher(), this.jwksParser = props?.jwksParser ?? parseJwks;
  }
  /**
   * Add a JWKS to the cache explicitly. E.g. you may want to do this, if you have already downloaded the JWKS.
   *
   * @param jwksUri - The URI where your IDP exposes the JWKS, e.g. `https://example.com/my-idp/.well-known/jwks.json` (this is used as cache key)
   * @param jwks - The JWKS
   */
  addJwks(jwksUri, jwks) {
    this.jwksCache.set(jwksUri, jwks);
  }
  /**
   * Fetch and cache the JWKS from the jwksUri
   *
   * @param jwksUri - The URI where your IDP exposes the JWKS, e.g. `https://example.com/my-idp/.well-known/jwks.json`
   * @returns - The fetched jwks
   */
  async getJwks(jwksUri) {
    let existingFetch = this.fetchingJwks.get(jwksUri);
    if (existingFetch)
      return existingFetch;
    let jwksPromise = this.fetcher.fetch(jwksUri).then(this.jwksParser);
    this.fetchingJwks.set(jwksUri, jwksPromise);
    let jwks;
    try {
      jwks = await jwksPromise;
    } finally {
      this.fetchingJwks.delete(jwksUri);
    }
    return this.jwksCache.set(jwksUri, jwks), jwks;
  }
  /**
   * Get the JWKS from the cache (synchronously). Raises an error if the JWKS is not yet cached, or does not have the right JWK.
   *
   * @param jwksUri - The URI where your IDP exposes the JWKS, e.g. `https://example.com/my-idp/.well-known/jwks.json` (this is used as cache key)
   * @param decomposedJwt - The decomposed JWT
   * @returns - The previously cached JWKS
   */
  getCachedJwk(jwksUri, decomposedJwt) {
    if (typeof decomposedJwt.header.kid != "string")
      throw new JwtWithoutValidKidError("JWT header does not have valid kid claim");
    if (!this.jwksCache.has(jwksUri))
      throw new JwksNotAvailableInCacheError(`JWKS for uri ${jwksUri} not yet available in cache`);
    let jwk = findJwkInJwks(this.jwksCache.get(jwksUri), decomposedJwt.header.kid);
    if (!jwk)
      throw new KidNotFoundInJwksError(`JWK for kid ${decomposedJwt.header.kid} not found in the JWKS`);
    return jwk;
  }
  /**
   * Get the right JWK to verify the JWT with. This will fetch (and cache) the JWKS in case it's not yet been cached,
   * or if the cached JWKS doesn't have the right JWK (to account for key rotations, based on `kid`).
   *
   * @param jwksUri
   * @param decomposedJwt
   * @returns  - The JWK
   */
  async getJwk(jwksUri, decomposedJwt) {
    if (typeof decomposedJwt.header.kid != "string")
      throw new JwtWithoutValidKidError("JWT header does not have valid kid claim");
    let cachedJwks = this.jwksCache.get(jwksUri);
    if (cachedJwks) {
      let cachedJwk = findJwkInJwks(cachedJwks, decomposedJwt.header.kid);
      if (cachedJwk)
        return cachedJwk;
    }
    await this.penaltyBox.wait(jwksUri, decomposedJwt.header.kid);
    let jwks = await this.getJwks(jwksUri), jwk = findJwkInJwks(jwks, decomposedJwt.header.kid);
    if (jwk)
      this.penaltyBox.registerSuccessfulAttempt(jwksUri, decomposedJwt.header.kid);
    else
      throw this.penaltyBox.registerFailedAttempt(jwksUri, decomposedJwt.header.kid), new KidNotFoundInJwksError(`JWK for kid "${decomposedJwt.header.kid}" not found in the JWKS`);
    return jwk;
  }
};

// node_modules/aws-jwt-verify/dist/esm/jwt.js
function assertJwtHeader(header) {
  if (!isJsonObject(header))
    throw new JwtParseError("JWT header is not an object");
  if (header.alg !== void 0 && typeof header.alg != "string")
    throw new JwtParseError("JWT header alg claim is not a string");
  if (header.kid !== void 0 && typeof header.kid != "string")
    throw new JwtParseError("JWT header kid claim is not a string");
}
function assertJwtPayload(payload) {
  if (!isJsonObject(payload))
    throw new JwtParseError("JWT payload is not an object");
  if (payload.exp !== void 0 && !Number.isFinite(payload.exp))
    throw new JwtParseError("JWT payload exp claim is not a number");
  if (payload.iss !== void 0 && typeof payload.iss != "string")
    throw new JwtParseError("JWT payload iss claim is not a string");
  if (payload.sub !== void 0 && typeof payload.sub != "string")
    throw new JwtParseError("JWT payload sub claim is not a string");
  if (payload.aud !== void 0 && typeof payload.aud != "string" && (!Array.isArray(payload.aud) || payload.aud.some((aud) => typeof aud != "string")))
    throw new JwtParseError("JWT payload aud claim is not a string or array of strings");
  if (payload.nbf !== void 0 && !Number.isFinite(payload.nbf))
    throw new JwtParseError("JWT payload nbf claim is not a number");
  if (payload.iat !== void 0 && !Number.isFinite(payload.iat))
    throw new JwtParseError("JWT payload iat claim is not a number");
  if (payload.scope !== void 0 && typeof payload.scope != "string")
    throw new JwtParseError("JWT payload scope claim is not a string");
  if (payload.jti !== void 0 && typeof payload.jti != "string")
    throw new JwtParseError("JWT payload jti claim is not a string");
}
var JWT_REGEX = /^[A-Za-z0-9_-]+={0,2}\.[A-Za-z0-9_-]+={0,2}\.[A-Za-z0-9_-]+={0,2}$/;
function decomposeUnverifiedJwt(jwt) {
  if (!jwt)
    throw new JwtParseError("Empty JWT");
  if (typeof jwt != "string")
    throw new JwtParseError("JWT is not a string");
  if (!JWT_REGEX.test(jwt))
    throw new JwtParseError("JWT string does not consist of exactly 3 parts (header, payload, signature)");
  let [headerB64, payloadB64, signatureB64] = jwt.split("."), [headerString, payloadString] = [headerB64, payloadB64].map(nodeWebCompat.parseB64UrlString), header;
  try {
    header = safeJsonParse(headerString);
  } catch (err) {
    throw new JwtParseError("Invalid JWT. Header is not a valid JSON object", err);
  }
  assertJwtHeader(header);
  let payload;
  try {
    payload = safeJsonParse(payloadString);
  } catch (err) {
    throw new JwtParseError("Invalid JWT. Payload is not a valid JSON object", err);
  }
  return assertJwtPayload(payload), {
    header,
    headerB64,
    payload,
    payloadB64,
    signatureB64
  };
}
function validateJwtFields(payload, options) {
  if (payload.exp !== void 0 && payload.exp + (options.graceSeconds ?? 0) < Date.now() / 1e3)
    throw new JwtExpiredError(`Token expired at ${new Date(payload.exp * 1e3).toISOString()}`, payload.exp);
  if (payload.nbf !== void 0 && payload.nbf - (options.graceSeconds ?? 0) > Date.now() / 1e3)
    throw new JwtNotBeforeError(`Token can't be used before ${new Date(payload.nbf * 1e3).toISOString()}`, payload.nbf);
  if (options.issuer !== null) {
    if (options.issuer === void 0)
      throw new ParameterValidationError("issuer must be provided or set to null explicitly");
    assertStringArrayContainsString("Issuer", payload.iss, options.issuer, JwtInvalidIssuerError);
  }
  if (options.audience !== null) {
    if (options.audience === void 0)
      throw new ParameterValidationError("audience must be provided or set to null explicitly");
    assertStringArraysOverlap("Audience", payload.aud, options.audience, JwtInvalidAudienceError);
  }
  options.scope != null && assertStringArraysOverlap("Scope", payload.scope?.split(" "), options.scope, JwtInvalidScopeError);
}

// node_modules/aws-jwt-verify/dist/esm/jwt-verifier.js
var supportedSignatureAlgorithms = [
  "RS256",
  "RS384",
  "RS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA"
];
function validateJwtHeaderAndJwk(header, jwk) {
  assertIsSignatureJwk(jwk), jwk.alg && assertStringEquals("JWT signature algorithm", header.alg, jwk.alg, JwtInvalidSignatureAlgorithmError), assertStringArrayContainsString("JWT signature algorithm", header.alg, supportedSignatureAlgorithms, JwtInvalidSignatureAlgorithmError);
}
async function verifyDecomposedJwt(decomposedJwt, jwksUri, options, jwkFetcher, transformJwkToKeyObjectFn) {
  let { header, headerB64, payload, payloadB64, signatureB64 } = decomposedJwt, jwk = await jwkFetcher(jwksUri, decomposedJwt);
  validateJwtHeaderAndJwk(decomposedJwt.header, jwk);
  let keyObject = await transformJwkToKeyObjectFn(jwk, header.alg, payload.iss);
  if (!await nodeWebCompat.verifySignatureAsync({
    jwsSigningInput: `${headerB64}.${payloadB64}`,
    signature: signatureB64,
    alg: header.alg,
    keyObject
  }))
    throw new JwtInvalidSignatureError("Invalid signature");
  try {
    validateJwtFields(payload, options), options.customJwtCheck && await options.customJwtCheck({ header, payload, jwk });
  } catch (err) {
    throw options.includeRawJwtInErrors && err instanceof JwtInvalidClaimError ? err.withRawJwt(decomposedJwt) : err;
  }
  return payload;
}
function verifyDecomposedJwtSync(decomposedJwt, jwkOrJwks, options, transformJwkToKeyObjectFn) {
  let { header, headerB64, payload, payloadB64, signatureB64 } = decomposedJwt, jwk;
  if (isJwk(jwkOrJwks))
    jwk = jwkOrJwks;
  else if (isJwks(jwkOrJwks)) {
    let locatedJwk = header.kid ? findJwkInJwks(jwkOrJwks, header.kid) : void 0;
    if (!locatedJwk)
      throw new KidNotFoundInJwksError(`JWK for kid ${header.kid} not found in the JWKS`);
    jwk = locatedJwk;
  } else
    throw new ParameterValidationError([
      `Expected a valid JWK or JWKS (parsed as JavaScript object), but received: ${jwkOrJwks}.`,
      "If you're passing a JWKS URI, use the async verify() method instead, it will download and parse the JWKS for you"
    ].join());
  validateJwtHeaderAndJwk(decomposedJwt.header, jwk);
  let keyObject = transformJwkToKeyObjectFn(jwk, header.alg, payload.iss);
  if (!nodeWebCompat.verifySignatureSync({
    jwsSigningInput: `${headerB64}.${payloadB64}`,
    signature: signatureB64,
    alg: header.alg,
    keyObject
  }))
    throw new JwtInvalidSignatureError("Invalid signature");
  try {
    if (validateJwtFields(payload, options), options.customJwtCheck) {
      let res = options.customJwtCheck({ header, payload, jwk });
      assertIsNotPromise(res, () => new ParameterValidationError("Custom JWT checks must be synchronous but a promise was returned"));
    }
  } catch (err) {
    throw options.includeRawJwtInErrors && err instanceof JwtInvalidClaimError ? err.withRawJwt(decomposedJwt) : err;
  }
  return payload;
}
var JwtVerifierBase = class {
  constructor(verifyProperties, jwksCache = new SimpleJwksCache()) {
    if (this.jwksCache = jwksCache, this.issuersConfig = /* @__PURE__ */ new Map(), this.publicKeyCache = new KeyObjectCache(), Array.isArray(verifyProperties)) {
      if (!verifyProperties.length)
        throw new ParameterValidationError("Provide at least one issuer configuration");
      verifyProperties.forEach((prop, index) => {
        if (this.issuersConfig.has(prop.issuer))
          throw new ParameterValidationError(`issuer ${prop.issuer} supplied multiple times`);
        if (prop.issuer === null && verifyProperties.length >= 2)
          throw new ParameterValidationError(`issuer cannot be null when multiple issuers are supplied (at issuer: ${index})`);
        this.issuersConfig.set(prop.issuer, this.withJwksUri(prop));
      });
    } else
      this.issuersConfig.set(verifyProperties.issuer, this.withJwksUri(verifyProperties));
  }
  getIssuerConfig(issuer) {
    if (this.issuersConfig.size === 1 && (issuer = this.issuersConfig.keys().next().value), issuer === void 0)
      throw new ParameterValidationError("issuer must be provided");
    let config2 = this.issuersConfig.get(issuer);
    if (!config2)
      throw new ParameterValidationError(`issuer not configured: ${issuer}`);
    return config2;
  }
  /**
   * This method loads a JWKS that you provide, into the JWKS cache, so that it is
   * available for JWT verification. Use this method to speed up the first JWT verification
   * (when the JWKS would otherwise have to be downloaded from the JWKS uri), or to provide the JWKS
   * in case the JwtVerifier does not have internet access to download the JWKS
   *
   * @param jwksThe JWKS
   * @param issuer The issuer for which you want to cache the JWKS
   *  Supply this field, if you instantiated the JwtVerifier with multiple issuers
   * @returns void
   */
  cacheJwks(...[jwks, issuer]) {
    let issuerConfig = this.getIssuerConfig(issuer);
    this.jwksCache.addJwks(issuerConfig.jwksUri, jwks), this.publicKeyCache.clearCache(issuerConfig.issuer);
  }
  /**
   * Hydrate the JWKS cache for (all of) the configured issuer(s).
   * This will fetch and cache the latest and greatest JWKS for concerned issuer(s).
   *
   * @returns void
   */
  async hydrate() {
    let jwksFetches = Array.from(this.issuersConfig.values()).map(({ jwksUri }) => this.jwksCache.getJwks(jwksUri)), results = await Promise.allSettled(jwksFetches);
    if (results.every((r) => r.status === "rejected"))
      throw results[0].reason;
  }
  /**
   * Verify (synchronously) a JWT.
   *
   * @param jwt The JWT, as string
   * @param props Verification properties
   * @returns The payload of the JWT––if the JWT is valid, otherwise an error is thrown
   */
  verifySync(...[jwt, properties]) {
    let { decomposedJwt, jwksUri, verifyProperties } = this.getVerifyParameters(jwt, properties);
    return this.verifyDecomposedJwtSync(decomposedJwt, jwksUri, verifyProperties);
  }
  /**
   * Verify (synchronously) an already decomposed JWT.
   *
   * @param decomposedJwt The decomposed Jwt
   * @param jwk The JWK to verify the JWTs signature with
   * @param verifyProperties The properties to use for verification
   * @returns The payload of the JWT––if the JWT is valid, otherwise an error is thrown
   */
  verifyDecomposedJwtSync(decomposedJwt, jwksUri, verifyProperties) {
    let jwk = this.jwksCache.getCachedJwk(jwksUri, decomposedJwt);
    return verifyDecomposedJwtSync(decomposedJwt, jwk, verifyProperties, this.publicKeyCache.transformJwkToKeyObjectSync.bind(this.publicKeyCache));
  }
  /**
   * Verify (asynchronously) a JWT.
   * This call is asynchronous, and the JWKS will be fetched from the JWKS uri,
   * in case it is not yet available in the cache.
   *
   * @param jwt The JWT, as string
   * @param props Verification properties
   * @returns Promise that resolves to the payload of the JWT––if the JWT is valid, otherwise the promise rejects
   */
  async verify(...[jwt, properties]) {
    let { decomposedJwt, jwksUri, verifyProperties } = this.getVerifyParameters(jwt, properties);
    return this.verifyDecomposedJwt(decomposedJwt, jwksUri, verifyProperties);
  }
  /**
   * Verify (asynchronously) an already decomposed JWT.
   *
   * @param decomposedJwt The decomposed Jwt
   * @param jwk The JWK to verify the JWTs signature with
   * @param verifyProperties The properties to use for verification
   * @returns The payload of the JWT––if the JWT is valid, otherwise an error is thrown
   */
  verifyDecomposedJwt(decomposedJwt, jwksUri, verifyProperties) {
    return verifyDecomposedJwt(decomposedJwt, jwksUri, verifyProperties, this.jwksCache.getJwk.bind(this.jwksCache), this.publicKeyCache.transformJwkToKeyObjectAsync.bind(this.publicKeyCache));
  }
  /**
   * Get the verification parameters to use, by merging the issuer configuration,
   * with the overriding properties that are now provided
   *
   * @param jwt: the JWT that is going to be verified
   * @param verifyProperties: the overriding properties, that override the issuer configuration
   * @returns The merged verification parameters
   */
  getVerifyParameters(jwt, verifyProperties) {
    let decomposedJwt = decomposeUnverifiedJwt(jwt), issuerConfig = this.getIssuerConfig(decomposedJwt.payload.iss);
    return {
      decomposedJwt,
      jwksUri: issuerConfig.jwksUri,
      verifyProperties: {
        ...issuerConfig,
        ...verifyProperties
      }
    };
  }
  /**
   * Get issuer config with JWKS URI, by adding a default JWKS URI if needed
   *
   * @param config: the issuer config.
   * @returns The config with JWKS URI
   */
  withJwksUri(config2) {
    if (config2.jwksUri)
      return config2;
    let issuer = config2.issuer;
    if (!issuer)
      throw new ParameterValidationError("jwksUri must be provided for issuer null");
    let issuerUri = new URL(issuer).pathname.replace(/\/$/, "");
    return {
      jwksUri: new URL(`${issuerUri}/.well-known/jwks.json`, issuer).href,
      ...config2
    };
  }
}, JwtVerifier = class extends JwtVerifierBase {
  static create(verifyProperties, additionalProperties) {
    return new this(verifyProperties, additionalProperties?.jwksCache);
  }
}, KeyObjectCache = class {
  constructor(transformJwkToKeyObjectSyncFn = nodeWebCompat.transformJwkToKeyObjectSync, transformJwkToKeyObjectAsyncFn = nodeWebCompat.transformJwkToKeyObjectAsync) {
    this.transformJwkToKeyObjectSyncFn = transformJwkToKeyObjectSyncFn, this.transformJwkToKeyObjectAsyncFn = transformJwkToKeyObjectAsyncFn, this.publicKeys = /* @__PURE__ */ new Map();
  }
  /**
   * Transform the JWK into a public key in native key object format.
   * If the transformed JWK is already in the cache, it is returned from the cache instead.
   *
   * @param jwk: the JWK
   * @param jwtHeaderAlg: the alg from the JWT header (used if absent on JWK)
   * @param issuer: the issuer that uses the JWK for signing JWTs (used for caching the transformation)
   * @returns the public key in native key object format
   */
  transformJwkToKeyObjectSync(jwk, jwtHeaderAlg, issuer) {
    let alg = jwk.alg ?? jwtHeaderAlg;
    if (!issuer || !jwk.kid || !alg)
      return this.transformJwkToKeyObjectSyncFn(jwk, alg, issuer);
    let fromCache = this.publicKeys.get(issuer)?.get(jwk.kid)?.get(alg);
    if (fromCache)
      return fromCache;
    let publicKey = this.transformJwkToKeyObjectSyncFn(jwk, alg, issuer);
    return this.putKeyObjectInCache(issuer, jwk.kid, alg, publicKey), publicKey;
  }
  /**
   * Transform the JWK into a public key in native key object format (async).
   * If the transformed JWK is already in the cache, it is returned from the cache instead.
   *
   * @param jwk: the JWK
   * @param jwtHeaderAlg: the alg from the JWT header (used if absent on JWK)
   * @param issuer: the issuer that uses the JWK for signing JWTs (used for caching the transformation)
   * @returns the public key in native key object format
   */
  async transformJwkToKeyObjectAsync(jwk, jwtHeaderAlg, issuer) {
    let alg = jwk.alg ?? jwtHeaderAlg;
    if (!issuer || !jwk.kid || !alg)
      return this.transformJwkToKeyObjectAsyncFn(jwk, alg, issuer);
    let fromCache = this.publicKeys.get(issuer)?.get(jwk.kid)?.get(alg);
    if (fromCache)
      return fromCache;
    let publicKey = await this.transformJwkToKeyObjectAsyncFn(jwk, alg, issuer);
    return this.putKeyObjectInCache(issuer, jwk.kid, alg, publicKey), publicKey;
  }
  putKeyObjectInCache(issuer, kid, alg, publicKey) {
    let cachedIssuer = this.publicKeys.get(issuer), cachedIssuerKid = cachedIssuer?.get(kid);
    cachedIssuerKid ? cachedIssuerKid.set(alg, publicKey) : cachedIssuer ? cachedIssuer.set(kid, /* @__PURE__ */ new Map([[alg, publicKey]])) : this.publicKeys.set(issuer, /* @__PURE__ */ new Map([[kid, /* @__PURE__ */ new Map([[alg, publicKey]])]]));
  }
  clearCache(issuer) {
    this.publicKeys.delete(issuer);
  }
};

// node_modules/aws-jwt-verify/dist/esm/cognito-verifier.js
function validateCognitoJwtFields(payload, options) {
  if (options.groups != null && assertStringArraysOverlap("Cognito group", payload["cognito:groups"], options.groups, CognitoJwtInvalidGroupError), assertStringArrayContainsString("Token use", payload.token_use, ["id", "access"], CognitoJwtInvalidTokenUseError), options.tokenUse !== null) {
    if (options.tokenUse === void 0)
      throw new ParameterValidationError("tokenUse must be provided or set to null explicitly");
    assertStringEquals("Token use", payload.token_use, options.tokenUse, CognitoJwtInvalidTokenUseError);
  }
  if (options.clientId !== null) {
    if (options.clientId === void 0)
      throw new ParameterValidationError("clientId must be provided or set to null explicitly");
    payload.token_use === "id" ? assertStringArrayContainsString('Client ID ("audience")', payload.aud, options.clientId, CognitoJwtInvalidClientIdError) : assertStringArrayContainsString("Client ID", payload.client_id, options.clientId, CognitoJwtInvalidClientIdError);
  }
}
var CognitoJwtVerifier = class _CognitoJwtVerifier extends JwtVerifierBase {
  constructor(props, jwksCache) {
    let issuerConfig = Array.isArray(props) ? props.flatMap((p) => {
      let regionFormat = _CognitoJwtVerifier.parseUserPoolId(p.userPoolId), globalFormatIssuer = `https://issuer-cognito-idp.${p.userPoolId.split("_")[0]}.amazonaws.com/${p.userPoolId}`, globalFormat = _CognitoJwtVerifier.parseUserPoolId(p.userPoolId, globalFormatIssuer);
      return [
        { ...p, ...regionFormat, audience: null },
        { ...p, ...globalFormat, audience: null }
      ];
    }) : [
      // Single user pool - create configs for both formats
      // audience checked by validateCognitoJwtFields
      {
        ...props,
        ..._CognitoJwtVerifier.parseUserPoolId(props.userPoolId),
        audience: null
      },
      {
        ...props,
        ..._CognitoJwtVerifier.parseUserPoolId(props.userPoolId, `https://issuer-cognito-idp.${props.userPoolId.split("_")[0]}.amazonaws.com/${props.userPoolId}`),
        audience: null
      }
    ];
    super(issuerConfig, jwksCache);
  }
  /**
   * Parse a User Pool ID, to extract the issuer and JWKS URI
   *
   * @param userPoolId The User Pool ID
   * @param jwtIssuer Optional issuer claim from the JWT being verified, used to determine the issuer format
   * @returns The issuer and JWKS URI for the User Pool
   */
  static parseUserPoolId(userPoolId, jwtIssuer) {
    let match = userPoolId.match(this.USER_POOL_ID_REGEX);
    if (!match)
      throw new ParameterValidationError(`Invalid Cognito User Pool ID: ${userPoolId}`);
    let region = match.groups.region, issuer;
    return jwtIssuer ? jwtIssuer.includes("issuer-cognito-idp") ? issuer = `https://issuer-cognito-idp.${region}.amazonaws.com/${userPoolId}` : issuer = `https://cognito-idp.${region}.amazonaws.com/${userPoolId}` : issuer = `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`, {
      issuer,
      jwksUri: `${issuer}/.well-known/jwks.json`
    };
  }
  static create(verifyProperties, additionalProperties) {
    return new this(verifyProperties, additionalProperties?.jwksCache);
  }
  /**
   * Verify (synchronously) a JWT that is signed by Amazon Cognito.
   *
   * @param jwt The JWT, as string
   * @param props Verification properties
   * @returns The payload of the JWT––if the JWT is valid, otherwise an error is thrown
   */
  verifySync(...[jwt, properties]) {
    let { decomposedJwt, jwksUri, verifyProperties } = this.getVerifyParameters(jwt, properties);
    this.verifyDecomposedJwtSync(decomposedJwt, jwksUri, verifyProperties);
    try {
      validateCognitoJwtFields(decomposedJwt.payload, verifyProperties);
    } catch (err) {
      throw verifyProperties.includeRawJwtInErrors && err instanceof JwtInvalidClaimError ? err.withRawJwt(decomposedJwt) : err;
    }
    return decomposedJwt.payload;
  }
  /**
   * Verify (asynchronously) a JWT that is signed by Amazon Cognito.
   * This call is asynchronous, and the JWKS will be fetched from the JWKS uri,
   * in case it is not yet available in the cache.
   *
   * @param jwt The JWT, as string
   * @param props Verification properties
   * @returns Promise that resolves to the payload of the JWT––if the JWT is valid, otherwise the promise rejects
   */
  async verify(...[jwt, properties]) {
    let { decomposedJwt, jwksUri, verifyProperties } = this.getVerifyParameters(jwt, properties);
    await this.verifyDecomposedJwt(decomposedJwt, jwksUri, verifyProperties);
    try {
      validateCognitoJwtFields(decomposedJwt.payload, verifyProperties);
    } catch (err) {
      throw verifyProperties.includeRawJwtInErrors && err instanceof JwtInvalidClaimError ? err.withRawJwt(decomposedJwt) : err;
    }
    return decomposedJwt.payload;
  }
  /**
   * This method loads a JWKS that you provide, into the JWKS cache, so that it is
   * available for JWT verification. Use this method to speed up the first JWT verification
   * (when the JWKS would otherwise have to be downloaded from the JWKS uri), or to provide the JWKS
   * in case the JwtVerifier does not have internet access to download the JWKS
   *
   * @param jwks The JWKS
   * @param userPoolId The userPoolId for which you want to cache the JWKS
   *  Supply this field, if you instantiated the CognitoJwtVerifier with multiple userPoolIds
   * @returns void
   */
  cacheJwks(...[jwks, userPoolId]) {
    let poolId = userPoolId;
    if (!poolId) {
      let uniqueUserPoolIds = new Set(Array.from(this.issuersConfig.values()).map((config2) => config2.userPoolId));
      if (uniqueUserPoolIds.size > 1)
        throw new ParameterValidationError("userPoolId must be provided");
      poolId = Array.from(uniqueUserPoolIds)[0];
    }
    let regionFormatIssuer = _CognitoJwtVerifier.parseUserPoolId(poolId).issuer, globalFormatIssuer = _CognitoJwtVerifier.parseUserPoolId(poolId, `https://issuer-cognito-idp.${poolId.split("_")[0]}.amazonaws.com/${poolId}`).issuer;
    super.cacheJwks(jwks, regionFormatIssuer), super.cacheJwks(jwks, globalFormatIssuer);
  }
};
CognitoJwtVerifier.USER_POOL_ID_REGEX = /^(?<region>(?:eusc-[a-z]{2}|[a-z]{2})-(gov-)?[a-z]+-\d)_[a-zA-Z0-9]+$/;

// src/private/tenant-id-pattern.ts
var TENANT_ID_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,34}[a-z0-9])?$/;

// src/router/authorizer.ts
var Denied = class extends Error {
}, consoleLog = (message, details) => console.log(JSON.stringify({ level: "INFO", message, ...details }));
function createAuthorizer(config2, apiKeyFor, verifier = verifierFor(config2), log = consoleLog, dynamic2) {
  let configured = new Set(config2.issuers.map((i) => i.issuer)), verify2 = async (token) => {
    if (dynamic2) {
      let iss;
      try {
        iss = decomposeUnverifiedJwt(token).payload.iss;
      } catch (e) {
        throw new Denied(`token rejected: ${e.name}: ${e.message}`);
      }
      if (typeof iss == "string" && !configured.has(iss)) {
        let registered = await dynamic2.verifierFor(iss);
        if (!registered)
          throw new Denied(`issuer ${iss} is neither configured nor registered`);
        return { payload: await registered.verify(token).catch((e) => {
          throw new Denied(`token rejected: ${e.name}: ${e.message}`);
        }), boundTo: registered.tenantId };
      }
    }
    let payload = await verifier.verify(token).catch((e) => {
      throw new Denied(`token rejected: ${e.name}: ${e.message}`);
    });
    return { payload, boundTo: config2.issuers.find((i) => i.issuer === payload.iss)?.tenantId };
  };
  return async (event) => {
    let arn = parseMethodArn(event.methodArn);
    try {
      let token = bearerToken(event.headers ?? {}), { payload, boundTo } = await verify2(token), tenantId = claim(payload, config2.claims.tenantId), tier = claim(payload, config2.claims.tier), role = claim(payload, config2.claims.role);
      if (!TENANT_ID_PATTERN.test(tenantId))
        throw new Denied(`tenant id claim '${tenantId}' is not a valid tenant id`);
      if (boundTo !== void 0 && boundTo !== tenantId)
        throw new Denied(`issuer ${String(payload.iss)} signs for tenant '${boundTo}' only; the token claims '${tenantId}'`);
      let tierConfig = config2.tiers[tier];
      if (!tierConfig)
        throw new Denied(`unknown tier '${tier}'`);
      let routingKey = tierConfig.routing === "TIER" ? tier : tenantId, denied = config2.roleRules.filter((r) => !r.allowedRoles.includes(role)), statements = [{ Effect: "Allow", Action: "execute-api:Invoke", Resource: [`${arn.base}/*/*`] }];
      return denied.length > 0 && statements.push({
        Effect: "Deny",
        Action: "execute-api:Invoke",
        Resource: denied.flatMap((r) => [`${arn.base}/*${r.pathPrefix}`, `${arn.base}/*${r.pathPrefix}/*`])
      }), {
        principalId: `${tenantId}|${String(payload.sub ?? "unknown")}`,
        policyDocument: { Version: "2012-10-17", Statement: statements },
        context: { tenantId, tier, role, routingKey },
        usageIdentifierKey: await apiKeyFor(tier, tenantId)
      };
    } catch (e) {
      if (!(e instanceof Denied))
        throw e;
      return log("denied", { reason: e.message }), {
        principalId: "denied",
        policyDocument: { Version: "2012-10-17", Statement: [{ Effect: "Deny", Action: "execute-api:Invoke", Resource: [`${arn.base}/*/*`] }] }
      };
    }
  };
}
function verifierFor(config2) {
  if (config2.issuers.length === 0)
    throw new Error("issuers is empty: the authorizer must trust at least one issuer.");
  let properties = config2.issuers.map((i) => ({
    issuer: i.issuer,
    jwksUri: i.jwksUri,
    // Cognito access tokens carry the client id in client_id, not aud.
    audience: i.tokenUse === "access" ? null : i.audiences,
    customJwtCheck: ({ payload }) => {
      if (i.tokenUse && payload.token_use !== i.tokenUse)
        throw new Error(`token_use must be '${i.tokenUse}'`);
      if (i.tokenUse === "access" && !i.audiences.includes(String(payload.client_id)))
        throw new Error("client_id is not accepted");
    }
  }));
  return JwtVerifier.create(properties);
}
function bearerToken(headers) {
  let header = Object.entries(headers).find(([k]) => k.toLowerCase() === "authorization")?.[1], match = /^Bearer ([A-Za-z0-9_.-]+)$/.exec(header ?? "");
  if (!match)
    throw new Denied("no bearer token");
  return match[1];
}
function claim(payload, name) {
  let value = payload[name];
  if (typeof value != "string" || value.length === 0)
    throw new Denied(`claim '${name}' is missing`);
  return value;
}
function parseMethodArn(methodArn) {
  let [api, stage] = methodArn.split("/");
  if (!api?.startsWith("arn:") || !stage)
    throw new Error(`unexpected methodArn '${methodArn}'`);
  return { base: `${api}/${stage}` };
}

// src/router/issuers.ts
var COGNITO_ISSUER = /^https:\/\/cognito-idp\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com\/\1_[0-9A-Za-z]+$/, DynamicIssuers = class {
  constructor(lookup2, options = {}) {
    this.lookup = lookup2;
    this.options = options;
    this.ttlMs = options.ttlMs ?? 5 * 6e4, this.missingTtlMs = options.missingTtlMs ?? 3e4, this.now = options.now ?? Date.now;
  }
  lookup;
  options;
  entries = /* @__PURE__ */ new Map();
  ttlMs;
  missingTtlMs;
  now;
  /** The verifier of a registered issuer, or undefined. */
  async verifierFor(issuer) {
    if (!COGNITO_ISSUER.test(issuer))
      return;
    let now = this.now(), hit = this.entries.get(issuer);
    if (hit && hit.expires > now)
      return hit.value;
    let value = this.load(issuer);
    this.entries.set(issuer, { value, expires: now + this.ttlMs });
    try {
      let resolved = await value;
      return resolved || this.entries.set(issuer, { value, expires: now + this.missingTtlMs }), resolved;
    } catch (e) {
      throw this.entries.delete(issuer), e;
    }
  }
  async load(issuer) {
    let registered = await this.lookup(issuer);
    if (!registered || registered.clientIds.length === 0)
      return;
    let verifier = JwtVerifier.create([{
      issuer,
      audience: registered.clientIds,
      customJwtCheck: ({ payload }) => {
        if (payload.token_use !== "id")
          throw new Error("token_use must be 'id'");
      }
    }]);
    return this.options.onVerifier?.(verifier, issuer), {
      tenantId: registered.tenantId,
      verify: async (token) => await verifier.verify(token)
    };
  }
};

// src/router/handler.ts
var logger = new Logger({ serviceName: "tenant-router-authorizer" }), config = JSON.parse(process.env.AUTHORIZER_CONFIG ?? "{}"), tierKeyIds = JSON.parse(process.env.TIER_API_KEYS ?? "{}"), marker = process.env.TENANT_KEY_MARKER ?? "", client = new import_client_api_gateway.APIGatewayClient({});
async function findTenantKey(tenantId) {
  return (await client.send(new import_client_api_gateway.GetApiKeysCommand({ customerId: tenantId, includeValues: !0, limit: 25 }))).items?.find((k) => k.enabled && k.tags?.[API_KEY_MARKER_TAG] === marker)?.value;
}
var keys = new ApiKeyCache({
  tierKeyIds,
  perTenantTiers: new Set(Object.entries(config.tiers ?? {}).filter(([, t]) => t.apiKeyPerTenant).map(([name]) => name)),
  getKey: async (id) => (await client.send(new import_client_api_gateway.GetApiKeyCommand({ apiKey: id, includeValue: !0 }))).value,
  findTenantKey
}), lookup = (tier, tenantId) => keys.keyFor(tier, tenantId), registryTable = process.env.ISSUER_REGISTRY_TABLE, dynamodb = registryTable ? new import_client_dynamodb.DynamoDBClient({}) : void 0;
async function registeredIssuer(issuer) {
  let item = (await dynamodb.send(new import_client_dynamodb.GetItemCommand({ TableName: registryTable, Key: { issuer: { S: issuer } }, ConsistentRead: !0 }))).Item;
  return item ? { tenantId: item.tenantId.S, clientIds: item.clientIds?.SS ?? [] } : void 0;
}
var dynamic = registryTable ? new DynamicIssuers(registeredIssuer) : void 0, authorize = createAuthorizer(config, lookup, void 0, (message, details) => logger.info(message, details), dynamic), handler = async (event) => authorize(event);
// Annotate the CommonJS export names for ESM import in node:
0 && (module.exports = {
  findTenantKey,
  handler,
  registeredIssuer
});
