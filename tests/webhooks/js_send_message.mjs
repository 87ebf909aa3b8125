// Send one message with the real `stream-chat` JS SDK, connected as a user (as a browser would be):
//
//   STREAM_URL=... STREAM_KEY=... STREAM_SECRET=... node tests/webhooks/js_send_message.mjs USER CHANNEL TEXT
//
// Prints one JSON line: {"ok": true, "message_id": "...", "cid": "..."} (or {"ok": false, "error"}).

import { clientOptions, config, serverClient, StreamChat } from '../js/lib.mjs';

const [userId, channelId, text] = process.argv.slice(2);
const cfg = config();
const client = new StreamChat(cfg.key, clientOptions(cfg));
let result;
try {
  const token = serverClient(cfg).createToken(userId);
  await client.connectUser({ id: userId }, token);
  const channel = client.channel('messaging', channelId);
  await channel.watch();
  const { message } = await channel.sendMessage({ text });
  await client.disconnectUser();
  result = { ok: true, message_id: message.id, cid: channel.cid };
} catch (error) {
  result = { ok: false, error: String(error) };
}
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(result.ok ? 0 : 1); // the SDK leaves timers behind that would keep Node alive for seconds
