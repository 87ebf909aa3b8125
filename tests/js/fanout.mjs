// Fan-out: many WebSocket connections watch one channel; every message must reach every connection
// exactly once and in the channel's order.
//
//   STREAM_URL=... STREAM_KEY=... STREAM_SECRET=... node tests/js/fanout.mjs
//
// Knobs (environment): FANOUT_CONNECTIONS (200), FANOUT_USERS (50, connections are spread over them),
// FANOUT_SDK_CLIENTS (20: how many connections are real `stream-chat` clients; the rest speak the same
// wire protocol through the `ws` package: /connect, first-frame health.check, REST watch with
// connection_id; an SDK client costs ~15x more CPU per event, and the machine has 2 shared cores),
// FANOUT_MESSAGES (1000), FANOUT_IN_FLIGHT (8 concurrent sends), FANOUT_TIMEOUT_MS (90000).
// The order every connection must see is the channel's own history (read back at the end), which
// must hold every message sent. Prints one JSON line with per-phase timings and the delivery summary;
// exit status 1 on any failure.

import WebSocket from 'ws';

import { clientOptions, config, describeError, serverClient, StreamChat, uniqueSuffix } from './lib.mjs';

const knob = (name, fallback) => Number.parseInt(process.env[name] ?? `${fallback}`, 10);

const CONNECTIONS = knob('FANOUT_CONNECTIONS', 200);
const USERS = Math.min(knob('FANOUT_USERS', 50), CONNECTIONS);
const SDK_CLIENTS = Math.min(knob('FANOUT_SDK_CLIENTS', 20), CONNECTIONS);
const MESSAGES = knob('FANOUT_MESSAGES', 1000);
const IN_FLIGHT = Math.max(1, knob('FANOUT_IN_FLIGHT', 8));
const TIMEOUT_MS = knob('FANOUT_TIMEOUT_MS', 90000);
const SETUP_CONCURRENCY = 10;

/** What one connection received, in arrival order. */
class Inbox {
  constructor(kind, userId) {
    this.kind = kind;
    this.userId = userId;
    this.ids = [];
    this.onDone = null;
  }

  add(messageId) {
    this.ids.push(messageId);
    if (this.ids.length >= MESSAGES && this.onDone) this.onDone();
  }

  done() {
    return new Promise((resolve) => {
      this.onDone = resolve;
      if (this.ids.length >= MESSAGES) resolve();
    });
  }
}

/** A real SDK client: connectUser + channel.watch(); message.new arrives through the SDK's dispatch. */
async function sdkConnection(cfg, userId, token, channelId) {
  const client = new StreamChat(cfg.key, clientOptions(cfg));
  await client.connectUser({ id: userId }, token);
  const channel = client.channel('messaging', channelId);
  await channel.watch();
  const inbox = new Inbox('sdk', userId);
  channel.on('message.new', (event) => inbox.add(event.message.id));
  // What the UI renders: the SDK's own message list must end up as the channel history too.
  inbox.stateIds = () => channel.state.latestMessages.map((message) => message.id);
  return { inbox, close: () => client.disconnectUser(500) };
}

/** A bare-protocol client: the same /connect URL and first-frame handshake the SDK uses, then a REST watch. */
async function rawConnection(cfg, userId, token, channelId) {
  const wsBase = cfg.url.replace(/^http/, 'ws');
  const params = new URLSearchParams({
    json: JSON.stringify({ user_id: userId, user_details: { id: userId }, client_request_id: uniqueSuffix() }),
    api_key: cfg.key,
    authorization: token,
    'stream-auth-type': 'jwt',
    'X-Stream-Client': 'django-streaminbox-fanout-raw',
  });
  // No permessage-deflate offer (the SDK's `ws` offers it): inflating 1,000 frames on each of ~200 sockets
  // would dominate the run, and a client without compression is just as valid a client.
  const socket = new WebSocket(`${wsBase}/connect?${params}`, { perMessageDeflate: false });
  const inbox = new Inbox('raw', userId);
  const connectionId = await new Promise((resolve, reject) => {
    let first = true;
    socket.on('error', reject);
    socket.on('close', (code) => first && reject(new Error(`closed (${code}) before the first frame`)));
    socket.on('message', (data) => {
      const event = JSON.parse(data.toString());
      if (first) {
        first = false;
        if (event.error) reject(new Error(`connect rejected: ${JSON.stringify(event.error)}`));
        else resolve(event.connection_id);
        return;
      }
      if (event.type === 'message.new' && event.channel_id === channelId) inbox.add(event.message.id);
    });
  });
  const query = new URLSearchParams({ api_key: cfg.key, user_id: userId, connection_id: connectionId });
  const response = await fetch(`${cfg.url}/channels/messaging/${encodeURIComponent(channelId)}/query?${query}`, {
    method: 'POST',
    headers: { Authorization: token, 'stream-auth-type': 'jwt', 'Content-Type': 'application/json' },
    body: JSON.stringify({ state: true, watch: true, presence: false }),
  });
  if (!response.ok) throw new Error(`watch failed: HTTP ${response.status} ${await response.text()}`);
  await response.json();
  return { inbox, close: async () => socket.close(1000) };
}

