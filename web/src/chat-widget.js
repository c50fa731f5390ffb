// A chat widget for the bot's socket.io channel (Rasa's, with session_persistence on).
//
//   <script src="/chat-widget.js" data-server-url="https://bot.example.org"></script>
//
// or, from a script file of the page: ChatWidget.init({ serverUrl: "https://bot.example.org" }).
// It needs no inline script or style on the page: its CSS is a constructed stylesheet in
// its shadow root (chat-widget.css beside the script where that is unsupported), so it
// works under `Content-Security-Policy: default-src 'self'` with the server in connect-src.
//
// What people tell it stays theirs: "Delete chat" (or typing /forget) erases the
// conversation on the server (the tracker store, as /forget does) and on the device,
// "Quick exit" (or Escape three times) clears the device and replaces the page. Tabs of
// the site share one conversation (history.js). User text is only ever text; bot text
// is Markdown rendered safely (render.js).
import { io } from "socket.io-client";
import css from "./chat-widget.css";
import { History, mergeMessages, newId } from "./history.js";
import { renderMarkdown, renderText } from "./render.js";
import { DEFAULT_STRINGS, formatText } from "./strings.js";

const HOUR_MS = 3600 * 1000;
const DEFAULTS = {
  serverUrl: "",
  socketPath: "/socket.io/",
  storage: "local", // "local" (all tabs, kept), "session" (this tab only), "memory" (nothing kept)
  storageKey: "chat-widget",
  expiryHours: 72, // stored history older than this (since its last message) is cleared; null: never
  quickExitUrl: "https://www.google.com/",
  quickExitEscapes: 3, // Escape pressed this many times within 2 s: quick exit (0: off)
  initPayload: null, // sent once when a new conversation is first opened, e.g. "/greet"
  openOnStart: false,
  maxHistory: 200,
  maxLength: 2000, // characters; longer messages are refused with a note, never cut
  typingTimeoutMs: 20000,
  forgetTimeoutMs: 8000,
  locale: undefined, // for the times of messages; the browser's by default
  theme: {}, // {"--cw-primary": "#0a7"}: CSS variables on the widget
  strings: {},
  userMessageEvent: "user_uttered",
  botMessageEvent: "bot_uttered",
};
const FORGET = /^\/forget\s*(?:[{@].*)?$/s; // what the bot's NLU reads as the forget intent
const ESCAPE_WINDOW_MS = 2000;
const CHAT_ICON =
  "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2zm3 6a1.5 1.5 0 1 0 0 " +
  "3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 " +
  "1.5 1.5 0 0 0 0-3z";
const CLOSE_ICON = "M6 6l12 12M18 6L6 18";
// where this script came from, for the stylesheet fallback
const SCRIPT = typeof document !== "undefined" ? document.currentScript : null;

function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") node.textContent = value;
    else if (key === "hidden") node.hidden = true;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) node.append(child);
  return node;
}

function icon(d, { stroke = false } = {}) {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
  path.setAttribute("d", d);
  if (stroke) svg.setAttribute("class", "stroke");
  svg.append(path);
  return svg;
}

function length(text) {
  return [...text].length; // code points, as the server counts
}

