// Heartbeats with the real SDK, on shortened SDK timers (the real ones are 25 s ping, 35 s watchdog):
// the SDK destroys and reconnects a socket that stays silent past its watchdog, so a connection that
// keeps its connection_id through several watchdog periods proves the server keeps it alive.
//
//   STREAM_URL=... STREAM_KEY=... STREAM_SECRET=... node tests/js/heartbeat.mjs <scenario>
//
// Run against an emulator with a 1 s heartbeat interval (push a health.check after 1 s of silence
// from the client):
// client_pings_are_answered: the SDK pings ([{"type":"health.check",...}], a JSON array) every 300 ms,
//   so the server's silence timer never fires: every health.check it gets is an answer to a ping.
// server_heartbeats_keep_a_silent_client_alive: the SDK never pings; the server must push
//   health.check on its own.

import { main, sleep } from './lib.mjs';

/** Connect, shorten the SDK's timers, stay idle for `idleMs` and report what kept the socket alive. */
async function idle(ctx, { pingInterval, watchdog, idleMs }) {
  const user = ctx.userId('idler');
  await ctx.upsertUsers(user);
  const [client, connected] = await ctx.connect(user);
  const connection = client.wsConnection;
  let pings = 0;
  const send = connection.ws.send.bind(connection.ws);
  connection.ws.send = (data, ...rest) => {
    if (JSON.parse(data)?.[0]?.type === 'health.check') pings += 1;
    return send(data, ...rest);
  };
  let healthChecks = 0;
  let recoveries = 0;
  client.on('health.check', () => (healthChecks += 1));
  client.on('connection.recovered', () => (recoveries += 1));
  connection.pingInterval = pingInterval;
  connection.connectionCheckTimeout = watchdog;
  connection.scheduleNextPing();
  connection.scheduleConnectionCheck();
  await sleep(idleMs);
  ctx.observe('pings_sent', pings);
  ctx.observe('health_checks_received', healthChecks);
  ctx.observe('recoveries', recoveries);
  ctx.observe('same_connection', client._getConnectionID() === connected.connection_id);
  ctx.observe('healthy', connection.isHealthy);
}

export const scenarios = {
  async client_pings_are_answered(ctx) {
    await idle(ctx, { pingInterval: 300, watchdog: 1200, idleMs: 4000 });
  },
  async server_heartbeats_keep_a_silent_client_alive(ctx) {
    await idle(ctx, { pingInterval: 3600 * 1000, watchdog: 2500, idleMs: 6000 });
  },
};

if (import.meta.url === `file://${process.argv[1]}`) {
  main(scenarios, { timeoutMs: 20000 });
}