/** Run `task(i)` for i in [0, count) with at most `limit` in flight (bounded, so setup never stampedes). */
async function inBatches(count, limit, task) {
  const results = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  return results;
}

/** Compare what a connection got with the channel's order: counts of missing, duplicate, out-of-order ids. */
function check(inbox, expected) {
  const position = new Map(expected.map((id, index) => [id, index]));
  const seen = new Set();
  let duplicates = 0;
  let outOfOrder = 0;
  let unexpected = 0;
  let last = -1;
  for (const id of inbox.ids) {
    if (!position.has(id)) {
      unexpected += 1;
      continue;
    }
    if (seen.has(id)) duplicates += 1;
    seen.add(id);
    const at = position.get(id);
    if (at < last) outOfOrder += 1;
    last = Math.max(last, at);
  }
  const stateMatches = inbox.stateIds ? JSON.stringify(inbox.stateIds()) === JSON.stringify(expected) : null;
  return {
    kind: inbox.kind,
    user_id: inbox.userId,
    received: inbox.ids.length,
    missing: expected.length - seen.size,
    duplicates,
    out_of_order: outOfOrder,
    unexpected,
    state_matches_history: stateMatches,
  };
}

async function run() {
  const cfg = config();
  const server = serverClient(cfg);
  const suffix = uniqueSuffix();
  const userIds = Array.from({ length: USERS }, (_, i) => `fan${i}-${suffix}`);
  const sender = `sender-${suffix}`;
  const channelId = `fanout-${suffix}`;
  const timings = {};
  let mark = Date.now();
  const lap = (name) => {
    const now = Date.now();
    timings[name] = now - mark;
    mark = now;
  };

  for (let i = 0; i < userIds.length; i += 100) {
    await server.upsertUsers(userIds.slice(i, i + 100).map((id) => ({ id })));
  }
  await server.upsertUser({ id: sender, name: 'Sender' });
  const members = [sender, ...userIds];
  const channel = server.channel('messaging', channelId, { members: members.slice(0, 100), created_by_id: sender });
  await channel.create();
  for (let i = 100; i < members.length; i += 100) {
    await channel.addMembers(members.slice(i, i + 100));
  }
  lap('setup_users_and_channel_ms');

  const connections = await inBatches(CONNECTIONS, SETUP_CONCURRENCY, (i) => {
    const userId = userIds[i % USERS];
    const token = server.createToken(userId);
    const open = i < SDK_CLIENTS ? sdkConnection : rawConnection;
    return open(cfg, userId, token, channelId);
  });
  lap('connect_and_watch_ms');

  const allDelivered = Promise.all(connections.map((connection) => connection.inbox.done()));
  const sendStarted = Date.now();
  const sent = await inBatches(MESSAGES, IN_FLIGHT, async (i) => {
    const { message } = await channel.sendMessage({ text: `fan-out ${i}`, user_id: sender });
    return message.id;
  });
  lap('send_ms');

  let timer;
  const timedOut = await Promise.race([
    allDelivered.then(() => false),
    new Promise((resolve) => {
      timer = setTimeout(() => resolve(true), Math.max(0, TIMEOUT_MS - (Date.now() - sendStarted)));
    }),
  ]);
  clearTimeout(timer);
  timings.deliver_after_last_send_ms = Date.now() - mark;
  timings.first_send_to_last_delivery_ms = Date.now() - sendStarted;

  // The channel's own history is the order every connection must have seen.
  const history = [];
  let page = await channel.query({ messages: { limit: 300 } });
  history.unshift(...page.messages.map((message) => message.id));
  for (let guard = 0; page.messages.length === 300 && guard < 10; guard += 1) {
    page = await channel.query({ messages: { limit: 300, id_lt: page.messages[0].id } });
    history.unshift(...page.messages.map((message) => message.id));
  }
  const historyHasEverySend =
    history.length === sent.length && JSON.stringify([...history].sort()) === JSON.stringify([...sent].sort());

  const reports = connections.map((connection) => check(connection.inbox, history));
  const failures = reports.filter(
    (report) =>
      report.missing ||
      report.duplicates ||
      report.out_of_order ||
      report.unexpected ||
      report.state_matches_history === false,
  );
  await Promise.allSettled(connections.map((connection) => connection.close()));

  const totalReceived = reports.reduce((sum, report) => sum + report.received, 0);
  const ok = !timedOut && failures.length === 0 && historyHasEverySend;
  return {
    ok,
    connections: connections.length,
    sdk_clients: reports.filter((report) => report.kind === 'sdk').length,
    raw_clients: reports.filter((report) => report.kind === 'raw').length,
    users: USERS,
    messages: MESSAGES,
    in_flight: IN_FLIGHT,
    timed_out: timedOut,
    history_has_every_send: historyHasEverySend,
    history_length: history.length,
    total_received: totalReceived,
    failing_connections: failures.length,
    failures: failures.slice(0, 5),
    timings,
  };
}

run()
  .then((result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(result.ok ? 0 : 1);
  })
  .catch((error) => {
    process.stdout.write(`${JSON.stringify({ ok: false, error: describeError(error) })}\n`);
    process.exit(2);
  });