// What to keep of one bot event: text, quick replies/buttons, an http(s) image.
function botMessage(data) {
  if (!data || typeof data !== "object") return null;
  const message = { from: "bot", text: typeof data.text === "string" ? data.text : "" };
  const buttons = Array.isArray(data.quick_replies) ? data.quick_replies : data.buttons;
  if (Array.isArray(buttons)) {
    const replies = buttons
      .filter((b) => b && typeof b.title === "string")
      .map((b) => ({ title: b.title, payload: typeof b.payload === "string" ? b.payload : b.title }));
    if (replies.length) message.replies = replies;
  }
  const src = data.attachment && data.attachment.payload && data.attachment.payload.src;
  if (typeof src === "string" && /^https?:\/\//i.test(src)) message.image = src;
  return message.text || message.image || message.replies ? message : null;
}

/** The quick replies on offer: those of the latest bot message that has some, minus
 * the ones already chosen, until the user types a message of their own. */
export function activeReplies(messages) {
  const chosen = new Set();
  for (let i = messages.length - 1; i >= 0; i -= 1) {
    const message = messages[i];
    if (message.from === "user") {
      if (!message.chosen) return [];
      chosen.add(message.text);
    } else if (message.replies && message.replies.length) {
      return message.replies.filter((reply) => !chosen.has(reply.title));
    }
  }
  return [];
}

class ChatWidget {
  constructor(options) {
    const strings = { ...DEFAULT_STRINGS, ...(options.strings || {}) };
    if (options.title) strings.title = options.title; // the options of earlier versions
    if (options.placeholder) strings.placeholder = options.placeholder;
    this.options = { ...DEFAULTS, ...options };
    this.strings = strings;
    if (!this.options.serverUrl) throw new Error("ChatWidget.init: serverUrl is required");
    const hours = Number(this.options.expiryHours);
    this.history = new History({
      mode: this.options.storage,
      key: this.options.storageKey,
      expiryMs: this.options.expiryHours === null || !(hours > 0) ? Infinity : hours * HOUR_MS,
      maxMessages: this.options.maxHistory,
    });
    this.rendered = new Map(); // message id -> its bubble
    this.unread = 0;
    this.escapes = [];
    this.leader = !this.history.shared; // in a shared history, one tab records the bot's replies
    this.state = this.fresh();
    const stored = this.history.read();
    if (stored && !stored.expired) this.state = { sessionId: stored.sessionId, messages: stored.messages };
    this.build();
    if (stored && stored.expired) this.notify(this.strings.expired);
    this.render({ scroll: "end" });
    this.listen();
    this.connect();
    if (this.history.open || this.options.openOnStart) this.open({ focus: false });
  }

  fresh() {
    return { sessionId: null, messages: [] };
  }

  // --- DOM ---
  build() {
    const s = this.strings;
    this.host = el("div", { class: "chat-widget-host" });
    const root = this.host.attachShadow({ mode: "open" });
    this.root = root;
    for (const [name, value] of Object.entries(this.options.theme || {})) {
      if (name.startsWith("--cw-")) this.host.style.setProperty(name, String(value));
    }
    const panelId = "cw-panel";
    this.badge = el("span", { class: "badge", "aria-hidden": "true", hidden: true });
    this.launcher = el(
      "button",
      { class: "launcher", type: "button", "aria-label": s.launcher, "aria-expanded": "false", "aria-controls": panelId },
      [icon(CHAT_ICON), this.badge],
    );
    this.status = el("div", { class: "status", role: "status" });
    this.notice = el("div", { class: "notice", role: "status" });
    this.announcer = el("div", { class: "sr-only", role: "status" }); // the typing indicator, for screen readers
    this.log = el("div", { class: "log", role: "log", "aria-live": "polite", "aria-label": s.log, tabindex: "0" });
    this.replies = el("div", { class: "replies", role: "group", "aria-label": s.suggested, hidden: true });
    this.typing = el("div", { class: "typing", hidden: true, "aria-hidden": "true" }, [el("span"), el("span"), el("span")]);
    this.input = el("textarea", {
      name: "message",
      rows: "1",
      autocomplete: "off",
      dir: "auto",
      placeholder: s.placeholder,
      "aria-label": s.inputLabel,
      "aria-describedby": "cw-limit",
    });
    this.limitNote = el("div", { class: "limit", id: "cw-limit", role: "alert" });
    this.sendButton = el("button", { type: "submit", class: "send", text: s.send });
    this.form = el("form", { class: "composer" }, [this.input, this.sendButton]);

    const exitHint = el("span", { id: "cw-exit-hint", hidden: true, text: s.quickExitHint }); // a description only
    this.exitButton = el("button", { type: "button", class: "exit", text: s.quickExit, "aria-describedby": "cw-exit-hint" });
    const close = el("button", { type: "button", class: "close", "aria-label": s.close }, [icon(CLOSE_ICON, { stroke: true })]);
    this.closeButton = close;
    const restart = el("button", { type: "button", text: s.restart });
    const download = el("button", { type: "button", text: s.download });
    this.deleteButton = el("button", { type: "button", class: "danger", text: s.delete });
    this.confirmNo = el("button", { type: "button", text: s.deleteNo });
    this.confirmYes = el("button", { type: "button", class: "danger", text: s.deleteYes });
    this.confirm = el("div", { class: "confirm", role: "group", "aria-labelledby": "cw-confirm-text", hidden: true }, [
      el("p", { id: "cw-confirm-text", text: s.deleteConfirm }),
      el("div", { class: "confirm-buttons" }, [this.confirmNo, this.confirmYes]),
    ]);
    this.panel = el("div", { class: "panel", id: panelId, role: "dialog", "aria-label": s.title, tabindex: "-1", hidden: true }, [
      el("div", { class: "header" }, [el("h2", { class: "title", text: s.title }), this.exitButton, close, exitHint]),
      el("div", { class: "tools" }, [restart, download, this.deleteButton]),
      this.confirm,
      this.status,
      this.notice,
      this.log,
      this.limitNote,
      this.form,
      this.announcer,
    ]);
    this.log.append(this.replies, this.typing);
    this.applyStyles(root);
    root.append(this.panel, this.launcher);

    this.launcher.addEventListener("click", () => (this.isOpen() ? this.close() : this.open()));
    close.addEventListener("click", () => this.close());
    this.exitButton.addEventListener("click", () => this.quickExit());
    restart.addEventListener("click", () => this.restart());
    download.addEventListener("click", () => this.download());
    this.deleteButton.addEventListener("click", () => this.askToDelete());
    this.confirmNo.addEventListener("click", () => this.cancelDelete());
    this.confirmYes.addEventListener("click", () => {
      this.cancelDelete({ focus: false });
      this.erase();
    });
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.submit();
      }
    });
    this.input.addEventListener("input", () => {
      this.fitInput();
      if (this.input.getAttribute("aria-invalid") && length(this.input.value.trim()) <= this.options.maxLength) {
        this.showLimit(null);
      }
    });
    const mount = () => document.body.append(this.host);
    if (document.body) mount();
    else document.addEventListener("DOMContentLoaded", mount, { once: true });
  }

  applyStyles(root) {
    try {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
      root.adoptedStyleSheets = [sheet];
    } catch {
      // no constructed stylesheets (older browsers): the CSS file beside the script
      const href = this.options.cssUrl || (SCRIPT && SCRIPT.src ? new URL("chat-widget.css", SCRIPT.src).href : null);
      if (href) root.append(el("link", { rel: "stylesheet", href }));
    }
  }

  listen() {
    // Escape closes the panel from anywhere in it; pressed quickly three times, anywhere
    // on the page, it is the quick exit
    this.onKeydown = (event) => {
      if (event.key !== "Escape") return;
      const now = Date.now();
      this.escapes = [...this.escapes.filter((t) => now - t < ESCAPE_WINDOW_MS), now];
      const needed = Number(this.options.quickExitEscapes);
      if (needed > 0 && this.escapes.length >= needed) {
        event.preventDefault();
        this.quickExit();
        return;
      }
      const active = document.activeElement;
      const inWidget = active === this.host || !active || active === document.body;
      if (!this.isOpen() || !inWidget) return;
      if (!this.confirm.hidden && this.root.activeElement && this.confirm.contains(this.root.activeElement)) {
        this.cancelDelete();
      } else {
        this.close();
      }
    };
    document.addEventListener("keydown", this.onKeydown);
    if (this.history.shared) {
      this.onStorage = (event) => {
        if (event.storageArea === localStorage && (event.key === this.options.storageKey || event.key === null)) {
          this.followStorage();
        }
      };
      window.addEventListener("storage", this.onStorage);
      if (navigator.locks) {
        navigator.locks
          .request(`${this.options.storageKey}:writer`, () => {
            this.leader = true;
            return new Promise((resolve) => (this.releaseLeader = resolve));
          })
          .catch(() => (this.leader = true));
      } else {
        this.leader = true;
      }
    }
    if (typeof BroadcastChannel === "function") {
      this.channel = new BroadcastChannel(this.options.storageKey);
      this.channel.onmessage = (event) => this.onBroadcast(event.data);
    }
    // expiry also while the page stays open
    this.expiryTimer = setInterval(() => this.checkExpiry(), 60 * 1000);
    if (window.visualViewport) {
      // the on-screen keyboard shrinks the visual viewport: the full-screen panel follows
      this.onViewport = () => {
        this.host.style.setProperty("--cw-vvh", `${window.visualViewport.height}px`);
        this.host.style.setProperty("--cw-vvtop", `${window.visualViewport.offsetTop}px`);
      };
      window.visualViewport.addEventListener("resize", this.onViewport);
      window.visualViewport.addEventListener("scroll", this.onViewport);
      this.onViewport();
    }
  }

  isOpen() {
    return !this.panel.hidden;
  }

  open({ focus = true } = {}) {
    this.panel.hidden = false;
    this.launcher.setAttribute("aria-expanded", "true");
    this.history.open = true;
    this.setUnread(0);
    this.scrollToEnd();
    if (focus) this.input.focus();
    this.sendInitPayload();
  }

  close() {
    this.panel.hidden = true;
    this.launcher.setAttribute("aria-expanded", "false");
    this.history.open = false;
    this.launcher.focus();
  }

  setUnread(count) {
    this.unread = count;
    this.badge.hidden = count === 0;
    this.badge.textContent = count > 99 ? "99+" : String(count);
    const s = this.strings;
    this.launcher.setAttribute("aria-label", count ? formatText(s.launcherUnread, { count: this.badge.textContent }) : s.launcher);
  }

  notify(text) {
    this.notice.textContent = text || "";
    this.notice.classList.toggle("shown", Boolean(text));
  }

  showLimit(text) {
    this.limitNote.textContent = text || "";
    this.limitNote.classList.toggle("shown", Boolean(text));
    if (text) this.input.setAttribute("aria-invalid", "true");
    else this.input.removeAttribute("aria-invalid");
  }

  fitInput() {
    this.input.style.height = "auto";
    this.input.style.height = `${Math.min(this.input.scrollHeight + 2, 140)}px`;
  }

  time(at) {
    try {
      return new Intl.DateTimeFormat(this.options.locale, { hour: "2-digit", minute: "2-digit" }).format(new Date(at));
    } catch {
      return new Date(at).toLocaleTimeString();
    }
  }

  bubble(message) {
    const isUser = message.from === "user";
    const s = this.strings;
    const when = this.time(message.at);
    const bubble = el("div", {
      class: `msg ${isUser ? "user" : "bot"}`,
      title: new Date(message.at).toLocaleString(this.options.locale),
    });
    // who said it and when, for screen readers (the bubbles' colours and places say it visually)
    bubble.append(el("span", { class: "sr-only", text: `${isUser ? s.you : s.bot}, ${when}: ` }));
    if (message.text) {
      const body = el("div", { class: "body", dir: "auto" });
      body.append(isUser ? renderText(message.text) : renderMarkdown(message.text));
      bubble.append(body);
    }
    if (message.image) bubble.append(el("img", { src: message.image, alt: "" }));
    return bubble;
  }

  /** Bring the log in line with the state: new bubbles in place, old ones kept. */
  render({ scroll = "new" } = {}) {
    const wanted = new Set(this.state.messages.map((m) => m.id));
    for (const [id, node] of this.rendered) {
      if (!wanted.has(id)) {
        node.remove();
        this.rendered.delete(id);
      }
    }
    let newBot = false;
    let turnStart = null; // the first bubble of the bot's latest reply
    let previous = null;
    for (const message of this.state.messages) {
      let node = this.rendered.get(message.id);
      if (!node) {
        node = this.bubble(message);
        this.rendered.set(message.id, node);
        newBot = newBot || message.from === "bot";
      }
      if (message.from === "user") turnStart = null;
      else if (!turnStart) turnStart = node;
      const expected = previous ? previous.nextSibling : this.log.firstChild;
      if (expected !== node) this.log.insertBefore(node, expected);
      previous = node;
    }
    this.renderReplies();
    if (scroll !== "end" && newBot && turnStart) this.scrollToShow(turnStart);
    else this.scrollToEnd();
  }

  renderReplies() {
    const focused = this.root.activeElement;
    const hadFocus = focused && this.replies.contains(focused);
    const replies = activeReplies(this.state.messages);
    this.replies.replaceChildren();
    for (const reply of replies) {
      const button = el("button", { type: "button", text: reply.title });
      button.addEventListener("click", (event) => this.choose(reply, event));
      this.replies.append(button);
    }
    this.replies.hidden = replies.length === 0;
    this.log.append(this.replies, this.typing); // always below the last message
    this.setOnline(this.online());
    if (hadFocus) this.focusInput();
  }

  scrollToEnd() {
    this.log.scrollTop = this.log.scrollHeight;
  }

  // a long reply is shown from its start, not scrolled past it
  scrollToShow(node) {
    const top = node.offsetTop - this.log.offsetTop - 8;
    this.log.scrollTop = Math.min(top, this.log.scrollHeight - this.log.clientHeight);
  }

  focusInput() {
    if (this.isOpen()) this.input.focus({ preventScroll: true });
  }

  setTyping(on) {
    clearTimeout(this.typingTimer);
    this.typing.hidden = !on;
    this.announcer.textContent = on ? this.strings.typing : "";
    if (on) {
      this.scrollToEnd();
      this.typingTimer = setTimeout(() => this.setTyping(false), this.options.typingTimeoutMs);
    }
  }

  online() {
    return Boolean(this.socket && this.socket.connected && this.confirmed && this.confirmed === this.state.sessionId);
  }

  setOnline(online) {
    const text = online ? "" : this.failed ? this.strings.offline : this.strings.connecting;
    if (this.status.textContent !== text) this.status.textContent = text;
    this.status.classList.toggle("shown", !online);
    // aria-disabled, not disabled: a focused control keeps its focus while offline
    for (const button of [this.sendButton, ...this.replies.querySelectorAll("button")]) {
      if (online) button.removeAttribute("aria-disabled");
      else button.setAttribute("aria-disabled", "true");
    }
    if (!online) this.setTyping(false);
  }

  // --- conversation ---
  submit() {
    const text = this.input.value.trim();
    if (!text) return;
    const count = length(text);
    if (count > this.options.maxLength) {
      this.showLimit(formatText(this.strings.tooLong, { count: count.toLocaleString(), max: this.options.maxLength.toLocaleString() }));
      return; // the text stays in the box
    }
    if (this.send(text)) {
      this.input.value = "";
      this.fitInput();
      this.showLimit(null);
    }
  }

  choose(reply, event) {
    if (!this.online()) return;
    this.send(reply.title, reply.payload, { chosen: true });
    // the chosen button is gone: focus goes where the next answer is typed, except on a
    // touch screen, where that would pop up the keyboard
    if (event && event.pointerType === "touch") this.log.focus({ preventScroll: true });
    else this.focusInput();
  }

  /** Show `text` as the user's message and send `payload` (default: the text). */
  send(text, payload = text, { chosen = false } = {}) {
    if (!this.online()) return false;
    if (FORGET.test(payload.trim())) {
      this.erase(); // the server erases on /forget: the device does too
      return true;
    }
    this.notify(null);
    const session = this.state.sessionId;
    this.add({ from: "user", text, ...(chosen ? { chosen: true } : {}) });
    if (this.state.sessionId !== session) return false; // another tab restarted or erased meanwhile
    this.emit(payload);
    return true;
  }

  emit(payload) {
    this.setTyping(true);
    this.socket.emit(this.options.userMessageEvent, { message: payload, session_id: this.state.sessionId });
  }

  add(message) {
    const full = { id: newId(), at: Date.now(), ...message };
    this.state.messages = [...this.state.messages, full].slice(-this.options.maxHistory);
    this.save();
    this.render();
  }

  sendInitPayload() {
    if (!this.options.initPayload || !this.isOpen() || this.state.messages.length || this.initSent) return;
    if (!this.online()) return; // sent once the session is confirmed
    this.initSent = true;
    this.emit(this.options.initPayload);
  }

  receive(data) {
    const message = botMessage(data);
    if (!message) return;
    this.setTyping(false);
    if (!this.leader) return; // the writing tab stores it; it arrives through the storage event
    this.add(message);
    if (!this.isOpen()) this.setUnread(this.unread + 1);
  }

  /** Save the state; when another tab changed the stored conversation, follow it. */
  save() {
    const result = this.history.write(this.state);
    if (result.written) {
      const before = this.state.messages.length;
      this.state = { sessionId: result.state.sessionId, messages: result.state.messages };
      return this.state.messages.length !== before;
    }
    this.adopt(result.stored);
    return true;
  }

  followStorage() {
    const stored = this.history.read();
    this.adopt(stored && !stored.expired ? stored : null);
  }

  /** Take over the stored conversation another tab wrote (null: it was erased). */
  adopt(stored) {
    this.history.lastSeen = this.history.raw();
    if (!stored) {
      if (this.state.sessionId || this.state.messages.length) this.startOver();
      return;
    }
    if (stored.sessionId !== this.state.sessionId) {
      this.state = { sessionId: stored.sessionId, messages: stored.messages };
      this.render({ scroll: "end" });
      this.connect(); // leave the old session's room, join the new one
      return;
    }
    const before = new Set(this.state.messages.map((m) => m.id));
    const merged = mergeMessages(this.state.messages, stored.messages);
    const newBot = merged.filter((m) => !before.has(m.id) && m.from === "bot").length;
    this.state = { sessionId: stored.sessionId, messages: merged };
    if (merged.length > stored.messages.length) this.save(); // ours were missing there
    if (newBot) this.setTyping(false);
    if (newBot && !this.isOpen()) this.setUnread(this.unread + newBot);
    this.render();
  }

  /** A new, empty conversation in this tab (the stored one is already gone or replaced). */
  startOver() {
    this.state = this.fresh();
    this.initSent = false;
    this.setTyping(false);
    this.setUnread(0);
    this.render({ scroll: "end" });
    this.connect();
  }

  restart() {
    this.history.remove();
    this.notify(null);
    this.startOver();
  }

  checkExpiry() {
    if (!this.state.messages.length) return;
    const last = this.state.messages[this.state.messages.length - 1].at;
    if (Date.now() - last > this.history.expiryMs) {
      this.history.remove();
      this.startOver();
      this.notify(this.strings.expired);
    }
  }

  askToDelete() {
    this.confirm.hidden = false;
    this.confirmNo.focus(); // the harmless choice first
  }

  cancelDelete({ focus = true } = {}) {
    this.confirm.hidden = true;
    if (focus) this.deleteButton.focus();
  }

  /** Erase the conversation on the server and on the device, in every tab; start anew. */
  erase() {
    const sessionId = this.state.sessionId;
    this.history.clearDevice();
    if (this.channel) this.channel.postMessage({ type: "erase" });
    this.startOver();
    this.focusInput();
    if (sessionId) this.forget(sessionId);
    else this.notify(this.strings.deleted);
  }

  /** `/forget` for `sessionId` on a socket of its own, as a user of that session would
   * type it: the server's tracker store erases the conversation, and acknowledges the
   * message once it has. Retried on every reconnect while this page is open. */
  forget(sessionId) {
    this.notify(this.strings.deleting);
    const socket = io(this.options.serverUrl, { path: this.options.socketPath, forceNew: true, reconnectionDelayMax: 5000 });
    let done = false;
    const finish = () => {
      done = true;
      clearTimeout(slow);
      socket.disconnect();
      this.notify(this.strings.deleted);
    };
    const slow = setTimeout(() => done || this.notify(this.strings.deletedDeviceOnly), this.options.forgetTimeoutMs);
    socket.on("connect", () => socket.emit("session_request", { session_id: sessionId }));
    socket.on("session_confirm", (confirmed) => {
      if (done) return;
      if (confirmed !== sessionId) return finish(); // the server holds nothing under that id for us
      socket.timeout(15000).emit(this.options.userMessageEvent, { message: "/forget", session_id: sessionId }, (err) => {
        if (!err) finish();
        else if (!done) socket.disconnect().connect(); // no acknowledgement: ask again
      });
    });
  }

  onBroadcast(data) {
    if (!data || typeof data !== "object") return;
    if (data.type === "exit") this.leave();
    else if (data.type === "erase" && this.history.shared) {
      this.history.lastSeen = null;
      if (this.state.sessionId || this.state.messages.length) this.startOver();
      this.notify(this.strings.deletedElsewhere);
    }
  }

  quickExit() {
    if (this.channel) this.channel.postMessage({ type: "exit" });
    this.leave();
  }

  /** Clear this chat from the device and the screen, and replace the page (so Back
   * does not return to it). */
  leave() {
    this.history.clearDevice();
    this.state = this.fresh();
    this.panel.hidden = true;
    this.log.replaceChildren();
    this.input.value = "";
    if (this.socket) this.socket.disconnect();
    window.location.replace(this.options.quickExitUrl);
  }

  transcript() {
    const s = this.strings;
    const lines = [`${s.transcriptTitle}, ${new Date().toLocaleString(this.options.locale)}`, ""];
    for (const m of this.state.messages) {
      const text = [m.text, m.image].filter(Boolean).join("\n");
      lines.push(`[${new Date(m.at).toLocaleString(this.options.locale)}] ${m.from === "user" ? s.you : s.bot}: ${text}`);
    }
    return `${lines.join("\n")}\n`;
  }

  download() {
    const url = URL.createObjectURL(new Blob([this.transcript()], { type: "text/plain;charset=utf-8" }));
    const link = el("a", { href: url, download: this.strings.transcriptFile });
    this.root.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  // --- the socket: one per session, so a new session leaves the old one's room ---
  connect() {
    if (this.socket) {
      this.socket.off();
      this.socket.disconnect();
    }
    this.confirmed = null;
    this.setOnline(false);
    const socket = io(this.options.serverUrl, { path: this.options.socketPath, forceNew: true, reconnectionDelayMax: 5000 });
    this.socket = socket;
    socket.on("connect", () => {
      // after every (re)connect the new socket joins the session; null asks for a new one
      socket.emit("session_request", { session_id: this.state.sessionId });
    });
    socket.on("session_confirm", (sessionId) => this.onSessionConfirm(socket, sessionId));
    socket.on(this.options.botMessageEvent, (data) => {
      if (socket === this.socket && this.online()) this.receive(data);
    });
    const offline = () => {
      if (socket !== this.socket) return;
      this.confirmed = null;
      this.failed = true;
      this.setOnline(false);
    };
    socket.on("connect_error", offline);
    socket.on("disconnect", offline);
  }

  // the server confirms the session, maybe with an id of its own: that one is kept
  onSessionConfirm(socket, sessionId) {
    if (socket !== this.socket || typeof sessionId !== "string" || !sessionId) return;
    if (sessionId !== this.state.sessionId) {
      this.state = { ...this.state, sessionId };
      this.save();
      if (this.state.sessionId !== sessionId) return; // another tab's session won: followed
    }
    this.confirmed = sessionId;
    this.failed = false;
    this.setOnline(true);
    // focus lost while offline (on the page body) comes back to the message box
    const active = document.activeElement;
    if (this.isOpen() && (!active || active === document.body)) this.focusInput();
    this.sendInitPayload();
  }

  destroy() {
    if (this.socket) {
      this.socket.off();
      this.socket.disconnect();
    }
    clearInterval(this.expiryTimer);
    document.removeEventListener("keydown", this.onKeydown);
    if (this.onStorage) window.removeEventListener("storage", this.onStorage);
    if (this.channel) this.channel.close();
    if (this.releaseLeader) this.releaseLeader();
    if (window.visualViewport && this.onViewport) {
      window.visualViewport.removeEventListener("resize", this.onViewport);
      window.visualViewport.removeEventListener("scroll", this.onViewport);
    }
    this.host.remove();
  }
}

