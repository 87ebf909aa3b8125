// Scenarios that prove the emulator against the real `stream-chat` JS SDK (Node).
//
//   STREAM_URL=http://127.0.0.1:PORT STREAM_KEY=... STREAM_SECRET=... node tests/js/sdk_scenarios.mjs [name ...]
//
// Runs the named scenarios (all by default) concurrently, each on its own users and channels, and prints
// one JSON line: {"ok": bool, "scenarios": {name: {ok, ms, observed, error}}}. Exit status 1 if any failed.
// Each scenario asserts what a user of the SDK relies on and records what the SDK observed, so that the
// pytest side (tests/js/test_sdk_scenarios.py) can assert on it with readable failures.

import assert from 'node:assert/strict';

import { clientOptions, main, nextEvent, nowSeconds, sleep, StreamChat } from './lib.mjs';

const channelIds = (channels) => channels.map((channel) => channel.id);

/** Sleep until the emulator (same clock) must consider a token with this `exp` expired. */
async function waitPastExpiry(exp) {
  const msLeft = (exp + 1) * 1000 - Date.now();
  if (msLeft > 0) await sleep(msLeft);
}

/** Parse the JSON that `connectUser` puts in its rejection's message (`js:connection.ts`). */
function parseConnectError(error) {
  try {
    return JSON.parse(error.message);
  } catch {
    return { unparsed: error.message };
  }
}

