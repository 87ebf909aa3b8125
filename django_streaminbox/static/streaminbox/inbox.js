/**
 * django-streaminbox: the embeddable inbox, unread badge and "Message" button.
 *
 * One ES module with no build step. It reads the page's config from the
 * <script id="streaminbox-config" type="application/json"> element rendered by the template tags,
 * loads the Stream JS SDK from config.sdkUrl, and opens ONE connection for every tag on the page.
 * All user-supplied text goes through textContent / Text nodes: never through innerHTML.
 */

const configElement = document.getElementById('streaminbox-config');
const config = configElement ? JSON.parse(configElement.textContent) : null;
const me = config ? config.user.id : '';
const NEAR_BOTTOM = 48;
const OFFLINE_BANNER_DELAY = 3000;
const PAGE_SIZE = 25;

// ---------------------------------------------------------------------------------------------
// Small helpers

/** Translated string from the config, with Python-style %(name)s placeholders filled in. */
function t(key, vars = {}) {
  const template = (config && config.strings[key]) || key;
  return template.replace(/%\((\w+)\)s/g, (_, name) => String(vars[name] ?? ''));
}

/** A DOM element. Children that are strings become Text nodes, so they can never be markup. */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'class') element.className = value;
    else if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) element.append(child);
  }
  return element;
}

function csrfToken() {
  if (config.csrfToken) return config.csrfToken;
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : '';
}

class RequestError extends Error {
  constructor(status, body) {
    super((body && body.error && body.error.message) || `HTTP ${status}`);
    this.status = status;
    this.code = body && body.error ? body.error.code : '';
  }
}

/** fetch() against our own endpoints: same-origin cookies, the CSRF header on writes, JSON both ways. */
async function request(url, { method = 'GET', body } = {}) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET') headers[config.csrfHeader || 'X-CSRFToken'] = csrfToken();
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(url, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) throw new RequestError(response.status, data);
  return data;
}

const formatters = {};
function format(kind, date) {
  const options = {
    time: { hour: 'numeric', minute: '2-digit' },
    weekday: { weekday: 'short' },
    date: { day: 'numeric', month: 'short' },
    day: { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' },
  }[kind];
  if (!formatters[kind]) {
    try {
      formatters[kind] = new Intl.DateTimeFormat(config.language || undefined, options);
    } catch {
      formatters[kind] = new Intl.DateTimeFormat(undefined, options); // a tag the browser rejects
    }
  }
  return formatters[kind].format(date);
}

function startOfDay(date) {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate()).getTime();
}

/** "14:05" today, "Tue" this week, "3 Mar" before that: what messengers show in a list. */
function shortTime(date) {
  if (!date) return '';
  const days = Math.round((startOfDay(new Date()) - startOfDay(date)) / 86400000);
  if (days <= 0) return format('time', date);
  if (days < 7) return format('weekday', date);
  return format('date', date);
}

/** "Today", "Yesterday" or the full date, for the separators between days. */
function dayLabel(date) {
  const days = Math.round((startOfDay(new Date()) - startOfDay(date)) / 86400000);
  if (days === 0) return t('today');
  if (days === 1) return t('yesterday');
  return format('day', date);
}

function asDate(value) {
  if (!value) return null;
  return value instanceof Date ? value : new Date(value);
}

function displayName(user) {
  return (user && (user.name || user.id)) || t('unknown_user');
}

function safeImageUrl(url) {
  if (typeof url !== 'string' || !url) return '';
  try {
    const parsed = new URL(url, document.baseURI);
    return ['http:', 'https:', 'data:'].includes(parsed.protocol) ? parsed.href : '';
  } catch {
    return '';
  }
}

/** An avatar: the picture when there is one, else the initials on a tone picked from the user id. */
function avatar(user, size = '') {
  const name = displayName(user);
  const initials = name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((word) => Array.from(word)[0].toUpperCase())
    .join('');
  let tone = 0;
  for (const char of String(user && user.id)) tone = (tone * 31 + char.charCodeAt(0)) % 8;
  const element = h(
    'span',
    {
      class: `streaminbox-avatar ${size}`,
      'data-tone': tone,
      'data-online': user && user.online ? 'true' : null,
      'aria-hidden': 'true',
    },
    initials || '?',
  );
  const url = safeImageUrl(user && user.image);
  if (url) {
    const image = h('img', { alt: '', loading: 'lazy', referrerpolicy: 'no-referrer' });
    image.src = url;
    image.addEventListener('error', () => image.remove());
    element.append(image);
  }
  return element;
}

