// housecall console: countdowns, live updates, one submit per form.
"use strict";
(function () {
  const hc = (window.housecall = window.housecall || {});
  hc.csrf = () => (document.querySelector('meta[name="csrf"]') || {}).content || "";
  hc.lang = document.documentElement.lang.startsWith("zh") ? "zh" : "en";
  const words = {
    en: { overdue: "overdue", in: "in", d: "d", live: "live", off: "reconnecting…" },
    zh: { overdue: "已超时", in: "剩余", d: "天", live: "实时", off: "重新连接中…" },
  }[hc.lang];

  // fmt shows a duration in seconds as "1d 02:03:04", "02:03:04" or "03:04".
  hc.fmt = function (s) {
    s = Math.max(0, Math.floor(s));
    const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60), x = s % 60;
    const p = (n) => String(n).padStart(2, "0");
    const hms = (h ? p(h) + ":" : "") + p(m) + ":" + p(x);
    return d ? d + words.d + " " + hms : hms;
  };

  // Countdowns: <span class="countdown" data-due="RFC3339">; they turn
  // "overdue" when the time has passed (the server drew the same state).
  function tick() {
    const now = Date.now();
    document.querySelectorAll("[data-due]").forEach((el) => {
      const due = Date.parse(el.dataset.due);
      if (isNaN(due)) return;
      const left = (due - now) / 1000;
      el.classList.toggle("overdue", left < 0);
      el.textContent = left < 0 ? words.overdue + " " + hc.fmt(-left) : hc.fmt(left);
      const row = el.closest("[data-overdue-row]");
      if (row) row.classList.toggle("overdue", left < 0);
    });
  }
  hc.tick = tick;

  // live calls fn(id) for every changed request ("*": reload everything).
  hc.live = function (fn) {
    const dot = document.querySelector(".live-dot");
    const es = new EventSource("/live");
    es.addEventListener("hello", () => { if (dot) { dot.classList.add("on"); dot.title = words.live; } });
    es.addEventListener("request", (e) => fn(e.data));
    es.addEventListener("reload", () => fn("*"));
    es.onerror = () => { if (dot) { dot.classList.remove("on"); dot.title = words.off; } };
    return es;
  };

  // Forms marked data-once send once: a double click does not send twice.
  document.addEventListener("submit", (e) => {
    const f = e.target;
    if (!f.matches("form[data-once]")) return;
    if (f.dataset.sent) { e.preventDefault(); return; }
    f.dataset.sent = "1";
    // Disabled after the browser took the form's data (a disabled
    // submit button would drop its own name and value).
    setTimeout(() => f.querySelectorAll("button[type=submit], button:not([type])").forEach((b) => (b.disabled = true)), 0);
  });

  document.addEventListener("DOMContentLoaded", () => { tick(); setInterval(tick, 1000); });
})();
