// Live pages: server-sent events from /events; on news the page's <main> is re-fetched and swapped,
// so a report or decision made in chat shows within seconds, without a reload. EventSource reconnects
// by itself (the server says retry: 1000), also across a restart of the server.
(function () {
  "use strict";
  if (document.body.dataset.live !== "1" || !window.EventSource) return;
  var banner = document.getElementById("live");
  var busy = false, again = false, failures = 0;
  function busyForm() {
    var a = document.activeElement;
    return a && (a.tagName === "INPUT" || a.tagName === "TEXTAREA" || a.tagName === "SELECT") && a.value;
  }
  function refresh() {
    if (busy) { again = true; return; }
    if (busyForm()) { again = true; setTimeout(refresh, 2000); return; }
    busy = true;
    fetch(location.href, { headers: { "X-Live": "1" }, credentials: "same-origin", cache: "no-store" })
      .then(function (r) {
        if (r.redirected && /\/login/.test(r.url)) { location.href = r.url; return null; }
        return r.ok ? r.text() : null;
      })
      .then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("main"), main = document.getElementById("main");
        if (fresh && main) {
          main.innerHTML = fresh.innerHTML;
          main.dataset.version = fresh.dataset.version;
        }
      })
      .catch(function () {})
      .then(function () { busy = false; if (again) { again = false; refresh(); } });
  }
  // One open stream per visible page: a hidden tab or a page in the back/forward cache closes its
  // stream (browsers allow ~6 connections per host), and reconnects when shown again.
  var source = null;
  function connect() {
    if (source) return;
    source = new EventSource("/events");
    source.addEventListener("hello", function (e) {
      failures = 0; banner.hidden = true;
      var v = JSON.parse(e.data).version, main = document.getElementById("main");
      if (main && Number(main.dataset.version) < v) refresh();  // news while disconnected
    });
    source.addEventListener("news", function () { refresh(); });
    source.addEventListener("expired", function () {
      disconnect();
      location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
    });
    source.onerror = function () {
      failures += 1; if (failures > 2) banner.hidden = false;
      // the browser gives up for good on an HTTP error (a proxy's 502 while the server restarts):
      // open a new stream then, a little later each time
      if (source && source.readyState === EventSource.CLOSED) {
        disconnect(); setTimeout(connect, Math.min(10000, 1000 * failures));
      }
    };
  }
  function disconnect() { if (source) { source.close(); source = null; } }
  document.addEventListener("visibilitychange", function () { if (document.hidden) disconnect(); else connect(); });
  window.addEventListener("pagehide", disconnect);
  window.addEventListener("pageshow", function () { if (!document.hidden) connect(); });
  connect();
  window.dingk3Live = { refresh: refresh, connected: function () { return !!source; } };
})();