export const scenarios = {
  /** 1. Alice sends; Bob, watching, gets message.new and his unread count rises. */
  async message_new_reaches_watcher(ctx) {
    const alice = ctx.userId('alice');
    const bob = ctx.userId('bob');
    await ctx.upsertUsers(alice, bob);
    const channelId = await ctx.createChannel('dm', [alice, bob]);

    const [aliceClient] = await ctx.connect(alice);
    const [bobClient, bobConnected] = await ctx.connect(bob);
    ctx.observe('bob_me_total_unread_before', bobConnected.me?.total_unread_count);
    ctx.observe('bob_me_online', bobConnected.me?.online);

    const aliceChannel = aliceClient.channel('messaging', channelId);
    const bobChannel = bobClient.channel('messaging', channelId);
    await aliceChannel.watch();
    await bobChannel.watch();
    ctx.observe('bob_unread_before', bobChannel.countUnread());

    const bobEventTypes = [];
    bobClient.on((event) => bobEventTypes.push(event.type));
    const bobGets = nextEvent(bobChannel, 'message.new', { label: 'bob' });
    const aliceGets = nextEvent(aliceChannel, 'message.new', { label: "alice's own echo" });

    const { message } = await aliceChannel.sendMessage({ text: 'hello bob' });
    const event = await bobGets;
    ctx.observe('event', {
      type: event.type,
      cid: event.cid,
      channel_id: event.channel_id,
      channel_type: event.channel_type,
      message_id: event.message?.id,
      message_text: event.message?.text,
      user_id: event.user?.id,
      total_unread_count: event.total_unread_count,
      unread_channels: event.unread_channels,
    });
    ctx.observe('sent_message_id', message.id);
    ctx.observe('channel_cid', bobChannel.cid);
    ctx.observe('bob_unread_after', bobChannel.countUnread());
    ctx.observe('bob_latest_text', bobChannel.state.latestMessages.at(-1)?.text);

    await aliceGets; // the sender's own watching connection gets message.new too (state comes from events)
    ctx.observe('alice_latest_text', aliceChannel.state.latestMessages.at(-1)?.text);
    ctx.observe('alice_unread_after', aliceChannel.countUnread());
    ctx.observe('bob_event_types', bobEventTypes);

    assert.equal(event.message.id, message.id);
    assert.equal(bobChannel.countUnread(), 1, "bob's channel.countUnread() after one message from alice");
    assert.equal(event.total_unread_count, 1, "message.new carries bob's new total_unread_count");
    assert.equal(aliceChannel.countUnread(), 0, 'own messages never count as unread');
  },

  /** 2. Bob marks read, Alice gets message.read; Bob's unread survives a reconnect, then is 0 after reading. */
  async mark_read_and_reconnect(ctx) {
    const alice = ctx.userId('alice');
    const bob = ctx.userId('bob');
    await ctx.upsertUsers(alice, bob);
    const channelId = await ctx.createChannel('dm', [alice, bob]);
    const cid = `messaging:${channelId}`;

    const [aliceClient] = await ctx.connect(alice);
    const aliceChannel = aliceClient.channel('messaging', channelId);
    await aliceChannel.watch();
    await aliceChannel.sendMessage({ text: 'one' });
    const { message: last } = await aliceChannel.sendMessage({ text: 'two' });

    /** Connect Bob afresh and load his channel the way an inbox does (queryChannels). */
    const bobSession = async (label) => {
      const [client, connected] = await ctx.connect(bob);
      const [channel] = await client.queryChannels({ cid: { $in: [cid] } }, [{ last_message_at: -1 }], {
        watch: true,
      });
      assert.ok(channel, `${label}: queryChannels found the channel`);
      const ownRead = channel.state.read[bob];
      ctx.observe(label, {
        me_total_unread_count: connected.me?.total_unread_count,
        me_unread_channels: connected.me?.unread_channels,
        count_unread: channel.countUnread(),
        read_unread_messages: ownRead?.unread_messages,
        read_last_read_message_id: ownRead?.last_read_message_id ?? null,
      });
      return [client, channel];
    };

    const [bobClient, bobChannel] = await bobSession('bob_before_read');
    assert.equal(bobChannel.countUnread(), 2, 'two unread messages after (re)connecting');

    const aliceSeesRead = nextEvent(aliceChannel, 'message.read', {
      predicate: (event) => event.user?.id === bob,
      label: "alice sees bob's read",
    });
    const bobNotified = nextEvent(bobClient, 'notification.mark_read', { label: 'bob' });
    await bobChannel.markRead();
    const read = await aliceSeesRead;
    const notification = await bobNotified;
    ctx.observe('message_read', {
      cid: read.cid,
      user_id: read.user?.id,
      last_read_message_id: read.last_read_message_id,
    });
    ctx.observe('notification_mark_read', {
      total_unread_count: notification.total_unread_count,
      unread_channels: notification.unread_channels,
    });
    ctx.observe('alice_view_of_bob_read', {
      unread_messages: aliceChannel.state.read[bob]?.unread_messages,
      last_read_message_id: aliceChannel.state.read[bob]?.last_read_message_id,
    });
    ctx.observe('bob_unread_after_mark_read', bobChannel.countUnread());
    ctx.observe('last_message_id', last.id);

    await bobClient.disconnectUser();
    const [, bobChannelAgain] = await bobSession('bob_after_reconnect');
    assert.equal(bobChannelAgain.countUnread(), 0, 'no unread after marking read and reconnecting');
  },

  /** 3. keystroke()/stopTyping() reach the other watcher as typing.start / typing.stop. */
  async typing_events(ctx) {
    const alice = ctx.userId('alice');
    const bob = ctx.userId('bob');
    await ctx.upsertUsers(alice, bob);
    const channelId = await ctx.createChannel('dm', [alice, bob]);
    const [aliceClient] = await ctx.connect(alice);
    const [bobClient] = await ctx.connect(bob);
    const aliceChannel = aliceClient.channel('messaging', channelId);
    const bobChannel = bobClient.channel('messaging', channelId);
    await aliceChannel.watch();
    await bobChannel.watch();

    const fromAlice = { predicate: (event) => event.user?.id === alice };
    let started = nextEvent(bobChannel, 'typing.start', { ...fromAlice, label: 'explicit' });
    await aliceChannel.keystroke();
    const start = await started;
    ctx.observe('typing_start', { cid: start.cid, user_id: start.user?.id, channel_id: start.channel_id });
    ctx.observe('bob_sees_alice_typing', alice in bobChannel.state.typing);

    let stopped = nextEvent(bobChannel, 'typing.stop', { ...fromAlice, label: 'explicit stopTyping' });
    await aliceChannel.stopTyping();
    const stop = await stopped;
    ctx.observe('typing_stop', { cid: stop.cid, user_id: stop.user?.id });
    ctx.observe('bob_sees_alice_typing_after_stop', alice in bobChannel.state.typing);

    // Without stopTyping(): the SDK's own cleanup timer sends typing.stop about 1 s after the last keystroke.
    started = nextEvent(bobChannel, 'typing.start', { ...fromAlice, label: 'second keystroke' });
    stopped = nextEvent(bobChannel, 'typing.stop', { ...fromAlice, timeoutMs: 5000, label: 'automatic stop' });
    const typedAt = Date.now();
    await aliceChannel.keystroke();
    await started;
    const automatic = await stopped;
    // A server event carries created_at and channel_id; the SDK's local 7 s prune dispatches neither.
    ctx.observe('automatic_typing_stop', {
      from_server: Boolean(automatic.created_at && automatic.channel_id),
      ms_after_keystroke: Date.now() - typedAt,
    });

    assert.equal(start.user.id, alice);
    assert.equal(stop.user.id, alice);
    assert.equal(alice in bobChannel.state.typing, false);
  },

  /** 4. queryChannels sorted by last_message_at puts the older channel first once it gets a new message. */
  async query_channels_sort(ctx) {
    const alice = ctx.userId('alice');
    const bob = ctx.userId('bob');
    const carol = ctx.userId('carol');
    await ctx.upsertUsers(alice, bob, carol);
    const older = await ctx.createChannel('older', [alice, bob]);
    const newer = await ctx.createChannel('newer', [alice, carol]);
    await ctx.server.channel('messaging', older).sendMessage({ text: 'first', user_id: bob });
    await sleep(20);
    await ctx.server.channel('messaging', newer).sendMessage({ text: 'second', user_id: carol });

    const [aliceClient] = await ctx.connect(alice);
    const filter = { type: 'messaging', members: { $in: [alice] } };
    const newestFirst = [{ last_message_at: -1 }];
    const before = await aliceClient.queryChannels(filter, newestFirst, { watch: true });
    ctx.observe('before', channelIds(before));
    const oldestFirst = await aliceClient.queryChannels(filter, [{ last_message_at: 1 }], { watch: false });
    ctx.observe('before_ascending', channelIds(oldestFirst));

    const arrived = nextEvent(aliceClient, 'message.new', {
      predicate: (event) => event.channel_id === older,
      label: 'new message in the older channel',
    });
    await sleep(20);
    await ctx.server.channel('messaging', older).sendMessage({ text: 'third', user_id: bob });
    await arrived;
    const after = await aliceClient.queryChannels(filter, newestFirst, { watch: true });
    ctx.observe('after', channelIds(after));
    ctx.observe('after_last_message_at', after.map((channel) => channel.data?.last_message_at));
    ctx.observe('older', older);
    ctx.observe('newer', newer);

    assert.deepEqual(channelIds(before), [newer, older]);
    assert.deepEqual(channelIds(after), [older, newer]);
  },

  /** 5. 60 messages page back in pages of 25 with id_lt: all 60, in order, no duplicates. */
  async message_pagination(ctx) {
    const alice = ctx.userId('alice');
    const bob = ctx.userId('bob');
    await ctx.upsertUsers(alice, bob);
    const channelId = await ctx.createChannel('history', [alice, bob]);
    const serverChannel = ctx.server.channel('messaging', channelId);
    const sent = [];
    for (let i = 0; i < 60; i += 1) {
      const { message } = await serverChannel.sendMessage({ text: `message ${i}`, user_id: alice });
      sent.push(message.id);
    }

    const [bobClient] = await ctx.connect(bob);
    const channel = bobClient.channel('messaging', channelId);
    const pages = [];
    let response = await channel.query({ messages: { limit: 25 } });
    pages.unshift(response.messages.map((message) => message.id));
    for (let guard = 0; response.messages.length === 25 && guard < 5; guard += 1) {
      response = await channel.query({ messages: { limit: 25, id_lt: response.messages[0].id } });
      if (response.messages.length) pages.unshift(response.messages.map((message) => message.id));
    }
    const received = pages.flat();
    ctx.observe('sent', sent);
    ctx.observe('page_sizes', pages.map((page) => page.length).reverse());
    ctx.observe('received', received);
    ctx.observe('duplicates', received.length - new Set(received).size);
    ctx.observe('state_messages', channel.state.messages.map((message) => message.id));
    ctx.observe('has_more_older', channel.state.messagePagination.hasPrev);

    assert.deepEqual(received, sent);
    assert.deepEqual(channel.state.messages.map((message) => message.id), sent);
  },

  /** 6. A short-lived token from a provider: REST (code 40) and the WebSocket (in-band 40) both refresh it. */
  async token_refresh(ctx) {
    const alice = ctx.userId('alice');
    const bob = ctx.userId('bob');
    await ctx.upsertUsers(alice, bob);
    const channelId = await ctx.createChannel('dm', [alice, bob]);

    const minted = [];
    const provider = async () => {
      const exp = nowSeconds() + 3; // valid 2-3 s: long enough for connect + watch on a busy machine
      minted.push(exp);
      return ctx.token(alice, exp);
    };
    const [aliceClient, connected] = await ctx.connect(alice, provider);
    const aliceChannel = aliceClient.channel('messaging', channelId);
    await aliceChannel.watch();
    const firstConnectionId = connected.connection_id;

    // REST after expiry: the emulator answers 401 code 40, the SDK calls the provider and retries.
    await waitPastExpiry(minted.at(-1));
    const { message } = await aliceChannel.sendMessage({ text: 'sent with an expired token' });
    ctx.observe('user_id', alice);
    ctx.observe('rest', { provider_calls: minted.length, message_id: message.id, channel_id: channelId });

    // WebSocket after expiry: drop the socket like a network failure would. The SDK reconnects with the
    // expired token, gets the in-band code 40, calls the provider and reconnects.
    await waitPastExpiry(minted.at(-1));
    const recovered = nextEvent(aliceClient, 'connection.recovered', { timeoutMs: 20000, label: 'reconnect' });
    aliceClient.wsConnection.ws.terminate();
    await recovered;
    const secondConnectionId = aliceClient._getConnectionID();
    ctx.observe('ws', {
      provider_calls: minted.length,
      connection_id_changed: Boolean(secondConnectionId) && secondConnectionId !== firstConnectionId,
      healthy: aliceClient.wsConnection.isHealthy,
    });

    // The recovered connection watches the channel again (recoverState re-queried it).
    const delivered = nextEvent(aliceChannel, 'message.new', {
      predicate: (event) => event.user?.id === bob,
      label: 'message after reconnect',
    });
    await ctx.server.channel('messaging', channelId).sendMessage({ text: 'welcome back', user_id: bob });
    ctx.observe('after_reconnect_text', (await delivered).message.text);

    assert.equal(ctx.observed.rest.provider_calls, 2, 'the REST 401 (code 40) made the SDK refresh once');
    assert.equal(ctx.observed.ws.provider_calls, 3, 'the in-band code 40 made the SDK refresh once more');
  },

  /** A member who is online but not watching gets notification.message_new, then message.new once watching. */
  async notification_for_non_watcher(ctx) {
    const alice = ctx.userId('alice');
    const bob = ctx.userId('bob');
    await ctx.upsertUsers(alice, bob);
    const channelId = await ctx.createChannel('dm', [alice, bob]);
    const [aliceClient] = await ctx.connect(alice);
    const [bobClient] = await ctx.connect(bob);
    const aliceChannel = aliceClient.channel('messaging', channelId);
    await aliceChannel.watch();

    const bobEventTypes = [];
    bobClient.on((event) => bobEventTypes.push(event.type));
    const notified = nextEvent(bobClient, 'notification.message_new', { label: 'bob, not watching' });
    await aliceChannel.sendMessage({ text: 'are you there?' });
    const notification = await notified;
    ctx.observe('notification', {
      cid: notification.cid,
      channel_id: notification.channel?.id,
      channel_type: notification.channel?.type,
      channel_has_config: Boolean(notification.channel?.config),
      message_text: notification.message?.text,
      total_unread_count: notification.total_unread_count,
      unread_channels: notification.unread_channels,
    });
    ctx.observe('bob_types_before_watch', [...bobEventTypes]);

    // What a channel list does on notification.message_new: watch the channel.
    const bobChannel = bobClient.channel(notification.channel.type, notification.channel.id);
    await bobChannel.watch();
    ctx.observe('unread_after_watch', bobChannel.countUnread());
    const arrived = nextEvent(bobChannel, 'message.new', { label: 'bob, now watching' });
    await aliceChannel.sendMessage({ text: 'hello?' });
    const event = await arrived;
    ctx.observe('second', { type: event.type, total_unread_count: event.total_unread_count });
    ctx.observe('unread_after_second', bobChannel.countUnread());
    ctx.observe('channel_id', channelId);
    assert.equal(bobChannel.countUnread(), 2);
  },

  /** Presence and watching: Alice sees Bob come online, start watching, and go away. */
  async presence_and_watching(ctx) {
    const alice = ctx.userId('alice');
    const bob = ctx.userId('bob');
    await ctx.upsertUsers(alice, bob);
    const channelId = await ctx.createChannel('dm', [alice, bob]);
    const [aliceClient] = await ctx.connect(alice);
    const aliceChannel = aliceClient.channel('messaging', channelId);
    await aliceChannel.watch({ presence: true });
    const { users } = await aliceClient.queryUsers({ id: { $in: [bob] } }, {}, { presence: true });
    ctx.observe('bob_online_at_first', users[0]?.online);

    const isBob = { predicate: (event) => event.user?.id === bob };
    const cameOnline = nextEvent(aliceClient, 'user.presence.changed', { ...isBob, label: 'bob online' });
    const [bobClient] = await ctx.connect(bob);
    ctx.observe('presence_online', (await cameOnline).user.online);

    const startedWatching = nextEvent(aliceChannel, 'user.watching.start', { ...isBob, label: 'bob watches' });
    await bobClient.channel('messaging', channelId).watch();
    const start = await startedWatching;
    ctx.observe('watching_start', { watcher_count: start.watcher_count, cid: start.cid });
    ctx.observe('alice_state_watchers', Object.keys(aliceChannel.state.watchers).sort());

    const wentOffline = nextEvent(aliceClient, 'user.presence.changed', {
      predicate: (event) => event.user?.id === bob && event.user.online === false,
      label: 'bob offline',
    });
    const stoppedWatching = nextEvent(aliceChannel, 'user.watching.stop', { ...isBob, label: 'bob leaves' });
    await bobClient.disconnectUser();
    const stop = await stoppedWatching;
    await wentOffline;
    ctx.observe('watching_stop', { watcher_count: stop.watcher_count });
    ctx.observe('alice_state_watcher_count', aliceChannel.state.watcher_count);
    ctx.observe('alice_sees_bob_online', aliceClient.state.users[bob]?.online);
    ctx.observe('alice', alice);
    ctx.observe('bob', bob);
  },

  /** 7. A token signed with the wrong secret: connectUser rejects at once with code 43, no retry loop. */
  async wrong_secret_token(ctx) {
    const mallory = ctx.userId('mallory');
    await ctx.upsertUsers(mallory);
    const forger = new StreamChat(ctx.cfg.key, `not-the-secret-${'x'.repeat(32)}`);
    const client = ctx.newClient();
    const started = Date.now();
    const error = await client.connectUser({ id: mallory }, forger.createToken(mallory)).then(
      () => null,
      (rejection) => rejection,
    );
    ctx.observe('elapsed_ms', Date.now() - started);
    assert.ok(error, 'connectUser must reject');
    ctx.observe('rejection', parseConnectError(error));
    ctx.observe('user_id_after', client.userID ?? null);

    // A static token that has expired is rejected the same way, with code 40 (no provider to refresh it).
    const late = ctx.newClient();
    const expiredError = await late.connectUser({ id: mallory }, ctx.token(mallory, nowSeconds() - 60)).then(
      () => null,
      (rejection) => rejection,
    );
    assert.ok(expiredError, 'connectUser with an expired static token must reject');
    ctx.observe('expired_rejection', parseConnectError(expiredError));

    // REST signed with the wrong secret (server-side client) gets the same code, as an HTTP 401.
    const serverError = await new StreamChat(ctx.cfg.key, `not-the-secret-${'x'.repeat(32)}`, {
      baseURL: ctx.cfg.url,
    })
      .upsertUsers([{ id: mallory }])
      .then(
        () => null,
        (rejection) => rejection,
      );
    assert.ok(serverError, 'a server call signed with the wrong secret must fail');
    ctx.observe('rest_rejection', { code: serverError.code, status: serverError.status });

    // An unknown API key is refused in band too, with code 2.
    const stranger = new StreamChat('not-the-api-key', clientOptions(ctx.cfg));
    const keyError = await stranger.connectUser({ id: mallory }, ctx.token(mallory)).then(
      () => null,
      (rejection) => rejection,
    );
    assert.ok(keyError, 'connectUser with an unknown API key must reject');
    ctx.observe('unknown_key_rejection', parseConnectError(keyError));

    assert.equal(ctx.observed.rejection.code, 43);
    assert.equal(ctx.observed.expired_rejection.code, 40);
  },
};

if (import.meta.url === `file://${process.argv[1]}`) {
  main(scenarios, { timeoutMs: 45000 });
}
