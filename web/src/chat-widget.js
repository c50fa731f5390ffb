// A small chat widget for Rasa's socket.io channel (with session_persistence on).
//
//   <script src="/chat-widget.js"></script>
//   <script>ChatWidget.init({ serverUrl: "https://bot.example.org" });</script>
//
// Everything the user or the bot writes goes into the page as text nodes, never as
// HTML; only http(s) links become <a> elements, built with the DOM API.
import { io } from "socket.io-client";
import css from "./chat-widget.css";

const DEFAULTS = {
  serverUrl: "",
  socketPath: "/socket.io/",
  title: "Chat",
  placeholder: "Type a message…",
  storageKey: "chat-widget",
  initPayload: null, // sent once when a new conversation is first opened, e.g. "/greet"
  openOnStart: false,
  maxHistory: 200,
  typingTimeoutMs: 20000,
  theme: {}, // {"--cw-primary": "#0a7"}: CSS variables on the widget
  userMessageEvent: "user_uttered",
  botMessageEvent: "bot_uttered",
};
const OFFLINE_TEXT = "Can't reach the chat server. Trying to reconnect…";
const CONNECTING_TEXT = "Connecting to the chat server…";
const URL_PATTERN = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]}]/gi;
const CHAT_ICON =
  "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2zm3 6a1.5 1.5 0 1 0 0 " +
  "3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 " +
  "1.5 1.5 0 0 0 0-3z";

function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "text") node.textContent = value;
    else if (key === "hidden") node.hidden = Boolean(value);
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function newSessionId() {
  if (globalThis.crypto && crypto.randomUUID) return crypto.randomUUID().replace(/-/g, "");
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// Text with its http(s) links as safe anchors; line breaks stay (CSS pre-wrap).
export function renderText(value) {
  const text = String(value);
  const fragment = document.createDocumentFragment();
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    fragment.append(document.createTextNode(text.slice(last, match.index)));
    let url = null;
    try {
      url = new URL(match[0]);
    } catch {
      url = null;
    }
    if (url && (url.protocol === "http:" || url.protocol === "https:")) {
      const link = el("a", {
        href: url.href,
        target: "_blank",
        rel: "noopener noreferrer nofollow",
        text: match[0],
      });
      fragment.append(link);
    } else {
      fragment.append(document.createTextNode(match[0]));
    }
    last = match.index + match[0].length;
  }
  fragment.append(document.createTextNode(text.slice(last)));
  return fragment;
}