let pluralRules = null;
/** "1 unread message" / "3 unread messages", by the language's own plural rule (French: 0 is singular). */
function unreadLabel(count) {
  try {
    pluralRules ||= new Intl.PluralRules(config.language || undefined);
  } catch {
    pluralRules = new Intl.PluralRules();
  }
  return t(pluralRules.select(count) === 'one' ? 'unread_one' : 'unread_other', { count });
}

// ---------------------------------------------------------------------------------------------
// One connection per page, shared by every tag

let clientPromise = null;
let totalUnread = 0;
const badges = new Set();
const inboxes = new Set(); // connected inboxes, which receive the connection's events
const mountedInboxes = [];

async function fetchToken() {
  const data = await request(config.urls.token, { method: 'POST' });
  return data.token;
}

function connect() {
  clientPromise ||= (async () => {
    // Ask for the first token while the SDK downloads: one round trip less before the list shows.
    let firstToken = fetchToken();
    firstToken.catch(() => {});
    const tokenProvider = () => {
      const token = firstToken || fetchToken();
      firstToken = null;
      return token;
    };
    const { StreamChat } = await import(config.sdkUrl);
    const client = new StreamChat(config.apiKey, {
      baseURL: config.baseUrl || undefined,
      enableInsights: false,
      warmUp: false,
    });
    let connection;
    try {
      connection = await client.connectUser(config.user, tokenProvider);
    } catch (error) {
      await client.disconnectUser().catch(() => {});
      throw error;
    }
    setTotalUnread(connection && connection.me ? connection.me.total_unread_count : 0);
    client.on((event) => {
      if (typeof event.total_unread_count === 'number') setTotalUnread(event.total_unread_count);
      for (const inbox of inboxes) inbox.handleEvent(event);
    });
    return client;
  })();
  clientPromise.catch(() => {
    clientPromise = null;
  });
  return clientPromise;
}

function setTotalUnread(count) {
  totalUnread = Number(count) || 0;
  for (const badge of badges) renderBadge(badge);
}

function renderBadge(badge) {
  badge.hidden = totalUnread === 0;
  badge.dataset.streaminboxCount = String(totalUnread);
  badge.replaceChildren(
    h('span', { 'aria-hidden': 'true' }, totalUnread > 99 ? '99+' : String(totalUnread)),
    h('span', { class: 'streaminbox-visually-hidden' }, unreadLabel(totalUnread)),
  );
}

// ---------------------------------------------------------------------------------------------
// The inbox

class Inbox {
  constructor(root) {
    this.root = root;
    this.client = null;
    this.channels = new Map(); // cid -> Channel, every conversation shown (or about to be)
    this.watching = new Map(); // cid -> promise of the watch in flight, so nothing watches twice
    this.listItems = new Map(); // cid -> <li>
    this.pending = new Map(); // cid -> [{id, text, failed}] messages not yet confirmed by Stream
    this.current = null;
    this.firstUnreadId = null;
    this.loadingOlder = false;
    this.listOffset = 0;
    this.listExhausted = false;
    this.offlineTimer = null;
    this.build();
  }

  build() {
    this.banner = h('div', { class: 'streaminbox-banner', role: 'status', hidden: true }, t('offline'));
    this.live = h('div', { class: 'streaminbox-visually-hidden', 'aria-live': 'polite' });
    this.list = h('ul', { class: 'streaminbox-list', 'aria-label': t('conversations') });
    this.list.addEventListener('scroll', () => this.maybeLoadMoreChannels());
    this.list.addEventListener('keydown', (event) => this.moveInList(event));
    this.listEmpty = h('p', { class: 'streaminbox-empty', hidden: true }, t('no_conversations'));
    this.picker = this.buildPicker();
    this.sidebar = h(
      'section',
      { class: 'streaminbox-sidebar', 'aria-label': t('conversations') },
      h(
        'div',
        { class: 'streaminbox-sidebar-head' },
        h('h2', { class: 'streaminbox-heading' }, t('messages')),
        h(
          'button',
          {
            type: 'button',
            class: 'streaminbox-new',
            'aria-expanded': 'false',
            onclick: () => this.togglePicker(),
          },
          t('new_conversation'),
        ),
      ),
      this.picker,
      this.list,
      this.listEmpty,
    );
    this.pane = h('section', { class: 'streaminbox-pane', 'aria-label': t('conversation') });
    this.showPlaceholder(t('select_conversation'));
    this.root.replaceChildren(this.banner, this.sidebar, this.pane, this.live);
    this.root.dataset.streaminboxState = 'loading';
    this.root.dataset.streaminboxView = 'list';
  }

