/* The phone's "待我审批 / Pending my approval" tab: the OA approval instances waiting for me, with their
   form, and Agree / Refuse with a remark (which DingTalk turns into bpms_task_change /
   bpms_instance_change events). Reads and acts through /_sim/approvals. */
"use strict";
(function () {
  const $ = id => document.getElementById(id);
  const params = new URLSearchParams(location.search);
  const view = {tab: params.get("tab") || (params.get("procInsId") ? "approvals" : "messages"),
                highlight: params.get("procInsId"), shown: "", decided: []};

  function showTab(tab) {
    view.tab = tab;
    for (const b of document.querySelectorAll(".tab")) b.classList.toggle("active", b.dataset.tab === tab);
    $("messages").hidden = tab !== "messages";
    $("composer").hidden = tab !== "messages";
    $("pending-title").hidden = tab !== "messages";
    $("approvals").hidden = tab !== "approvals";
  }

  function render(list) {
    const done = view.decided.map(d => `<div class="decided">${esc(d)}</div>`).join("");
    if (!list.length) return done + `<div class="approvals-empty" id="approvals-empty">暂无待审批 · No pending approvals</div>`;
    return done + list.map(a => `
      <div class="approval${a.instance_id === view.highlight ? " highlight" : ""}" data-instance="${esc(a.instance_id)}">
        <div class="a-title">${esc(a.title)}</div>
        <div class="a-sub">审批编号 ${esc(a.business_id)} · ${esc(a.status)}</div>
        <dl>${a.form.map(f => `<dt>${esc(f.name)}</dt><dd>${esc(f.value)}</dd>`).join("")}</dl>
        <textarea class="remark" placeholder="审批意见 / remark"></textarea>
        <div class="a-btns">
          <button class="refuse" data-result="refuse">拒绝 Refuse</button>
          <button class="agree" data-result="agree">同意 Agree</button>
        </div>
        <div class="a-error"></div>
      </div>`).join("");
  }

  async function reload() {
    const me = state.me;
    if (!me) return;
    const data = await api("GET", "/_sim/approvals?" + new URLSearchParams({staff_id: me}));
    if (me !== state.me) return;
    const list = data.approvals || [];
    $("approvals-count").textContent = list.length ? String(list.length) : "";
    const key = JSON.stringify([me, list.map(a => a.instance_id), view.decided]);
    if (key !== view.shown) {  // keep a half-typed remark: redraw only when the list changed
      $("approvals").innerHTML = render(list);
      view.shown = key;
    }
  }

  async function decide(button) {
    const card = button.closest(".approval");
    const remark = card.querySelector(".remark").value;
    button.disabled = true;
    const r = await fetch(`/_sim/approvals/${encodeURIComponent(card.dataset.instance)}/decide`, {
      method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({staff_id: state.me, result: button.dataset.result, remark})});
    const answer = await r.json();
    if (!r.ok) {
      card.querySelector(".a-error").textContent = answer.error || "failed";
      button.disabled = false;
      return;
    }
    const title = card.querySelector(".a-title").textContent;
    view.decided.push(`${button.dataset.result === "agree" ? "已同意 Agreed" : "已拒绝 Refused"}: ${title}`);
    await reload();
  }

  document.querySelector(".tabs").addEventListener("click", ev => {
    const tab = ev.target.closest(".tab");
    if (tab) showTab(tab.dataset.tab);
  });
  $("approvals").addEventListener("click", ev => {
    const button = ev.target.closest("button[data-result]");
    if (button) decide(button);
  });
  window.approvals = {reload};
  showTab(view.tab);
  setInterval(reload, 800);
})();
