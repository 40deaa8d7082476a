/* Group / 1:1 chat page: pick who you are and where you talk; the robot's replies appear live. */
"use strict";
const state = {dir: null, me: null, conv: null, lastSeq: 0, timer: null};
const $ = id => document.getElementById(id);

function conversations() {
  const groups = state.dir.groups.map(g => ({key: g.conversation_id, title: g.title, sub: g.members.length + " 人 / members",
                                             conversation_id: g.conversation_id, isGroup: true}));
  const me = state.dir.people.find(p => p.staff_id === state.me);
  groups.push({key: "dm", title: state.dir.robot.name + " (单聊 1:1)", sub: "robot", conversation_id: me.dm_conversation_id, isGroup: false});
  return groups;
}

function renderConvs() {
  $("convs").innerHTML = conversations().map(c =>
    `<div class="conv${state.conv && state.conv.key === c.key ? " active" : ""}" data-key="${esc(c.key)}">` +
    `<div class="title">${esc(c.title)}</div><div class="sub">${esc(c.sub)}</div></div>`).join("");
}

function selectConv(key) {
  state.conv = conversations().find(c => c.key === key) || conversations()[0];
  state.lastSeq = 0;
  $("messages").innerHTML = "";
  $("conv-title").textContent = state.conv.title;
  $("at-label").style.display = state.conv.isGroup ? "" : "none";
  renderConvs();
  poll();
}

async function poll() {
  if (!state.conv) return;
  const conv = state.conv;
  const q = new URLSearchParams({conversation_id: conv.conversation_id, after: String(state.lastSeq)});
  let data;
  try { data = await api("GET", "/_sim/timeline?" + q); } catch (e) { $("status").textContent = "offline"; return; }
  if (conv !== state.conv) return;
  $("status").textContent = "";
  const box = $("messages");
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  for (const e of data.messages) {
    if (e.seq <= state.lastSeq) continue;
    box.insertAdjacentHTML("beforeend", renderEntry(e, state.me));
    state.lastSeq = e.seq;
  }
  // Cards change after presses: re-render the ones on screen.
  for (const el of box.querySelectorAll(".msg[data-track]")) {
    const card = data.cards[el.dataset.track];
    if (!card) continue;
    const seq = Number(el.dataset.seq);
    const fresh = renderEntry({seq, via: "card", msgtype: "card", title: card.params.title,
                               text: card.params.markdown || card.params.text || card.params.content,
                               from_nick: state.dir.robot.name, card}, state.me);
    if (el.outerHTML !== fresh) el.outerHTML = fresh;
  }
  if (atBottom) box.scrollTop = box.scrollHeight;
}

async function sendText(text) {
  if (!text.trim()) return;
  const conv = state.conv;
  await api("POST", "/_sim/chat", {conversation_id: conv.isGroup ? conv.conversation_id : null, staff_id: state.me,
                                   text, at_bot: conv.isGroup ? $("at-bot").checked : true});
  poll();
}

async function main() {
  state.dir = await api("GET", "/_sim/directory");
  $("robot-name").textContent = state.dir.robot.name;
  $("me").innerHTML = state.dir.people.map(p => `<option value="${esc(p.staff_id)}">${esc(p.name)} (${esc(p.staff_id)})</option>`).join("");
  const params = new URLSearchParams(location.search);
  state.me = params.get("me") || state.dir.people[1].staff_id;
  $("me").value = state.me;
  $("me").addEventListener("change", () => { state.me = $("me").value; selectConv(state.conv ? state.conv.key : null); });
  $("convs").addEventListener("click", ev => { const el = ev.target.closest(".conv"); if (el) selectConv(el.dataset.key); });
  $("send").addEventListener("click", async () => { const t = $("text").value; $("text").value = ""; await sendText(t); });
  $("text").addEventListener("keydown", async ev => { if (ev.key === "Enter") { ev.preventDefault(); $("send").click(); } });
  wireClicks($("messages"), () => state.me, sendText);
  selectConv(params.get("conv") || state.dir.groups[0].conversation_id);
  state.timer = setInterval(poll, 700);
}
main();
