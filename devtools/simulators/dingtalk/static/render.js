/* Shared rendering of simulator timeline entries (what DingTalk clients would show). */
"use strict";
const DTMD = "dtmd://dingtalkclient/sendMessage?content=";

function esc(s) {
  return String(s == null ? "" : s).replace(/[&<>"']/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
}

function safeUrl(url) {
  return /^(https?:\/\/|\/|dtmd:\/\/)/.test(url) ? url : "#";
}

function inline(text) {
  let s = esc(text);
  s = s.replace(/!\[([^\]]*)\]\(([^)\s]+)\)/g, (m, alt, url) => `<img alt="${alt}" src="${esc(safeUrl(url))}">`);
  s = s.replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (m, label, url) => {
    const u = url.replace(/&amp;/g, "&");
    if (u.startsWith(DTMD)) {
      return `<a href="#" class="dtmd" data-content="${esc(decodeURIComponent(u.slice(DTMD.length)))}">${label}</a>`;
    }
    return `<a href="${esc(safeUrl(u))}" target="_blank" rel="noopener">${label}</a>`;
  });
  s = s.replace(/\*\*([^*]+)\*\*/g, "<b>$1</b>").replace(/\*([^*]+)\*/g, "<i>$1</i>");
  return s;
}

/* The DingTalk markdown subset: headings, quotes, lists, bold, italic, links, images. */
function markdown(text) {
  const out = [];
  let list = null;
  const close = () => { if (list) { out.push(`</${list}>`); list = null; } };
  for (const raw of String(text || "").split("\n")) {
    const line = raw.trimEnd();
    let m;
    if (!line.trim()) { close(); continue; }
    if ((m = line.match(/^#{1,6}\s+(.*)$/))) { close(); out.push(`<h4>${inline(m[1])}</h4>`); }
    else if ((m = line.match(/^>\s?(.*)$/))) { close(); out.push(`<blockquote>${inline(m[1])}</blockquote>`); }
    else if ((m = line.match(/^\s*[-*]\s+(.*)$/))) { if (list !== "ul") { close(); out.push("<ul>"); list = "ul"; } out.push(`<li>${inline(m[1])}</li>`); }
    else if ((m = line.match(/^\s*\d+\.\s+(.*)$/))) { if (list !== "ol") { close(); out.push("<ol>"); list = "ol"; } out.push(`<li>${inline(m[1])}</li>`); }
    else { close(); out.push(`<p>${inline(line)}</p>`); }
  }
  close();
  return out.join("");
}

function initials(name) {
  const n = String(name || "?").trim();
  return /[\u3400-\u9fff]/.test(n) ? n.slice(-2) : n.split(/\s+/).map(w => w[0]).join("").slice(0, 2).toUpperCase();
}

/* One timeline entry -> HTML. `me` is the viewer's staff id. */
function renderEntry(e, me) {
  const isUser = e.via === "user";
  const mine = isUser && e.from_staff_id === me;
  const who = isUser ? (e.from_nick || e.from_staff_id) : e.from_nick;
  let inner;
  if (isUser) {
    inner = `<div class="bubble">${esc(e.text)}</div>`;
  } else if (e.msgtype === "text") {
    inner = `<div class="bubble">${esc(e.text)}</div>`;
  } else if (e.msgtype === "markdown") {
    inner = `<div class="bubble md">${markdown(e.text)}</div>`;
  } else if (e.msgtype === "image") {
    inner = `<div class="bubble md"><img src="${esc(safeUrl(e.text))}"></div>`;
  } else if (e.msgtype === "actionCard" || e.msgtype === "card") {
    const card = e.card || null;
    const status = card && card.status ? `<span class="status ${esc(card.status)}">${esc(card.status)}</span>` : "";
    const buttons = (card ? card.buttons : e.buttons) || [];
    const btns = buttons.map(b => {
      if (card) {
        return `<button class="card-btn" data-track="${esc(card.out_track_id)}" data-params="${esc(JSON.stringify(b.params || {}))}">${esc(b.title)}</button>`;
      }
      return `<button class="card-btn" data-content="${esc(b.content == null ? "" : b.content)}" data-url="${esc(b.url || "")}">${esc(b.title)}</button>`;
    }).join("");
    const vertical = buttons.length > 2 ? " vertical" : "";
    // An actionCard's title shows only in notifications; an interactive card shows its title param.
    const head = card ? `<div class="card-title">${esc(e.title || "")} ${status}</div>` : "";
    inner = `<div class="card">${head}` +
            `<div class="card-text bubble md">${markdown(e.text)}</div>` +
            (btns ? `<div class="btns${vertical}">${btns}</div>` : "") + `</div>`;
  } else {
    inner = `<div class="bubble">${esc(e.text)}</div>`;
  }
  const kind = isUser ? "user" : "bot";
  return `<div class="msg ${kind}${mine ? " mine" : ""}" data-seq="${e.seq}" data-msgtype="${esc(e.msgtype || "")}"` +
         `${e.card ? ` data-track="${esc(e.card.out_track_id)}"` : ""}>` +
         `<div class="avatar">${esc(initials(who))}</div><div class="body"><div class="name">${esc(who)}` +
         `<span class="msgtype">${esc(isUser ? "" : e.via + " · " + e.msgtype)}</span></div>${inner}</div></div>`;
}

async function api(method, path, body) {
  const r = await fetch(path, {method, headers: {"Content-Type": "application/json"}, body: body ? JSON.stringify(body) : undefined});
  return r.json();
}

/* Clicks inside a message list: dtmd buttons/links send their text; card buttons press the card. */
function wireClicks(container, getMe, sendText) {
  container.addEventListener("click", async ev => {
    const el = ev.target.closest("[data-content], [data-track].card-btn");
    if (!el) return;
    ev.preventDefault();
    if (el.classList.contains("card-btn") && el.dataset.track) {
      await api("POST", "/_sim/card_action", {out_track_id: el.dataset.track, staff_id: getMe(), params: JSON.parse(el.dataset.params || "{}")});
    } else if (el.dataset.content) {
      await sendText(el.dataset.content);
    } else if (el.dataset.url) {
      window.open(el.dataset.url, "_blank");
    }
  });
}