  // -- start-up ---------------------------------------------------------------------------------

  start() {
    this.ready = this.connectAndLoad();
    return this.ready;
  }

  async connectAndLoad() {
    try {
      this.client = await connect();
      inboxes.add(this);
      await this.loadChannels();
      this.root.dataset.streaminboxState = 'ready';
      this.root.dataset.streaminboxReady = 'true';
    } catch (error) {
      this.showFatal(error);
      return false;
    }
    await this.openInitial();
    return true;
  }

  showFatal(error) {
    this.root.dataset.streaminboxState = 'error';
    const message = error && error.status === 401 ? t('signed_out') : t('connect_failed');
    this.root.replaceChildren(
      h(
        'div',
        { class: 'streaminbox-error', role: 'alert' },
        h('p', {}, message),
        h('button', { type: 'button', class: 'streaminbox-retry', onclick: () => this.restart() }, t('retry')),
      ),
    );
  }

  restart() {
    this.channels.clear();
    this.listItems.clear();
    this.watching.clear();
    this.listOffset = 0;
    this.listExhausted = false;
    this.build();
    this.start();
  }

  async openInitial() {
    const { streaminboxWith: withUser, streaminboxChannel: cid } = this.root.dataset;
    if (withUser) await this.openWith(withUser);
    else if (cid) await this.openCid(cid);
  }

  async loadChannels() {
    const channels = await this.client.queryChannels(
      { type: config.channelType, members: { $in: [me] } },
      [{ last_message_at: -1 }],
      { limit: 30, offset: this.listOffset, watch: true, state: true, presence: true, message_limit: PAGE_SIZE },
    );
    this.listOffset += channels.length;
    this.listExhausted = channels.length < 30;
    for (const channel of channels) this.channels.set(channel.cid, channel);
    this.renderList();
  }

  async maybeLoadMoreChannels() {
    const list = this.list;
    if (this.listExhausted || this.loadingChannels) return;
    if (list.scrollHeight - list.scrollTop - list.clientHeight > 80) return;
    this.loadingChannels = true;
    try {
      await this.loadChannels();
    } catch {
      // The next scroll tries again.
    } finally {
      this.loadingChannels = false;
    }
  }

  // -- events -----------------------------------------------------------------------------------

  handleEvent(event) {
    const channel = event.cid ? this.channels.get(event.cid) : null;
    switch (event.type) {
      case 'connection.changed':
        this.setOnline(event.online);
        return;
      case 'connection.recovered':
        this.setOnline(true);
        this.recover();
        return;
      case 'notification.message_new':
      case 'notification.added_to_channel':
        // A conversation started elsewhere: watch it, so that it shows and follows live from now on.
        if (event.channel && !this.channels.has(event.cid)) {
          this.watchChannel(event.channel.type, event.channel.id).catch(() => {});
        }
        return;
      case 'notification.removed_from_channel':
      case 'channel.deleted':
      case 'notification.channel_deleted':
        if (this.channels.delete(event.cid) && this.current && this.current.cid === event.cid) {
          this.current = null;
          this.showPlaceholder(t('select_conversation'));
        }
        this.renderList();
        return;
      case 'typing.start':
      case 'typing.stop':
        if (channel && channel === this.current) this.renderTyping();
        return;
      case 'message.new':
        if (!channel) return;
        this.renderList();
        if (channel === this.current) this.onCurrentMessage(event);
        return;
      default:
        if (channel || event.type.startsWith('user.') || event.type.startsWith('notification.')) {
          this.renderList();
          if (this.current && (channel === this.current || !event.cid)) this.renderConversation();
        }
    }
  }

