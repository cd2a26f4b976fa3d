// The client-compatibility scenario for the Node.js clients: the same steps as the Python and
// Rust drivers, written once against a small adapter so that each client keeps its own calls,
// encoding and error type:
//
//   adapter.call(action, params) -> the decoded answer (JSON object), or throws the client's error
//   adapter.errorOf(thrown)      -> { type, code, status, requestId } of a client error, or null
//
// `run(adapter, meta, resultFile)` prints `PASS step` / `FAIL step: reason`, then
// `N passed, N failed`, writes the steps and `meta` to resultFile and returns the failure count.
// The scenario uses the emulator's built-in world only (cn-hangzhou, 192.168.0.0/24) under the
// `current` contract (IPv4 prefixes: aligned /28 blocks holding no reserved address).
'use strict';

const fs = require('fs');

const VSWITCH = 'vsw-bp1main00000000000001';
const SECURITY_GROUP = 'sg-bp1default00000000001';
const INSTANCE_PRIMARY = '192.168.0.200'; // the running instance's primary address: in use
const UNKNOWN_ENI = 'eni-bp1doesnotexist000001';
const DELETE_TIMEOUT_MS = 20000;

// The usable addresses of 192.168.0.0/24: not the first nor the last three.
const USABLE = Array.from({ length: 252 }, (_, i) => `192.168.0.${i + 1}`);
// The aligned /28 blocks of 192.168.0.0/24 holding no reserved address: .16/28 to .224/28.
const BLOCKS = Array.from({ length: 14 }, (_, i) => (i + 1) * 16);
const blockOf = (prefix) => {
  const m = /^192\.168\.0\.(\d+)\/28$/.exec(prefix);
  return m && BLOCKS.includes(Number(m[1])) ? Number(m[1]) : null;
};
const lastOctet = (ip) => Number(ip.split('.')[3]);

function list(value, key) {
  // JSON answers nest lists as { Key: [ ... ] }; an absent list is empty.
  if (!value || typeof value !== 'object') return [];
  const inner = value[key];
  return Array.isArray(inner) ? inner : [];
}

function field(object, ...path) {
  let at = object;
  for (const key of path) {
    if (!at || typeof at !== 'object' || !(key in at)) {
      throw new Error(`answer has no ${path.join('.')}`);
    }
    at = at[key];
  }
  return at;
}

function held(eni) {
  return list(eni.PrivateIpSets, 'PrivateIpSet').map((s) => [s.PrivateIpAddress, s.Primary === true]);
}

function prefixesOf(eni) {
  return list(eni.Ipv4PrefixSets, 'Ipv4PrefixSet').map((s) => s.Ipv4Prefix);
}

