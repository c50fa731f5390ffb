// Where the conversation is kept on the device, and how tabs share it.
//
// One record per site under `key`: {v, sessionId, messages, updatedAt}. In "local" mode
// every tab of the site shares it through localStorage and its `storage` events; in
// "session" mode it lives in this tab's sessionStorage; in "memory" mode nowhere.
//
// Writing is compare-and-swap: a tab writes only over the record it last saw, or over
// a newer copy of its own session (merged: messages are a union by id, ordered by
// time). A record of another session, or none where the tab had seen one, means
// another tab restarted or erased: this tab follows instead of writing its old
// conversation back.

const VERSION = 2;

export function newId() {
  if (globalThis.crypto && crypto.randomUUID) return crypto.randomUUID().replace(/-/g, "");
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function storageArea(mode) {
  try {
    if (mode === "local") return globalThis.localStorage;
    if (mode === "session") return globalThis.sessionStorage;
  } catch {
    // storage disabled (e.g. blocked cookies): behave as memory
  }
  return null;
}

function validMessage(message) {
  return (
    message &&
    typeof message === "object" &&
    (message.from === "user" || message.from === "bot") &&
    typeof message.id === "string" &&
    typeof message.at === "number" &&
    (typeof message.text === "string" || typeof message.image === "string")
  );
}

/** Messages of both lists, each once, in the order they were said. */
export function mergeMessages(ours, theirs) {
  const byId = new Map();
  for (const message of [...theirs, ...ours]) if (!byId.has(message.id)) byId.set(message.id, message);
  return [...byId.values()].sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export class History {
  constructor({ mode = "local", key, expiryMs, maxMessages, now = () => Date.now() }) {
    this.mode = mode === "session" || mode === "memory" ? mode : "local";
    this.key = key;
    this.expiryMs = expiryMs;
    this.maxMessages = maxMessages;
    this.now = now;
    this.area = storageArea(this.mode);
    this.lastSeen = null; // the raw record this tab last read or wrote
  }

  get shared() {
    return this.mode === "local" && this.area !== null;
  }

  expired(record) {
    return Number.isFinite(this.expiryMs) && this.now() - record.updatedAt > this.expiryMs;
  }

  parse(raw) {
    let data = null;
    try {
      data = JSON.parse(raw || "null");
    } catch {
      return null;
    }
    if (!data || data.v !== VERSION || typeof data.sessionId !== "string" || !data.sessionId) return null;
    if (!Array.isArray(data.messages) || typeof data.updatedAt !== "number") return null;
    return { sessionId: data.sessionId, messages: data.messages.filter(validMessage), updatedAt: data.updatedAt };
  }

  raw() {
    try {
      return this.area ? this.area.getItem(this.key) : null;
    } catch {
      return null;
    }
  }

  /** The stored record, or null (none, unreadable or expired: then it is removed). */
  read() {
    const raw = this.raw();
    this.lastSeen = raw;
    const record = this.parse(raw);
    if (raw !== null && (!record || this.expired(record))) {
      this.remove();
      return record ? { ...record, expired: true } : null;
    }
    return record;
  }

  /**
   * Save `state` unless another tab changed the record meanwhile. Returns
   * {written: true, state} (state merged with a newer copy of the same session), or
   * {written: false, stored} where `stored` is the other tab's record (null: erased).
   */
  write(state) {
    const record = {
      v: VERSION,
      sessionId: state.sessionId,
      messages: state.messages.slice(-this.maxMessages),
      updatedAt: this.now(),
    };
    if (!this.area) return { written: true, state: record };
    const raw = this.raw();
    if (raw !== this.lastSeen) {
      const stored = this.parse(raw);
      if (!stored || stored.sessionId !== state.sessionId) return { written: false, stored };
      record.messages = mergeMessages(record.messages, stored.messages).slice(-this.maxMessages);
    }
    const text = JSON.stringify(record);
    try {
      this.area.setItem(this.key, text);
      this.lastSeen = text;
    } catch {
      // storage full or disabled: the chat goes on, it just won't survive a reload
    }
    return { written: true, state: record };
  }

  remove() {
    try {
      if (this.area) this.area.removeItem(this.key);
    } catch {
      // nothing stored, nothing to remove
    }
    this.lastSeen = null;
  }

  /** Remove every key of the widget (this `key` and `key:*`) from both storages. */
  clearDevice() {
    for (const name of ["localStorage", "sessionStorage"]) {
      try {
        const area = globalThis[name];
        const keys = [];
        for (let i = 0; i < area.length; i += 1) keys.push(area.key(i));
        for (const k of keys) if (k === this.key || k.startsWith(`${this.key}:`)) area.removeItem(k);
      } catch {
        // storage disabled: nothing there
      }
    }
    this.lastSeen = null;
  }

  // this tab's open/closed panel (never shared: a new visit starts closed)
  get open() {
    try {
      return this.mode !== "memory" && sessionStorage.getItem(`${this.key}:open`) === "1";
    } catch {
      return false;
    }
  }

  set open(value) {
    try {
      if (this.mode === "memory") return;
      if (value) sessionStorage.setItem(`${this.key}:open`, "1");
      else sessionStorage.removeItem(`${this.key}:open`);
    } catch {
      // storage disabled
    }
  }
}
