// The widget's built-in texts, in English. A site overrides any of them with
// `init({ strings: {...} })`; `{name}` is replaced by a value (formatText).
export const DEFAULT_STRINGS = {
  title: "Chat",
  launcher: "Chat",
  launcherUnread: "Chat, {count} new",
  close: "Close chat",
  quickExit: "Quick exit",
  quickExitHint: "Leaves this page at once and clears this chat from the device. Pressing Escape three times does the same.",
  restart: "New chat",
  download: "Save as text",
  delete: "Delete chat",
  deleteConfirm: "Delete this conversation from this device and from the server?",
  deleteYes: "Delete",
  deleteNo: "Cancel",
  deleting: "Deleting the conversation…",
  deleted: "Conversation deleted from this device and from the server.",
  deletedElsewhere: "This conversation was deleted.",
  deletedDeviceOnly:
    "Deleted from this device. The server is not reachable yet: keep this page open and it will be erased there too once the connection is back.",
  expired: "The earlier conversation was cleared from this device after a while without use.",
  placeholder: "Type a message…",
  inputLabel: "Your message",
  send: "Send",
  log: "Conversation",
  you: "You",
  bot: "Bot",
  suggested: "Suggested replies",
  typing: "The bot is typing…",
  connecting: "Connecting to the chat server…",
  offline: "Can't reach the chat server. Trying to reconnect…",
  tooLong:
    "This message is {count} characters long; the limit is {max}. Please shorten it or send it in parts. Nothing was sent.",
  transcriptTitle: "Conversation",
  transcriptFile: "conversation.txt",
};

/** `template` with each `{name}` replaced by `values[name]`. */
export function formatText(template, values = {}) {
  return String(template).replace(/\{(\w+)\}/g, (whole, name) =>
    name in values ? String(values[name]) : whole,
  );
}
