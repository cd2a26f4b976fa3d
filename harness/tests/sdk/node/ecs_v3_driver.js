// The client-compatibility scenario through npm `@alicloud/ecs20140526` on
// `@alicloud/openapi-client` (signature V3, ACS3-HMAC-SHA256).
//
//   node ecs_v3_driver.js PORT RESULT.json
//
// Each action goes through the generated `<action>WithOptions(request, runtime)` with the typed
// request model (camel-cased fields, lists as arrays), as an application would write it; the
// client sends a POST with every parameter in the query and an empty form body, and throws a
// tea error carrying `code`, `statusCode` and `data` (the error body). Answers are turned back
// into their wire names with the model's `toMap()`. Modules come from NODE_PATH.
'use strict';

const Ecs = require('@alicloud/ecs20140526');
const OpenApi = require('@alicloud/openapi-client');
const Util = require('@alicloud/tea-util');
const { version } = require('@alicloud/ecs20140526/package.json');
const { version: openapiVersion } = require('@alicloud/openapi-client/package.json');
const { run } = require('./scenario');

const lowerFirst = (s) => s.charAt(0).toLowerCase() + s.slice(1);

async function main() {
  const [port, resultFile] = process.argv.slice(2);
  if (!port || !resultFile) {
    console.error('usage: node ecs_v3_driver.js PORT RESULT.json');
    process.exit(2);
  }
  const client = new Ecs.default(new OpenApi.Config({
    accessKeyId: 'testid',
    accessKeySecret: 'testsecret',
    regionId: 'cn-hangzhou',
    endpoint: `127.0.0.1:${port}`,
    protocol: 'http',
  }));
  // One request per call: no retries, so that an error answers the request that caused it.
  const runtime = new Util.RuntimeOptions({ autoretry: false, readTimeout: 10000, connectTimeout: 5000 });
  const adapter = {
    call: async (action, params) => {
      const fields = {};
      for (const [key, value] of Object.entries(params)) fields[lowerFirst(key)] = value;
      const request = new Ecs[`${action}Request`](fields);
      const response = await client[`${lowerFirst(action)}WithOptions`](request, runtime);
      return response.body.toMap();
    },
    errorOf: (e) => (e && typeof e.code === 'string' && e.data && typeof e.data === 'object'
      ? {
        // tea's ResponseError keeps `name` "Error": the class names the type.
        type: (e.constructor && e.constructor.name) || e.name || 'Error',
        code: e.code,
        status: e.data.statusCode,
        requestId: e.data.RequestId,
      }
      : null),
  };
  const meta = {
    client: '@alicloud/ecs20140526 + @alicloud/openapi-client',
    version: `${version} + ${openapiVersion}`,
    language: 'Node.js',
    signing: 'V3 (ACS3-HMAC-SHA256)',
    method: 'POST, query (empty form body)',
  };
  const failed = await run(adapter, meta, resultFile);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(`driver error: ${String((e && e.name) || e)}`);
  process.exit(2);
});