  setOnline(online) {
    clearTimeout(this.offlineTimer);
    if (online) {
      this.banner.hidden = true;
      this.root.dataset.streaminboxOnline = 'true';
    } else {
      this.root.dataset.streaminboxOnline = 'false';
      this.offlineTimer = setTimeout(() => {
        this.banner.hidden = false;
      }, OFFLINE_BANNER_DELAY);
    }
  }

  /** After a reconnect the SDK has refreshed the watched channels; pick up conversations started meanwhile. */
  async recover() {
    try {
      const channels = await this.client.queryChannels(
        { type: config.channelType, members: { $in: [me] } },
        [{ last_message_at: -1 }],
        { limit: 30, watch: true, state: true, presence: true, message_limit: PAGE_SIZE },
      );
      for (const channel of channels) this.channels.set(channel.cid, channel);
    } catch {
      // The SDK's own recovery already refreshed what we show.
    }
    this.renderList();
    if (this.current) this.renderConversation({ stickToBottom: true });
  }

  /** Watch a channel once, however many events and clicks ask for it at the same time. */
  watchChannel(type, id) {
    const channel = this.client.channel(type, id);
    if (!this.watching.has(channel.cid)) {
      const watched = channel.watch({ presence: true, messages: { limit: PAGE_SIZE } }).then(() => {
        this.channels.set(channel.cid, channel);
        this.renderList();
        return channel;
      });
      this.watching.set(channel.cid, watched);
      watched.finally(() => this.watching.delete(channel.cid)).catch(() => {});
    }
    return this.watching.get(channel.cid);
  }

  onCurrentMessage(event) {
    const fromOther = event.user && event.user.id !== me;
    if (fromOther) {
      if (document.visibilityState === 'visible') this.markRead(this.current);
      else if (!this.firstUnreadId) this.firstUnreadId = event.message.id;
      this.announce(t('new_message_from', { name: displayName(event.user), text: event.message.text || '' }));
    }
    this.renderConversation({ stickToBottom: !fromOther });
  }

  announce(text) {
    this.live.textContent = text;
  }

  markRead(channel) {
    if (channel && channel.countUnread() > 0) channel.markRead().catch(() => {});
  }

  // -- the conversation list --------------------------------------------------------------------

  sortedChannels() {
    const activity = (channel) =>
      asDate(channel.state.last_message_at || channel.data.last_message_at || channel.data.created_at) || new Date(0);
    return [...this.channels.values()]
      .filter((channel) => channel.state.last_message_at || channel === this.current)
      .sort((a, b) => activity(b) - activity(a));
  }

  otherMember(channel) {
    const members = Object.values(channel.state.members || {});
    const other = members.find((member) => (member.user_id || (member.user && member.user.id)) !== me);
    const memberUser = other && other.user;
    const fresh = memberUser && channel.getClient().state.users[memberUser.id];
    return fresh || memberUser || { id: '', name: channel.data.name || t('unknown_user') };
  }

  renderList() {
    const channels = this.sortedChannels();
    const items = channels.map((channel) => this.renderListItem(channel));
    this.list.replaceChildren(...items);
    this.listEmpty.hidden = channels.length > 0;
    for (const cid of this.listItems.keys()) if (!this.channels.has(cid)) this.listItems.delete(cid);
  }

  renderListItem(channel) {
    let item = this.listItems.get(channel.cid);
    if (!item) {
      const button = h('button', { type: 'button', class: 'streaminbox-item-button', onclick: () => this.open(channel) });
      item = h('li', { class: 'streaminbox-item', 'data-streaminbox-cid': channel.cid }, button);
      this.listItems.set(channel.cid, item);
    }
    const button = item.firstChild;
    const other = this.otherMember(channel);
    const last = lastVisibleMessage(channel);
    const unread = channel === this.current && document.visibilityState === 'visible' ? 0 : channel.countUnread();
    const preview = last ? previewText(last) : t('no_messages_yet');
    item.dataset.streaminboxUnread = String(unread);
    item.classList.toggle('streaminbox-item-unread', unread > 0);
    if (channel === this.current) button.setAttribute('aria-current', 'true');
    else button.removeAttribute('aria-current');
    const time = asDate(channel.state.last_message_at);
    button.replaceChildren(
      avatar(other),
      h(
        'span',
        { class: 'streaminbox-item-body' },
        h(
          'span',
          { class: 'streaminbox-item-row' },
          h('span', { class: 'streaminbox-item-name' }, displayName(other)),
          other.online ? h('span', { class: 'streaminbox-visually-hidden' }, ` (${t('online')})`) : null,
          time ? h('time', { class: 'streaminbox-item-time', datetime: time.toISOString() }, shortTime(time)) : null,
        ),
        h(
          'span',
          { class: 'streaminbox-item-row' },
          h('span', { class: 'streaminbox-item-preview' }, preview),
          unread > 0
            ? h(
                'span',
                { class: 'streaminbox-count', 'data-streaminbox-unread': unread },
                h('span', { 'aria-hidden': 'true' }, unread > 99 ? '99+' : String(unread)),
                h('span', { class: 'streaminbox-visually-hidden' }, unreadLabel(unread)),
              )
            : null,
        ),
      ),
    );
    return item;
  }