let instance = null;

/** Start the widget once per page; returns {open, close, send, restart, erase, quickExit, destroy}. */
export function init(options = {}) {
  if (instance) return instance.api;
  instance = new ChatWidget(options);
  instance.api = {
    open: () => instance.open(),
    close: () => instance.close(),
    send: (text) => instance.send(text),
    restart: () => instance.restart(),
    erase: () => instance.erase(),
    quickExit: () => instance.quickExit(),
    get sessionId() {
      return instance.state.sessionId;
    },
    destroy: () => {
      instance.destroy();
      instance = null;
    },
  };
  return instance.api;
}

// data-* attributes of the script tag, as init options: data-server-url,
// data-storage, data-expiry-hours, data-quick-exit-url, data-title, data-strings (JSON), ...
export function optionsFromDataset(dataset) {
  const options = {};
  for (const [name, value] of Object.entries(dataset)) {
    if (name === "strings" || name === "theme") {
      try {
        options[name] = JSON.parse(value);
      } catch {
        // a malformed attribute is left out; the defaults apply
      }
    } else if (/^(expiryHours|maxLength|maxHistory|quickExitEscapes|typingTimeoutMs)$/.test(name)) {
      options[name] = value === "" || value === "never" ? null : Number(value);
    } else if (name === "openOnStart") {
      options[name] = value !== "false";
    } else {
      options[name] = value;
    }
  }
  return options;
}

globalThis.ChatWidget = { init };

if (SCRIPT && SCRIPT.dataset && SCRIPT.dataset.serverUrl) {
  const options = optionsFromDataset(SCRIPT.dataset);
  if (document.body) init(options);
  else document.addEventListener("DOMContentLoaded", () => init(options), { once: true });
}
