// Shared helpers for the Node scenarios that drive the real `stream-chat` JS SDK against the emulator.
//
// The emulator's address and credentials come from the environment (STREAM_URL, STREAM_KEY,
// STREAM_SECRET), never from this file, so the same scripts run against any emulator instance.
// Every scenario reports what the SDK observed; the pytest side asserts on it.

import { randomUUID } from 'node:crypto';
import { StreamChat } from 'stream-chat';

export { StreamChat };

/** Read the emulator's address and credentials from the environment; fail loudly if any is missing. */
export function config() {
  const missing = ['STREAM_URL', 'STREAM_KEY', 'STREAM_SECRET'].filter((name) => !process.env[name]);
  if (missing.length) {
    throw new Error(`missing environment variable(s): ${missing.join(', ')}`);
  }
  return {
    url: process.env.STREAM_URL,
    key: process.env.STREAM_KEY,
    secret: process.env.STREAM_SECRET,
  };
}

/** Options every client gets: the emulator as base URL, nothing that phones home. */
export function clientOptions(cfg) {
  return {
    baseURL: cfg.url,
    timeout: 10000,
    allowServerSideConnect: true, // we are Node on purpose; silences the "connectUser server side" warning
    enableInsights: false,
    warmUp: false,
    enableWSFallback: false,
    recoverStateOnReconnect: true,
  };
}

/** A server-side client (signs requests with the secret), for setup: upserting users, creating channels. */
export function serverClient(cfg) {
  return new StreamChat(cfg.key, cfg.secret, clientOptions(cfg));
}

/** Unix seconds, the unit of a JWT `exp`. */
export const nowSeconds = () => Math.floor(Date.now() / 1000);

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A short unique suffix, so scenarios sharing one emulator never see each other's users or channels. */
export const uniqueSuffix = () => randomUUID().slice(0, 8);

/**
 * Resolve with the first event of `type` (matching `predicate`) that `emitter` (a client or a channel)
 * receives, or reject after `timeoutMs` with a message saying what never arrived.
 * Start waiting *before* triggering the action, so a fast event is never missed.
 */
export function nextEvent(emitter, type, { predicate = () => true, timeoutMs = 5000, label = '' } = {}) {
  return new Promise((resolve, reject) => {
    let subscription;
    const timer = setTimeout(() => {
      subscription?.unsubscribe();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${type}${label ? ` (${label})` : ''}`));
    }, timeoutMs);
    subscription = emitter.on(type, (event) => {
      if (!predicate(event)) return;
      clearTimeout(timer);
      subscription.unsubscribe();
      resolve(event);
    });
  });
}

/**
 * Per-scenario context: a server client, unique ids, user clients that are disconnected at the end,
 * and an `observed` record that is printed for pytest to assert on.
 */
export class ScenarioContext {
  constructor(cfg, name) {
    this.cfg = cfg;
    this.name = name;
    this.suffix = uniqueSuffix();
    this.server = serverClient(cfg);
    this.clients = [];
    this.observed = {};
  }

  /** A user id unique to this scenario run: `alice` becomes `alice-<scenario>-<suffix>`. */
  userId(base) {
    return `${base}-${this.name.replace(/_/g, '-')}-${this.suffix}`;
  }

  /** A channel id unique to this scenario run. */
  channelId(base) {
    return `${base}-${this.suffix}`;
  }

  observe(key, value) {
    this.observed[key] = value;
    return value;
  }

  /** Upsert users through the server-side API, as the Django app would. */
  async upsertUsers(...ids) {
    await this.server.upsertUsers(ids.map((id) => ({ id, name: id.split('-')[0] })));
  }

  /** Create a channel server-side with the given members (the first is the creator). */
  async createChannel(base, members, extra = {}) {
    const id = this.channelId(base);
    const channel = this.server.channel('messaging', id, {
      members,
      created_by_id: members[0],
      ...extra,
    });
    await channel.create();
    return id;
  }

  /** A user token signed with the emulator's secret (what the Django token view returns). */
  token(userId, exp) {
    return this.server.createToken(userId, exp);
  }

  /** A fresh client instance (several per process, hence `new`, not `getInstance`). */
  newClient() {
    const client = new StreamChat(this.cfg.key, clientOptions(this.cfg));
    this.clients.push(client);
    return client;
  }

  /** Connect `userId` with a static token (or the given token / provider) and return [client, connectEvent]. */
  async connect(userId, tokenOrProvider) {
    const client = this.newClient();
    const connected = await client.connectUser(
      { id: userId, name: userId.split('-')[0] },
      tokenOrProvider ?? this.token(userId),
    );
    return [client, connected];
  }

  async close() {
    await Promise.allSettled(this.clients.map((client) => client.disconnectUser(500)));
  }
}

let stdinLines;

/**
 * Hand control to the pytest side: print `PAUSE <name>` and resolve when stdin answers `CONTINUE <name>`
 * (used to stop and restart the emulator while the SDK is connected). See node.py's `pauses`.
 */
export async function pause(name) {
  if (!stdinLines) {
    const { createInterface } = await import('node:readline');
    stdinLines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  }
  process.stdout.write(`PAUSE ${name}\n`);
  for (;;) {
    const { value, done } = await stdinLines.next();
    if (done) throw new Error(`stdin closed while paused at ${name}`);
    if (value.trim() === `CONTINUE ${name}`) return;
  }
}

/** Turn a thrown value into something JSON can carry, keeping AssertionError's actual/expected. */
export function describeError(error) {
  if (!(error instanceof Error)) return { message: String(error) };
  const described = { name: error.name, message: error.message };
  if ('actual' in error) described.actual = error.actual;
  if ('expected' in error) described.expected = error.expected;
  if (error.stack) described.stack = error.stack.split('\n').slice(1, 6).map((line) => line.trim());
  return described;
}

/**
 * Run the named scenarios concurrently (each on its own users and channels), print one JSON line
 * `{"ok": bool, "scenarios": {name: {ok, ms, observed, error}}}` and exit 1 if any failed.
 */
export async function runScenarios(all, names, { timeoutMs = 30000 } = {}) {
  const cfg = config();
  const selected = names.length ? names : Object.keys(all);
  const unknown = selected.filter((name) => !(name in all));
  if (unknown.length) throw new Error(`unknown scenario(s): ${unknown.join(', ')}`);

  const results = {};
  await Promise.all(
    selected.map(async (name) => {
      const ctx = new ScenarioContext(cfg, name);
      const started = Date.now();
      let timer;
      try {
        await Promise.race([
          all[name](ctx),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`scenario timed out after ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        results[name] = { ok: true, ms: Date.now() - started, observed: ctx.observed, error: null };
      } catch (error) {
        results[name] = { ok: false, ms: Date.now() - started, observed: ctx.observed, error: describeError(error) };
      } finally {
        clearTimeout(timer);
        await ctx.close();
      }
    }),
  );
  const ok = Object.values(results).every((result) => result.ok);
  process.stdout.write(`${JSON.stringify({ ok, scenarios: results })}\n`);
  return ok;
}

/** Entry point helper: run, then exit with the right status even if the SDK left timers behind. */
export function main(all, { timeoutMs } = {}) {
  runScenarios(all, process.argv.slice(2), { timeoutMs })
    .then((ok) => process.exit(ok ? 0 : 1))
    .catch((error) => {
      process.stdout.write(`${JSON.stringify({ ok: false, error: describeError(error), scenarios: {} })}\n`);
      process.exit(2);
    });
}