  /** Up/Down, Home/End move between conversations, as in any list a keyboard user expects. */
  moveInList(event) {
    const buttons = [...this.list.querySelectorAll('.streaminbox-item-button')];
    const index = buttons.indexOf(document.activeElement);
    const target = { ArrowDown: index + 1, ArrowUp: index - 1, Home: 0, End: buttons.length - 1 }[event.key];
    if (index < 0 || target === undefined || !buttons[target]) return;
    event.preventDefault();
    buttons[target].focus();
  }

  // -- the people picker ------------------------------------------------------------------------

  buildPicker() {
    this.pickerInput = h('input', {
      type: 'search',
      class: 'streaminbox-picker-input',
      placeholder: t('search_people'),
      'aria-label': t('search_people'),
      autocomplete: 'off',
    });
    this.pickerResults = h('ul', { class: 'streaminbox-picker-results', 'aria-label': t('people') });
    let timer = null;
    this.pickerInput.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(() => this.searchPeople(config.urls.users, true), 200);
    });
    const picker = h('div', { class: 'streaminbox-picker', hidden: true }, this.pickerInput, this.pickerResults);
    picker.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') this.togglePicker(false);
    });
    return picker;
  }

  togglePicker(show = this.picker.hidden) {
    this.picker.hidden = !show;
    this.sidebar.querySelector('.streaminbox-new').setAttribute('aria-expanded', String(show));
    if (show) {
      this.pickerInput.value = '';
      this.pickerInput.focus();
      this.searchPeople(config.urls.users, true);
    }
  }

  async searchPeople(url, fresh) {
    const query = this.pickerInput.value.trim();
    const target = new URL(url, document.baseURI);
    if (fresh) target.searchParams.set('q', query);
    let data;
    try {
      data = await request(target.href);
    } catch {
      this.pickerResults.replaceChildren(h('li', { class: 'streaminbox-picker-note' }, t('people_failed')));
      return;
    }
    if (fresh && query !== this.pickerInput.value.trim()) return;
    const rows = data.results
      .filter((person) => person.id !== me)
      .map((person) =>
        h(
          'li',
          {},
          h(
            'button',
            {
              type: 'button',
              class: 'streaminbox-person',
              'data-streaminbox-user': person.id,
              onclick: () => {
                this.togglePicker(false);
                this.openWith(person.id);
              },
            },
            avatar(person, 'streaminbox-avatar-small'),
            h('span', { class: 'streaminbox-person-name' }, displayName(person)),
          ),
        ),
      );
    if (fresh) this.pickerResults.replaceChildren();
    this.pickerResults.querySelector('.streaminbox-picker-more')?.remove();
    this.pickerResults.append(...rows);
    if (fresh && rows.length === 0) this.pickerResults.append(h('li', { class: 'streaminbox-picker-note' }, t('no_people')));
    if (data.next) {
      this.pickerResults.append(
        h(
          'li',
          { class: 'streaminbox-picker-more' },
          h('button', { type: 'button', onclick: () => this.searchPeople(data.next, false) }, t('more_people')),
        ),
      );
    }
  }

  // -- opening a conversation -------------------------------------------------------------------

  /** Opens (creating if needed) the 1:1 conversation with a user, through the site's channel endpoint. */
  async openWith(userId) {
    this.showPlaceholder(t('opening'));
    let data;
    try {
      data = await request(config.urls.channel, { method: 'POST', body: { user_id: String(userId) } });
    } catch (error) {
      const key = { 403: 'not_allowed', 404: 'user_not_found', 400: 'user_not_found' }[error.status] || 'open_failed';
      this.showPlaceholder(t(key), true);
      return;
    }
    await this.openCid(data.cid);
  }

  async openCid(cid) {
    let channel = this.channels.get(cid);
    if (!channel) {
      const split = cid.indexOf(':');
      try {
        channel = await this.watchChannel(cid.slice(0, split), cid.slice(split + 1));
      } catch (error) {
        this.showPlaceholder(t(error && error.status === 403 ? 'not_allowed' : 'open_failed'), true);
        return;
      }
    }
    this.open(channel);
  }

  open(channel) {
    const previous = this.current;
    this.current = channel;
    this.root.dataset.streaminboxView = 'conversation';
    const read = channel.state.read[me];
    this.firstUnreadId = null;
    if (channel.countUnread() > 0 && read && read.last_read) {
      const lastRead = asDate(read.last_read);
      const first = channel.state.messages.find((m) => m.user && m.user.id !== me && asDate(m.created_at) > lastRead);
      this.firstUnreadId = first ? first.id : null;
    }
    if (previous !== channel || !this.pane.querySelector('.streaminbox-messages')) this.buildConversation(channel);
    this.renderList();
    this.renderConversation({ stickToBottom: true });
    this.markRead(channel);
    this.composer.focus({ preventScroll: true });
  }

  closeConversation() {
    this.root.dataset.streaminboxView = 'list';
    const item = this.current && this.listItems.get(this.current.cid);
    this.current = null;
    this.showPlaceholder(t('select_conversation'));
    this.renderList();
    if (item) item.firstChild.focus();
  }

  showPlaceholder(text, isError = false) {
    this.messagesList = null;
    this.pane.replaceChildren(
      // On a narrow screen an error replaces the list, so it needs its own way back.
      // (replaceChildren, unlike h(), would render a null as the text "null".)
      ...(isError ? [this.backButton()] : []),
      h('p', { class: isError ? 'streaminbox-notice streaminbox-notice-error' : 'streaminbox-notice', role: isError ? 'alert' : null }, text),
    );
    if (isError) {
      this.current = null;
      this.root.dataset.streaminboxView = 'conversation';
    }
  }

  backButton() {
    return h(
      'button',
      { type: 'button', class: 'streaminbox-back', 'aria-label': t('back'), onclick: () => this.closeConversation() },
      h('span', { 'aria-hidden': 'true' }, '\u2190'),
    );
  }

  buildConversation(channel) {
    const other = this.otherMember(channel);
    this.messagesList = h('ol', { class: 'streaminbox-messages', 'aria-label': t('messages'), tabindex: '0' });
    this.messagesList.addEventListener('scroll', () => this.maybeLoadOlder());
    this.typing = h('p', { class: 'streaminbox-typing', 'aria-live': 'polite' });
    this.composer = h('textarea', {
      class: 'streaminbox-input',
      rows: '1',
      placeholder: t('write_message'),
      'aria-label': t('write_message'),
      maxlength: '5000',
    });
    this.composer.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.send();
      }
    });
    this.composer.addEventListener('input', () => {
      if (this.composer.value.trim()) channel.keystroke().catch(() => {});
    });
    const form = h(
      'form',
      {
        class: 'streaminbox-composer',
        onsubmit: (event) => {
          event.preventDefault();
          this.send();
        },
      },
      this.composer,
      h('button', { type: 'submit', class: 'streaminbox-send' }, t('send')),
    );
    this.pane.replaceChildren(
      (this.paneHead = h('header', { class: 'streaminbox-pane-head' })),
      this.messagesList,
      this.typing,
      form,
    );
  }

  // -- the open conversation --------------------------------------------------------------------

  renderConversation({ stickToBottom = false, fromBottom = null } = {}) {
    const channel = this.current;
    const list = this.messagesList;
    if (!channel || !list) return;
    const other = this.otherMember(channel); // names, pictures and presence change live
    this.paneHead.replaceChildren(
      this.backButton(),
      avatar(other),
      h(
        'div',
        { class: 'streaminbox-pane-who' },
        h('h3', { class: 'streaminbox-pane-title' }, displayName(other)),
        other.online ? h('span', { class: 'streaminbox-presence' }, t('online')) : null,
      ),
    );
    const wasNearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < NEAR_BOTTOM;
    const messages = channel.state.messages;
    const confirmed = new Set(messages.map((m) => m.id));
    const pending = (this.pending.get(channel.cid) || []).filter((p) => !confirmed.has(p.id));
    this.pending.set(channel.cid, pending);

    const nodes = [];
    let previous = null;
    const ownLast = [...messages].reverse().find((m) => m.user && m.user.id === me && m.type !== 'deleted');
    const seen = ownLast && this.seenBy(channel, asDate(ownLast.created_at));
    if (channel.state.messagePagination.hasPrev && messages.length) {
      nodes.push(h('li', { class: 'streaminbox-loading-older', 'aria-hidden': 'true' }, t('loading_older')));
    }
    const entries = [];
    for (const message of messages) {
      const created = asDate(message.created_at);
      const before = [];
      if (!previous || startOfDay(asDate(previous.created_at)) !== startOfDay(created)) {
        before.push(h('li', { class: 'streaminbox-day', role: 'separator' }, dayLabel(created)));
        previous = null;
      }
      if (message.id === this.firstUnreadId) {
        before.push(h('li', { class: 'streaminbox-divider', role: 'separator' }, t('new_messages')));
        previous = null;
      }
      const grouped = Boolean(
        previous &&
          previous.user &&
          message.user &&
          previous.user.id === message.user.id &&
          created - asDate(previous.created_at) < 5 * 60 * 1000,
      );
      if (grouped) entries[entries.length - 1].last = false;
      entries.push({ message, before, grouped, last: true });
      previous = message;
    }
    const group = Object.keys(channel.state.members || {}).length > 2;
    for (const { message, before, grouped, last } of entries) {
      nodes.push(...before);
      nodes.push(
        this.renderMessage(message, {
          grouped,
          last: last || message === ownLast,
          author: group && !grouped,
          seen: message === ownLast && seen,
        }),
      );
    }
    for (const item of pending) nodes.push(this.renderPending(channel, item));
    if (!messages.length && !pending.length) {
      nodes.push(h('li', { class: 'streaminbox-notice' }, t('say_hello', { name: displayName(this.otherMember(channel)) })));
    }
    list.replaceChildren(...nodes);
    this.renderTyping();
    if (fromBottom !== null) list.scrollTop = list.scrollHeight - fromBottom;
    else if (stickToBottom || wasNearBottom) list.scrollTop = list.scrollHeight;
    this.pane.dataset.streaminboxCid = channel.cid;
    this.pane.dataset.streaminboxMessages = String(messages.length);
    this.maybeLoadOlder();
  }

  seenBy(channel, date) {
    return Object.values(channel.state.read || {}).some(
      (read) => read.user && read.user.id !== me && asDate(read.last_read) >= date,
    );
  }

  renderMessage(message, { grouped, last, author, seen }) {
    const own = message.user && message.user.id === me;
    const created = asDate(message.created_at);
    const classes = ['streaminbox-message', own ? 'streaminbox-own' : 'streaminbox-theirs'];
    if (grouped) classes.push('streaminbox-grouped');
    if (message.type === 'system') classes.push('streaminbox-system');
    const text =
      message.type === 'deleted' ? t('deleted') : message.text || (message.attachments?.length ? t('attachment') : '');
    return h(
      'li',
      { class: classes.join(' '), 'data-streaminbox-message-id': message.id },
      author && !own ? h('span', { class: 'streaminbox-author' }, displayName(message.user)) : null,
      h(
        'p',
        { class: message.type === 'deleted' ? 'streaminbox-text streaminbox-deleted' : 'streaminbox-text', title: created.toLocaleString() },
        text,
      ),
      last
        ? h('time', { class: 'streaminbox-time', datetime: created.toISOString() }, format('time', created))
        : null,
      seen ? h('span', { class: 'streaminbox-seen', 'data-streaminbox-seen': 'true' }, t('seen')) : null,
    );
  }

  renderPending(channel, item) {
    return h(
      'li',
      {
        class: `streaminbox-message streaminbox-own ${item.failed ? 'streaminbox-failed' : 'streaminbox-sending'}`,
        'data-streaminbox-pending': item.failed ? 'failed' : 'sending',
      },
      h('p', { class: 'streaminbox-text' }, item.text),
      item.failed
        ? h(
            'span',
            { class: 'streaminbox-send-error', role: 'alert' },
            t('not_sent'),
            ' ',
            h('button', { type: 'button', class: 'streaminbox-retry', onclick: () => this.deliver(channel, item) }, t('retry')),
          )
        : h('span', { class: 'streaminbox-time' }, t('sending')),
    );
  }

  renderTyping() {
    const channel = this.current;
    if (!channel || !this.typing) return;
    const names = Object.values(channel.state.typing || {})
      .filter((event) => event.user && event.user.id !== me)
      .map((event) => displayName(event.user));
    this.typing.textContent = names.length ? t('typing', { name: names.join(', ') }) : '';
    this.typing.dataset.streaminboxTyping = names.length ? 'true' : 'false';
  }

  async maybeLoadOlder() {
    const channel = this.current;
    const list = this.messagesList;
    if (!channel || !list || this.loadingOlder || !channel.state.messagePagination.hasPrev) return;
    if (list.scrollTop > 80 && list.scrollHeight > list.clientHeight) return;
    const oldest = channel.state.messages[0];
    if (!oldest) return;
    this.loadingOlder = true;
    const fromBottom = list.scrollHeight - list.scrollTop;
    try {
      await channel.query({ messages: { limit: PAGE_SIZE, id_lt: oldest.id } });
    } catch {
      return;
    } finally {
      this.loadingOlder = false;
    }
    if (channel !== this.current) return;
    // Keep what the reader was looking at in place while the older page appears above it.
    this.renderConversation({ fromBottom });
  }

  // -- sending ----------------------------------------------------------------------------------

  send() {
    const channel = this.current;
    const text = this.composer.value.trim();
    if (!channel || !text) return;
    this.composer.value = '';
    channel.stopTyping().catch(() => {});
    const item = { id: `${me}-${crypto.randomUUID()}`, text, failed: false };
    this.pending.get(channel.cid).push(item);
    this.deliver(channel, item);
  }

  async deliver(channel, item) {
    item.failed = false;
    if (channel === this.current) this.renderConversation({ stickToBottom: true });
    try {
      await channel.sendMessage({ id: item.id, text: item.text });
      const list = this.pending.get(channel.cid) || [];
      this.pending.set(channel.cid, list.filter((p) => p !== item));
    } catch {
      item.failed = true;
    }
    if (channel === this.current) this.renderConversation({ stickToBottom: true });
  }
}