// What to keep of one bot event: text, quick replies/buttons, an http(s) image.
function botMessage(data) {
  if (!data || typeof data !== "object") return null;
  const message = { from: "bot", text: typeof data.text === "string" ? data.text : "" };
  const buttons = Array.isArray(data.quick_replies) ? data.quick_replies : data.buttons;
  if (Array.isArray(buttons)) {
    message.replies = buttons
      .filter((b) => b && typeof b.title === "string")
      .map((b) => ({ title: b.title, payload: typeof b.payload === "string" ? b.payload : b.title }));
  }
  const src = data.attachment && data.attachment.payload && data.attachment.payload.src;
  if (typeof src === "string" && /^https?:\/\//i.test(src)) message.image = src;
  return message.text || message.image || (message.replies && message.replies.length)
    ? message
    : null;
}

class ChatWidget {
  constructor(options) {
    this.options = { ...DEFAULTS, ...options };
    if (!this.options.serverUrl) throw new Error("ChatWidget.init: serverUrl is required");
    this.state = this.load();
    this.build();
    this.renderHistory();
    this.connect();
    if (this.state.open || this.options.openOnStart) this.open({ focus: false });
  }

  // --- persistence: session id, history and open state survive reloads ---
  load() {
    let saved = null;
    try {
      saved = JSON.parse(localStorage.getItem(this.options.storageKey) || "null");
    } catch {
      saved = null;
    }
    const valid = saved && typeof saved.sessionId === "string" && Array.isArray(saved.messages);
    return valid
      ? {
          sessionId: saved.sessionId,
          // whatever another script or an older version left there: keep only messages
          messages: saved.messages.filter((m) => m && typeof m === "object" && m.from),
          open: Boolean(saved.open),
        }
      : { sessionId: newSessionId(), messages: [], open: false };
  }

  save() {
    this.state.messages = this.state.messages.slice(-this.options.maxHistory);
    try {
      localStorage.setItem(this.options.storageKey, JSON.stringify(this.state));
    } catch {
      // storage full or disabled: the chat still works, it just won't survive a reload
    }
  }

  // --- DOM ---
  build() {
    this.host = el("div", { class: "chat-widget-host" });
    const root = this.host.attachShadow({ mode: "open" });
    for (const [name, value] of Object.entries(this.options.theme || {})) {
      if (name.startsWith("--cw-")) this.host.style.setProperty(name, String(value));
    }
    const panelId = "cw-panel";
    const icon = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    icon.setAttribute("viewBox", "0 0 24 24");
    icon.setAttribute("aria-hidden", "true");
    const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
    path.setAttribute("d", CHAT_ICON);
    icon.append(path);

    this.launcher = el(
      "button",
      { class: "launcher", type: "button", "aria-label": "Open chat", "aria-expanded": "false", "aria-controls": panelId },
      [icon],
    );
    this.status = el("div", { class: "status", role: "status", hidden: true });
    this.log = el("div", { class: "log", role: "log", "aria-live": "polite", "aria-label": "Conversation" });
    this.typing = el("div", { class: "typing", hidden: true, role: "status", "aria-label": "The bot is typing" }, [
      el("span"),
      el("span"),
      el("span"),
    ]);
    this.input = el("input", {
      type: "text",
      name: "message",
      autocomplete: "off",
      maxlength: "2000",
      placeholder: this.options.placeholder,
      "aria-label": "Your message",
    });
    this.sendButton = el("button", { type: "submit", text: "Send" });
    this.form = el("form", { class: "composer" }, [this.input, this.sendButton]);
    const restart = el("button", { type: "button", class: "restart", text: "Restart", "aria-label": "Start a new conversation" });
    const close = el("button", { type: "button", class: "close", "aria-label": "Close chat", text: "×" });
    this.panel = el(
      "div",
      { class: "panel", id: panelId, role: "dialog", "aria-label": this.options.title, hidden: true },
      [el("div", { class: "header" }, [el("h2", { class: "title", text: this.options.title }), restart, close]), this.status, this.log, this.form],
    );
    const style = el("style", { text: css });
    root.append(style, this.panel, this.launcher);

    this.launcher.addEventListener("click", () => (this.isOpen() ? this.close() : this.open()));
    close.addEventListener("click", () => this.close());
    restart.addEventListener("click", () => this.restart());
    this.panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape") this.close();
    });
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = this.input.value.trim();
      if (!text) return;
      this.input.value = "";
      this.send(text);
    });
    document.body.append(this.host);
  }

  isOpen() {
    return !this.panel.hidden;
  }

  open({ focus = true } = {}) {
    this.panel.hidden = false;
    this.launcher.setAttribute("aria-expanded", "true");
    this.launcher.setAttribute("aria-label", "Close chat");
    this.state.open = true;
    this.save();
    this.scrollDown();
    if (focus) this.input.focus();
    if (this.options.initPayload && this.state.messages.length === 0 && !this.initSent) {
      this.initSent = true;
      this.emit(this.options.initPayload);
    }
  }

  close() {
    this.panel.hidden = true;
    this.launcher.setAttribute("aria-expanded", "false");
    this.launcher.setAttribute("aria-label", "Open chat");
    this.state.open = false;
    this.save();
    this.launcher.focus();
  }

  renderHistory() {
    this.log.replaceChildren();
    this.state.messages.forEach((message, index) => {
      const isLast = index === this.state.messages.length - 1;
      this.renderMessage(message, { replies: isLast });
    });
  }

  renderMessage(message, { replies = true } = {}) {
    const bubble = el("div", { class: `msg ${message.from === "user" ? "user" : "bot"}` });
    // who said it, for screen readers (the bubbles' colours say it visually)
    bubble.append(el("span", { class: "sr-only", text: message.from === "user" ? "You: " : "Bot: " }));
    if (message.text) bubble.append(renderText(message.text));
    if (message.image) bubble.append(el("img", { src: message.image, alt: "" }));
    this.log.append(bubble);
    if (replies && message.replies && message.replies.length) this.renderReplies(message.replies);
    this.scrollDown();
  }

  renderReplies(replies) {
    const group = el("div", { class: "replies", role: "group", "aria-label": "Suggested replies" });
    for (const reply of replies) {
      const button = el("button", { type: "button", text: reply.title });
      button.disabled = !(this.socket && this.socket.connected);
      button.addEventListener("click", () => this.send(reply.title, reply.payload));
      group.append(button);
    }
    this.log.append(group);
  }

  clearReplies() {
    for (const group of this.log.querySelectorAll(".replies")) group.remove();
  }

  scrollDown() {
    this.log.scrollTop = this.log.scrollHeight;
  }

  setTyping(on) {
    clearTimeout(this.typingTimer);
    this.typing.hidden = !on;
    if (on) {
      this.log.append(this.typing); // always below the last message
      this.scrollDown();
      this.typingTimer = setTimeout(() => this.setTyping(false), this.options.typingTimeoutMs);
    }
  }

  setOnline(online, text = OFFLINE_TEXT) {
    this.status.hidden = online;
    this.status.textContent = online ? "" : text;
    this.input.disabled = !online;
    this.sendButton.disabled = !online;
    for (const button of this.log.querySelectorAll(".replies button")) button.disabled = !online;
    if (!online) this.setTyping(false);
  }

  // --- conversation ---
  /** Show `text` as the user's message and send `payload` (default: the text). */
  send(text, payload = text) {
    if (!this.socket || !this.socket.connected) return false;
    this.clearReplies();
    const message = { from: "user", text };
    this.state.messages.push(message);
    this.save();
    this.renderMessage(message);
    this.emit(payload);
    return true;
  }

  emit(payload) {
    this.setTyping(true);
    this.socket.emit(this.options.userMessageEvent, {
      message: payload,
      session_id: this.state.sessionId,
    });
  }

  receive(data) {
    const message = botMessage(data);
    if (!message) return;
    this.setTyping(false);
    this.clearReplies();
    this.state.messages.push(message);
    this.save();
    this.renderMessage(message);
  }

  restart() {
    this.state = { sessionId: newSessionId(), messages: [], open: this.isOpen() };
    this.initSent = false;
    this.save();
    this.renderHistory();
    this.requestSession();
    if (this.options.initPayload && this.isOpen()) {
      this.initSent = true;
      this.emit(this.options.initPayload);
    }
  }

  requestSession() {
    this.socket.emit("session_request", { session_id: this.state.sessionId });
  }

  connect() {
    this.setOnline(false, CONNECTING_TEXT);
    this.socket = io(this.options.serverUrl, {
      path: this.options.socketPath,
      reconnectionDelayMax: 5000,
    });
    this.socket.on("connect", () => {
      this.setOnline(true);
      this.requestSession(); // after every (re)connect: the new socket joins the session
    });
    this.socket.on("session_confirm", (sessionId) => {
      if (typeof sessionId === "string" && sessionId && sessionId !== this.state.sessionId) {
        this.state.sessionId = sessionId;
        this.save();
      }
    });
    this.socket.on(this.options.botMessageEvent, (data) => this.receive(data));
    this.socket.on("connect_error", () => this.setOnline(false));
    this.socket.on("disconnect", () => this.setOnline(false));
  }

  destroy() {
    this.socket.disconnect();
    this.host.remove();
  }
}

let instance = null;

/** Start the widget once per page; returns {open, close, send, restart, destroy}. */
export function init(options = {}) {
  if (instance) return instance.api;
  instance = new ChatWidget(options);
  instance.api = {
    open: () => instance.open(),
    close: () => instance.close(),
    send: (text) => instance.send(text),
    restart: () => instance.restart(),
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

globalThis.ChatWidget = { init };
