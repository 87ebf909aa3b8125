// An emulator outage with the real SDK connected: the socket drops (close 1001), the SDK reconnects
// on its own once the emulator is back, re-watches its channels (recoverState) and events flow again.
//
//   STREAM_URL=... STREAM_KEY=... STREAM_SECRET=... node tests/js/outage.mjs
//
// Prints `PAUSE outage` when connected and watching; the driver (tests/js/test_outage.py) stops and
// restarts the emulator, then answers `CONTINUE outage` on stdin. Prints one JSON line at the end.

import assert from 'node:assert/strict';

import { main, nextEvent, pause } from './lib.mjs';

export const scenarios = {
  async reconnects_after_outage(ctx) {
    const alice = ctx.userId('alice');
    const bob = ctx.userId('bob');
    await ctx.upsertUsers(alice, bob);
    const channelId = await ctx.createChannel('dm', [alice, bob]);
    const [aliceClient, connected] = await ctx.connect(alice);
    const channel = aliceClient.channel('messaging', channelId);
    await channel.watch();
    const { message: before } = await channel.sendMessage({ text: 'before the outage' });

    // (The SDK reports connection.changed {online:false} only after 5 s offline; a quick restart
    // never gets that far, so watch the socket itself.)
    const closed = new Promise((resolve) => aliceClient.wsConnection.ws.once('close', resolve));
    const recovered = nextEvent(aliceClient, 'connection.recovered', { timeoutMs: 30000, label: 'recovered' });
    await pause('outage');
    ctx.observe('close_code', await closed);
    await recovered;
    ctx.observe('connection_id_changed', aliceClient._getConnectionID() !== connected.connection_id);
    ctx.observe('healthy', aliceClient.wsConnection.isHealthy);

    // Events reach the recovered connection, and REST calls carry its new connection_id.
    const arrived = nextEvent(channel, 'message.new', {
      predicate: (event) => event.user?.id === bob,
      label: 'message after the outage',
    });
    await ctx.server.channel('messaging', channelId).sendMessage({ text: 'after the outage', user_id: bob });
    ctx.observe('after_text', (await arrived).message.text);
    const { message: reply } = await channel.sendMessage({ text: 'reply after the outage' });
    const history = (await channel.query({ messages: { limit: 10 } })).messages.map((m) => m.text);
    ctx.observe('history', history);
    ctx.observe('ids', { before: before.id, reply: reply.id });
    assert.deepEqual(history, ['before the outage', 'after the outage', 'reply after the outage']);
  },
};

if (import.meta.url === `file://${process.argv[1]}`) {
  main(scenarios, { timeoutMs: 60000 });
}
