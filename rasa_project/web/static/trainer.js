// The trainer page: select a span of a message, pick the entity, see what the extractor reads there
// (GET /trainer/read), save. Offsets are sent in code points (Python's string indices), not UTF-16.
(function () {
  "use strict";
  function points(s) { return Array.from(s).length; }
  function selectionIn(el) {
    var sel = window.getSelection();
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return null;
    var range = sel.getRangeAt(0);
    if (!el.contains(range.startContainer) || !el.contains(range.endContainer)) return null;
    var before = document.createRange();
    before.setStart(el, 0);
    before.setEnd(range.startContainer, range.startOffset);
    var start = points(before.toString()), picked = range.toString();
    var trimmed = picked.replace(/^\s+/, ""), lead = points(picked) - points(trimmed);
    trimmed = trimmed.replace(/\s+$/, "");
    if (!trimmed) return null;
    return { start: start + lead, end: start + lead + points(trimmed), text: trimmed };
  }
  document.querySelectorAll("section.item").forEach(function (item) {
    var text = item.querySelector(".msgtext"), form = item.querySelector(".intent-form");
    var spansInput = form.querySelector(".spans"), list = form.querySelector(".marked");
    var preview = form.querySelector(".preview"), word = item.querySelector(".alias-form .word");
    var spans = [], last = null;
    text.addEventListener("mouseup", function () {
      last = selectionIn(text);
      if (last && word) word.value = last.text;
    });
    function show() {
      spansInput.value = JSON.stringify(spans.map(function (s) { return [s.start, s.end, s.entity]; }));
      list.innerHTML = "";
      spans.forEach(function (s) {
        var li = document.createElement("li");
        li.className = "span";
        li.dataset.entity = s.entity;
        li.textContent = s.text + " → " + s.entity + (s.value !== undefined ? ": " + s.value : "");
        list.appendChild(li);
      });
      if (!spans.length) { preview.hidden = true; return; }
      var q = new URLSearchParams({ item: item.dataset.id, spans: spansInput.value,
                                    intent: form.querySelector(".intent").value });
      fetch("/trainer/read?" + q.toString(), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          preview.hidden = false;
          if (data.refused) { preview.textContent = data.refused; preview.className = "preview error"; return; }
          preview.className = "preview muted";
          preview.textContent = data.annotated;
          data.readings.forEach(function (r, n) {
            var li = list.children[n];
            if (!li) return;
            li.dataset.agrees = r.agrees ? "1" : "0";
            li.textContent = r.text + " → " + r.entity + ": " +
              (r.agrees ? r.value : (form.dataset.misses || "—"));
          });
        });
    }
    form.querySelector(".mark").addEventListener("click", function () {
      var picked = last || selectionIn(text);
      if (!picked) return;
      spans = spans.filter(function (s) { return s.end <= picked.start || s.start >= picked.end; });
      spans.push({ start: picked.start, end: picked.end, text: picked.text,
                   entity: form.querySelector(".entity").value });
      spans.sort(function (a, b) { return a.start - b.start; });
      last = null;
      window.getSelection().removeAllRanges();  // the next selection starts afresh
      show();
    });
    form.querySelector(".unmark").addEventListener("click", function () { spans = []; show(); });
    form.querySelector(".intent").addEventListener("change", function () { if (spans.length) show(); });
    var kind = item.querySelector(".alias-form .kind");
    function kinds() {
      item.querySelector(".alias-form .material").hidden = kind.value !== "material";
      item.querySelector(".alias-form .work-center").hidden = kind.value !== "work_center";
    }
    kind.addEventListener("change", kinds);
    kinds();
  });
  // The retrain page follows the background job until it is done.
  var job = document.getElementById("job");
  if (job && job.dataset.running === "1") {
    var timer = setInterval(function () {
      fetch("/trainer/retrain.json", { credentials: "same-origin", cache: "no-store" })
        .then(function (r) { return r.json(); })
        .then(function (s) {
          if (!s.running || s.stage !== job.dataset.stage) { clearInterval(timer); location.reload(); return; }
          document.getElementById("log").textContent = s.log.join("\n");
          var epoch = document.getElementById("epoch");
          if (epoch && s.epoch && s.stage === "training") {
            epoch.textContent = epoch.dataset.format.replace("DONE", s.epoch[0]).replace("OF", s.epoch[1]);
          } else if (epoch) { epoch.textContent = ""; }
        })
        .catch(function () {});
    }, 2000);
  }
})();