function lastVisibleMessage(channel) {
  const messages = channel.state.latestMessages;
  for (let i = messages.length - 1; i >= 0; i -= 1) {
    if (messages[i].type !== 'system' && !messages[i].parent_id) return messages[i];
  }
  return null;
}

function previewText(message) {
  const text = message.type === 'deleted' ? t('deleted') : message.text || t('attachment');
  return message.user && message.user.id === me ? t('you_prefix', { text }) : text;
}

// ---------------------------------------------------------------------------------------------
// Mounting the tags

function mountButton(button) {
  // With an inbox on this page the conversation opens in place; elsewhere the link goes to the inbox.
  button.addEventListener('click', async (event) => {
    const inbox = mountedInboxes[0];
    if (!inbox || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    if (await inbox.ready) inbox.openWith(button.dataset.streaminboxUser);
  });
}

function mount() {
  if (!config || !config.user) return;
  const roots = document.querySelectorAll('[data-streaminbox]');
  let needsConnection = false;
  for (const element of roots) {
    if (element.streaminboxMounted) continue;
    element.streaminboxMounted = true;
    const kind = element.dataset.streaminbox;
    if (kind === 'badge') {
      badges.add(element);
      needsConnection = true;
    } else if (kind === 'inbox') {
      const inbox = new Inbox(element);
      mountedInboxes.push(inbox);
      inbox.start();
    } else if (kind === 'button' && element.dataset.streaminboxUser) {
      mountButton(element);
    }
  }
  if (needsConnection) connect().catch(() => {});
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState !== 'visible') return;
    for (const inbox of inboxes) {
      inbox.markRead(inbox.current);
      inbox.renderList();
    }
  });
}

mount();