async function run(adapter, meta, resultFile) {
  const state = { secondaries: [], prefixes: [] };
  const call = (action, params) => adapter.call(action, Object.assign({ RegionId: 'cn-hangzhou' }, params));

  async function enis(params) {
    const answer = await call('DescribeNetworkInterfaces', params);
    return list(field(answer, 'NetworkInterfaceSets'), 'NetworkInterfaceSet');
  }

  async function freeAddresses(n) {
    const used = new Set();
    for (const eni of await enis({ VSwitchId: VSWITCH, MaxResults: 500 })) {
      for (const [ip] of held(eni)) used.add(ip);
    }
    const free = USABLE.filter((ip) => !used.has(ip));
    if (free.length < n) throw new Error(`only ${free.length} free addresses`);
    return free.slice(-n);
  }

  async function freeBlock() {
    // A block is free when no address and no prefix of any ENI in the VSwitch lies inside it.
    const taken = new Set();
    for (const eni of await enis({ VSwitchId: VSWITCH, MaxResults: 500 })) {
      for (const [ip] of held(eni)) taken.add(lastOctet(ip) & ~15);
      for (const prefix of prefixesOf(eni)) taken.add(blockOf(prefix));
    }
    const free = BLOCKS.filter((b) => !taken.has(b));
    if (free.length === 0) throw new Error('no free aligned /28 block');
    return `192.168.0.${free[free.length - 1]}/28`;
  }

  function assignedPrefixes(answer) {
    return list(field(answer, 'AssignedPrivateIpAddressesSet', 'Ipv4PrefixSet'), 'Ipv4Prefixes');
  }

  function assigned(answer) {
    return list(field(answer, 'AssignedPrivateIpAddressesSet', 'PrivateIpSet'), 'PrivateIpAddress');
  }

  function expectHeld(eni, what) {
    const ips = held(eni);
    const primaries = ips.filter(([, p]) => p).map(([ip]) => ip);
    const secondaries = ips.filter(([, p]) => !p).map(([ip]) => ip).sort();
    if (JSON.stringify(primaries) !== JSON.stringify([state.primary])) {
      throw new Error(`${what}: primaries ${JSON.stringify(primaries)}, expected ${state.primary}`);
    }
    if (JSON.stringify(secondaries) !== JSON.stringify([...state.secondaries].sort())) {
      throw new Error(`${what} shows ${JSON.stringify(secondaries)}, expected ${JSON.stringify(state.secondaries)}`);
    }
    const prefixes = prefixesOf(eni).sort();
    if (JSON.stringify(prefixes) !== JSON.stringify([...state.prefixes].sort())) {
      throw new Error(`${what} shows prefixes ${JSON.stringify(prefixes)}, expected ${JSON.stringify(state.prefixes)}`);
    }
  }

  async function expectError(code, status, action, params) {
    let thrown;
    try {
      await call(action, params);
    } catch (e) {
      thrown = e;
    }
    if (thrown === undefined) throw new Error(`expected ${code} (HTTP ${status}), the call succeeded`);
    const error = adapter.errorOf(thrown);
    if (!error) throw new Error(`expected the client's error type, got ${thrown && thrown.name}`);
    if (error.code !== code || error.status !== status) {
      throw new Error(`expected ${code} (HTTP ${status}), got ${error.code} (HTTP ${error.status})`);
    }
    if (!error.requestId) throw new Error(`the ${code} error carries no RequestId`);
    return `${error.type} (${code}, HTTP ${status})`;
  }

  const steps = [
    ['create', async () => {
      const answer = await call('CreateNetworkInterface', {
        VSwitchId: VSWITCH, SecurityGroupId: SECURITY_GROUP, NetworkInterfaceName: meta.client,
      });
      state.eni = field(answer, 'NetworkInterfaceId');
      state.primary = field(answer, 'PrivateIpAddress');
    }],
    ['assign-by-address', async () => {
      const wanted = await freeAddresses(2);
      const got = assigned(await call('AssignPrivateIpAddresses', {
        NetworkInterfaceId: state.eni, PrivateIpAddress: wanted,
      }));
      if (JSON.stringify(got) !== JSON.stringify(wanted)) {
        throw new Error(`assigned ${JSON.stringify(got)}, asked for ${JSON.stringify(wanted)}`);
      }
      state.secondaries.push(...got);
    }],
    ['assign-by-count', async () => {
      const got = assigned(await call('AssignPrivateIpAddresses', {
        NetworkInterfaceId: state.eni, SecondaryPrivateIpAddressCount: 2,
      }));
      const before = new Set([state.primary, ...state.secondaries]);
      if (got.length !== 2 || new Set(got).size !== 2 || got.some((ip) => !USABLE.includes(ip) || before.has(ip))) {
        throw new Error(`count 2 gave ${JSON.stringify(got)}`);
      }
      state.secondaries.push(...got);
    }],
    ['assign-by-prefix', async () => {
      const wanted = await freeBlock();
      const got = assignedPrefixes(await call('AssignPrivateIpAddresses', {
        NetworkInterfaceId: state.eni, Ipv4Prefix: [wanted],
      }));
      if (JSON.stringify(got) !== JSON.stringify([wanted])) {
        throw new Error(`assigned prefixes ${JSON.stringify(got)}, asked for ${wanted}`);
      }
      state.prefixes.push(...got);
    }],
    ['assign-by-prefix-count', async () => {
      const got = assignedPrefixes(await call('AssignPrivateIpAddresses', {
        NetworkInterfaceId: state.eni, Ipv4PrefixCount: 1,
      }));
      const heldBlocks = new Set([state.primary, ...state.secondaries].map((ip) => lastOctet(ip) & ~15));
      state.prefixes.forEach((p) => heldBlocks.add(blockOf(p)));
      if (got.length !== 1 || blockOf(got[0]) === null || heldBlocks.has(blockOf(got[0]))) {
        throw new Error(`prefix count 1 gave ${JSON.stringify(got)}`);
      }
      state.prefixes.push(...got);
    }],
    ['describe', async () => {
      const found = await enis({ NetworkInterfaceId: [state.eni] });
      if (found.length !== 1 || found[0].NetworkInterfaceId !== state.eni) {
        throw new Error(`DescribeNetworkInterfaces listed ${found.length} ENIs`);
      }
      expectHeld(found[0], 'DescribeNetworkInterfaces');
    }],
    ['describe-attribute', async () => {
      const answer = await call('DescribeNetworkInterfaceAttribute', { NetworkInterfaceId: state.eni });
      expectHeld(answer, 'DescribeNetworkInterfaceAttribute');
    }],
    ['error-eni-not-found', () => expectError('InvalidEniId.NotFound', 404, 'AssignPrivateIpAddresses',
      { NetworkInterfaceId: UNKNOWN_ENI, SecondaryPrivateIpAddressCount: 1 })],
    ['error-ip-in-use', () => expectError('InvalidIp.IpAssigned', 403, 'AssignPrivateIpAddresses',
      { NetworkInterfaceId: state.eni, PrivateIpAddress: [INSTANCE_PRIMARY] })],
    ['error-ip-outside-cidr', () => expectError('InvalidVSwitchId.IpInvalid', 403, 'AssignPrivateIpAddresses',
      { NetworkInterfaceId: state.eni, PrivateIpAddress: ['10.99.0.5'] })],
    ['unassign', async () => {
      await call('UnassignPrivateIpAddresses', { NetworkInterfaceId: state.eni, PrivateIpAddress: state.secondaries });
      state.secondaries = [];
      const found = await enis({ NetworkInterfaceId: [state.eni] });
      expectHeld(found[0], 'DescribeNetworkInterfaces after unassign');
    }],
    ['unassign-prefixes', async () => {
      await call('UnassignPrivateIpAddresses', { NetworkInterfaceId: state.eni, Ipv4Prefix: state.prefixes });
      state.prefixes = [];
      const answer = await call('DescribeNetworkInterfaceAttribute', { NetworkInterfaceId: state.eni });
      expectHeld(answer, 'DescribeNetworkInterfaceAttribute after unassigning the prefixes');
    }],
    ['delete', async () => {
      await call('DeleteNetworkInterface', { NetworkInterfaceId: state.eni });
      const deadline = Date.now() + DELETE_TIMEOUT_MS;
      for (;;) {
        const found = await enis({ NetworkInterfaceId: [state.eni] });
        if (found.length === 0) return;
        if (found[0].Status !== 'Deleting') throw new Error(`deleted ENI listed as ${found[0].Status}`);
        if (Date.now() > deadline) throw new Error('ENI still listed after delete');
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }],
  ];

  const results = [];
  let failed = 0;
  for (const [name, step] of steps) {
    try {
      const detail = (await step()) || '';
      results.push({ step: name, ok: true, detail });
      console.log(`PASS ${name}${detail ? ` — ${detail}` : ''}`);
    } catch (e) {
      failed += 1;
      // A client error is shown by its code and status only: pop-core's message quotes the
      // request URL, signature and AccessKeyId included.
      const error = adapter.errorOf(e);
      const reason = error
        ? `unexpected ${error.type} ${error.code} (HTTP ${error.status})`
        : String((e && e.message) || e).split('\n')[0].slice(0, 300);
      results.push({ step: name, ok: false, detail: reason });
      console.log(`FAIL ${name}: ${reason}`);
    }
  }
  fs.writeFileSync(resultFile, `${JSON.stringify(Object.assign({}, meta, { steps: results }), null, 1)}\n`);
  console.log(`${results.length - failed} passed, ${failed} failed`);
  return failed;
}

module.exports = { run };
