// How message text becomes DOM. A user's text is only ever text (with its http(s)
// links made clickable); a bot's text is Markdown rendered by markdown-it with raw HTML
// off, then passed through DOMPurify with a short allow-list, so neither a bug in one
// nor a crafted reply can put script, styles or other elements into the page.
import DOMPurify from "dompurify";
import MarkdownIt from "markdown-it";

const SAFE_URL = /^(?:https?:|mailto:|tel:)/i;
const URL_PATTERN = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]}]/gi;

const markdown = new MarkdownIt("default", { html: false, linkify: true, breaks: true });
// what a chat bubble needs: emphasis, lists, links, inline code, paragraphs
markdown.disable(["image", "table", "heading", "lheading", "hr", "code", "fence", "blockquote", "reference"]);
markdown.linkify.set({ fuzzyLink: false, fuzzyEmail: true });
markdown.validateLink = (url) => SAFE_URL.test(url.trim()); // javascript:, data:, ... stay text

const PURIFY = {
  ALLOWED_TAGS: ["p", "br", "strong", "em", "s", "ul", "ol", "li", "a", "code"],
  ALLOWED_ATTR: ["href", "start"],
  ALLOWED_URI_REGEXP: SAFE_URL,
  RETURN_DOM_FRAGMENT: true,
};

function finishLinks(root) {
  for (const link of root.querySelectorAll("a")) {
    const href = link.getAttribute("href") || "";
    if (!SAFE_URL.test(href)) {
      link.replaceWith(document.createTextNode(link.textContent));
      continue;
    }
    link.setAttribute("rel", "noopener noreferrer nofollow");
    if (/^https?:/i.test(href)) link.setAttribute("target", "_blank");
  }
  return root;
}

/** A bot message's Markdown (bold, lists, http(s)/mailto:/tel: links) as safe DOM. */
export function renderMarkdown(value) {
  return finishLinks(DOMPurify.sanitize(markdown.render(String(value)), PURIFY));
}

/** Plain text with its http(s) links as safe anchors; line breaks stay (CSS pre-wrap). */
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
      const link = document.createElement("a");
      link.href = url.href;
      link.target = "_blank";
      link.rel = "noopener noreferrer nofollow";
      link.textContent = match[0];
      fragment.append(link);
    } else {
      fragment.append(document.createTextNode(match[0]));
    }
    last = match.index + match[0].length;
  }
  fragment.append(document.createTextNode(text.slice(last)));
  return fragment;
}
