"use strict";
var __defProp = Object.defineProperty;
var __getOwnPropDesc = Object.getOwnPropertyDescriptor;
var __getOwnPropNames = Object.getOwnPropertyNames;
var __hasOwnProp = Object.prototype.hasOwnProperty;
var __export = (target, all) => {
  for (var name in all)
    __defProp(target, name, { get: all[name], enumerable: true });
};
var __copyProps = (to, from, except, desc) => {
  if (from && typeof from === "object" || typeof from === "function") {
    for (let key of __getOwnPropNames(from))
      if (!__hasOwnProp.call(to, key) && key !== except)
        __defProp(to, key, { get: () => from[key], enumerable: !(desc = __getOwnPropDesc(from, key)) || desc.enumerable });
  }
  return to;
};
var __toCommonJS = (mod) => __copyProps(__defProp({}, "__esModule", { value: true }), mod);

// integ/handlers/http-probe.ts
var http_probe_exports = {};
__export(http_probe_exports, {
  handler: () => handler
});
module.exports = __toCommonJS(http_probe_exports);
async function handler(event) {
  const response = await fetch(`http://${process.env.ROUTER_DNS}${event.path}`, {
    method: event.method ?? "GET",
    headers: { "x-tenant-route": event.routingKey }
  });
  const text = await response.text();
  let body = text;
  try {
    body = JSON.parse(text);
  } catch {
  }
  return { status: response.status, body };
}
// Annotate the CommonJS export names for ESM import in node:
0 && (module.exports = {
  handler
});
