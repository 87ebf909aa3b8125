"""Every string ``inbox.js`` shows, translated on the server with Django's i18n.

The browser gets them in the page's config, already in the visitor's language, so the JavaScript
needs no catalogue of its own. Placeholders are Python-style (``%(name)s``) and filled in by the
script.
"""

from __future__ import annotations

from django.utils.translation import gettext, pgettext


def browser_strings() -> dict[str, str]:
    """The strings for the active language, keyed as ``inbox.js`` asks for them."""
    return {
        "messages": gettext("Messages"),
        "conversations": gettext("Conversations"),
        "conversation": gettext("Conversation"),
        "new_conversation": gettext("New message"),
        "search_people": gettext("Search people"),
        "people": gettext("People"),
        "no_people": gettext("Nobody found."),
        "more_people": gettext("Show more"),
        "people_failed": gettext("People could not be loaded. Try again."),
        "no_conversations": gettext("No conversations yet."),
        "select_conversation": gettext("Choose a conversation, or start a new one."),
        "no_messages_yet": gettext("No messages yet"),
        "say_hello": gettext("This is the start of your conversation with %(name)s."),
        "opening": gettext("Opening the conversation…"),
        "not_allowed": gettext("You cannot message this person."),
        "user_not_found": gettext("This person could not be found."),
        "open_failed": gettext("The conversation could not be opened. Try again."),
        "connect_failed": gettext("Messaging is unavailable right now."),
        "signed_out": gettext("You have been signed out. Sign in again to see your messages."),
        "offline": gettext("Connection lost. Reconnecting…"),
        "retry": gettext("Retry"),
        "write_message": gettext("Write a message"),
        "send": gettext("Send"),
        "sending": gettext("Sending…"),
        "not_sent": gettext("Not sent."),
        "back": gettext("Back to conversations"),
        "seen": pgettext("read receipt", "Seen"),
        "typing": gettext("%(name)s is typing…"),
        "new_messages": gettext("New messages"),
        "new_message_from": gettext("New message from %(name)s: %(text)s"),
        "loading_older": gettext("Loading earlier messages…"),
        "today": gettext("Today"),
        "yesterday": gettext("Yesterday"),
        "deleted": gettext("This message was deleted."),
        "attachment": gettext("Attachment"),
        "you_prefix": gettext("You: %(text)s"),
        "unknown_user": gettext("Unknown user"),
        "online": pgettext("presence", "Online"),
        "unread_one": gettext("%(count)s unread message"),
        "unread_other": gettext("%(count)s unread messages"),
    }
