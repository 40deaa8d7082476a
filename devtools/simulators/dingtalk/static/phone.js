/* A manager's phone: everything addressed to them (1:1 messages, @-mentions, approval cards). */
"use strict";
const state = {dir: null, me: null, lastSeq: 0};
const $ = id => document.getElementById(id);

async function poll() {
  const me = state.me;
  const data = await api("GET", "/_sim/timeline?" + new URLSearchParams({staff_id: me, after: String(state.lastSeq)}));
  if (me !== state.me) return;
  const box = $("messages");
  for (const e of data.messages) {
    if (e.seq <= state.lastSeq) continue;
    box.insertAdjacentHTML("beforeend", renderEntry(e, me));
    state.lastSeq = e.seq;
    box.scrollTop = box.scrollHeight;
  }
  let pending = 0;
  for (const el of box.querySelectorAll(".msg[data-track]")) {
    const card = data.cards[el.dataset.track];
    if (!card) continue;
    if (card.buttons.length) pending += 1;
    const fresh = renderEntry({seq: Number(el.dataset.seq), via: "card", msgtype: "card", title: card.params.title,
                               text: card.params.markdown || card.params.text || card.params.content,
                               from_nick: state.dir.robot.name, card}, me);
    if (el.outerHTML !== fresh) el.outerHTML = fresh;
  }
  // An actionCard keeps no state (its buttons only send chat text): it waits for me until I have
  // sent one of its buttons' texts after it.
  for (const el of box.querySelectorAll('.msg.bot[data-msgtype="actionCard"]')) {
    const contents = [...el.querySelectorAll(".card-btn[data-content]")].map(b => b.dataset.content).filter(Boolean);
    if (!contents.length) continue;
    const answered = [...box.querySelectorAll(".msg.user.mine")].some(m =>
      Number(m.dataset.seq) > Number(el.dataset.seq) && contents.includes(m.querySelector(".bubble").textContent.trim()));
    el.classList.toggle("answered", answered);
    if (!answered) pending += 1;
  }
  $("pending-title").textContent = `待审批 Pending: ${pending}`;
}

async function sendText(text) {
  if (!text.trim()) return;
  await api("POST", "/_sim/chat", {conversation_id: null, staff_id: state.me, text, at_bot: true});
  poll();
}

function selectMe(staffId) {
  state.me = staffId;
  state.lastSeq = 0;
  $("messages").innerHTML = "";
  poll();
  if (window.approvals) window.approvals.reload();
}

async function main() {
  state.dir = await api("GET", "/_sim/directory");
  const managers = state.dir.people.filter(p => p.is_manager);
  const people = managers.concat(state.dir.people.filter(p => !p.is_manager));
  $("me").innerHTML = people.map(p => `<option value="${esc(p.staff_id)}">${esc(p.name)}</option>`).join("");
  const me = new URLSearchParams(location.search).get("me") || people[0].staff_id;
  $("me").value = me;
  $("me").addEventListener("change", () => selectMe($("me").value));
  $("send").addEventListener("click", async () => { const t = $("text").value; $("text").value = ""; await sendText(t); });
  $("text").addEventListener("keydown", ev => { if (ev.key === "Enter") { ev.preventDefault(); $("send").click(); } });
  wireClicks($("messages"), () => state.me, sendText);
  selectMe(me);
  setInterval(poll, 800);
}
main();
