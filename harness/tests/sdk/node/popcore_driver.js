// The client-compatibility scenario through npm `@alicloud/pop-core` (RPCClient, signature v1).
//
//   node popcore_driver.js GET|POST PORT RESULT.json
//
// GET puts every parameter, `Signature` last, in the query; POST sends them all, the signature
// included, as an `application/x-www-form-urlencoded` body to `/`. pop-core also sends
// `x-acs-action`/`x-acs-version` headers with its v1 requests, and throws an `Error` named
// `<Code>Error` carrying `code`, `data` (the error body) and `entry.response.statusCode`.
// Modules come from NODE_PATH (clients.sh installs them into the build folder).
'use strict';

const RPCClient = require('@alicloud/pop-core');
const { version } = require('@alicloud/pop-core/package.json');
const { run } = require('./scenario');

async function main() {
  const [method, port, resultFile] = process.argv.slice(2);
  if (!['GET', 'POST'].includes(method) || !port || !resultFile) {
    console.error('usage: node popcore_driver.js GET|POST PORT RESULT.json');
    process.exit(2);
  }
  const client = new RPCClient({
    accessKeyId: 'testid',
    accessKeySecret: 'testsecret',
    endpoint: `http://127.0.0.1:${port}`,
    apiVersion: '2014-05-26',
  });
  const adapter = {
    call: (action, params) => client.request(action, params, { method, timeout: 10000 }),
    errorOf: (e) => (e && typeof e.code === 'string' && e.data && e.entry
      ? {
        type: e.name,
        code: e.code,
        status: e.entry.response && e.entry.response.statusCode,
        requestId: e.data.RequestId,
      }
      : null),
  };
  const meta = {
    client: `@alicloud/pop-core (${method})`,
    version,
    language: 'Node.js',
    signing: 'v1',
    method: method === 'GET' ? 'GET, query' : 'POST, form body (signature included)',
  };
  const failed = await run(adapter, meta, resultFile);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(`driver error: ${String((e && e.name) || e)}`);
  process.exit(2);
});
